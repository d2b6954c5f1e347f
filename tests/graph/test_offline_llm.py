"""The offline backend: llama.cpp's server with the packaged SmolLM2-135M, on 127.0.0.1.

These prove the path runs offline (real server, real function calling), not
that a 135M model fixes kernels. They skip when the `offline-llm` extra or the
model package is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from graph.llm import LLMError, chat_model, structured
from graph.nodes.planner import Plan
from kgym.front.offline_llm import (
    MODEL_NAME,
    OfflineLLMUnavailable,
    check_installed,
    offline_server,
)
from kgym.settings import Settings

try:
    check_installed()
    MISSING = ""
except OfflineLLMUnavailable as e:
    MISSING = str(e)

pytestmark = [
    pytest.mark.offline_llm,
    pytest.mark.skipif(bool(MISSING), reason=f"offline LLM backend not installed: {MISSING}"),
    pytest.mark.timeout(1800),
]


async def test_structured_output_through_llama_cpp(tmp_path):
    async with offline_server(tmp_path / "llama.log") as url:
        llm = chat_model(
            Settings(home=tmp_path, llm_base_url=url, llm_model=MODEL_NAME), max_tokens=256
        )
        messages = [
            SystemMessage("You fix Linux kernel bugs."),
            HumanMessage(
                "KASAN: slab-out-of-bounds Write in mpol_parse_str. Propose one hypothesis."
            ),
        ]
        try:
            plan, usage = await structured(llm, Plan, messages)
        except LLMError:  # a 135M model may not finish the JSON within 256 tokens
            return
        assert isinstance(plan, Plan)
        assert usage["input_tokens"] > 0 and usage["cost_usd"] == 0.0
    assert "llama" in (tmp_path / "llama.log").read_text().lower()


@pytest.mark.kernel
@pytest.mark.vm
def test_kgym_fix_runs_offline_end_to_end(tmp_path):
    env_home = {"KGYM_LLM_BASE_URL": "", "KGYM_LLM_API_KEY": "", "OPENAI_API_KEY": ""}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kgym.front.cli",
            "fix",
            "kbench-6.1/mpol-parse-str",
            "--offline",
            "--json",
            "-k",
            "1",
            "--max-iterations",
            "1",
            "--runs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=1700,
        env={**os.environ, **env_home},
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(out) >= {
        "bug",
        "resolved",
        "patch",
        "iterations",
        "hypotheses",
        "tokens",
        "cost_usd",
        "wall_s",
        "run_id",
    }
    assert out["bug"] == "mpol-parse-str"
    assert "not that a 135M model fixes kernels" in out["note"]
    assert out["tokens"] > 0 and out["cost_usd"] == 0.0
