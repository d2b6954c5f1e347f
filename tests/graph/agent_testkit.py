"""Shared test data for the agent's tests: a small kernel-like tree and the bug's secrets."""

from __future__ import annotations

TITLE = "KASAN: slab-out-of-bounds Write in parse_opt"

BUGGY_C = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/string.h>
#include "opt.h"

static int check_mode(const char *s)
{
\treturn s[0] == 'b';
}

int parse_opt(char *str, struct opt *o)
{
\tchar *flags = strchr(str, '=');
\tchar *list = strchr(str, ':');

\tif (list)
\t\t*list++ = '\\0';
\tif (flags)
\t\t*flags++ = '\\0';
\to->mode = check_mode(str);
\treturn 0;
}
"""

HEADER = "struct opt {\n\tint mode;\n};\nint parse_opt(char *str, struct opt *o);\n"

# Secrets the agent must never see: the record's fix, inject patch and origin.
SECRET_FIX = "--- a/mm/opt.c\n+++ b/mm/opt.c\n@@ SECRET-FIX-HUNK @@\n"
SECRET_INJECT = "--- a/mm/opt.c\n+++ b/mm/opt.c\n@@ SECRET-INJECT-HUNK @@\n"
SECRET_COMMIT = "5ecre7c0mm175ecre7c0mm175ecre7c0mm17aaaa"


# --- the demo kernel bug, scripted (end-to-end test and bench/perf/agent_perf.py) -------------

DEMO = "kbench-6.1/mpol-parse-str"
DEMO_FILE = "mm/mempolicy.c"
_HEADER = " * Simple NUMA memory policy for the Linux kernel."


def hunks_as_edits(patch: str, path: str = DEMO_FILE) -> list[dict]:
    """Each hunk of a unified diff as an edit_file call (old side -> new side)."""
    import re

    edits = []
    for hunk in re.split(r"^@@.*@@.*\n", patch, flags=re.MULTILINE)[1:]:
        lines = hunk.splitlines(keepends=True)
        old = "".join(line[1:] for line in lines if line[:1] in " -")
        new = "".join(line[1:] for line in lines if line[:1] in " +")
        edits.append({"path": path, "search": old, "replace": new})
    return edits


def demo_edits(right: list[dict], nonce: str = "") -> dict[str, list[dict]]:
    """Edits per kind of hypothesis: a harmless change, a syntax error, the real fix.

    A `nonce` adds a comment change to each, so no build is a cache hit.
    """
    tag = [{"path": DEMO_FILE, "search": _HEADER, "replace": f"{_HEADER[:-1]} ({nonce})."}]
    tag = tag if nonce else []
    return {
        "wrong": [
            {"path": DEMO_FILE, "search": _HEADER, "replace": f"{_HEADER[:-1]} (kgym{nonce})."}
        ],
        "broken": tag
        + [
            {
                "path": DEMO_FILE,
                "search": "\tint err = 1, mode;\n\n\tif (nodelist) {",
                "replace": "\tint err = 1, mode\n\n\tif (nodelist) {",
            }
        ],
        "right": tag + right,
    }


def demo_script(kinds: list[str], edits: dict[str, list[dict]]):
    """A script: localize mpol_parse_str, propose one hypothesis per kind, patch each."""
    from scripted import Turn, call, say

    def script(turn: Turn):
        if turn.node == "localizer":
            return call(
                "Localization",
                suspects=[
                    {
                        "file": DEMO_FILE,
                        "function": "mpol_parse_str",
                        "reason": "out-of-bounds write",
                    }
                ],
            )
        if turn.node == "planner":
            return call(
                "Plan",
                hypotheses=[
                    {
                        "root_cause": f"{k} idea",
                        "location": f"{DEMO_FILE}:mpol_parse_str()",
                        "fix_idea": k,
                    }
                    for k in kinds
                ],
            )
        kind = kinds[int(turn.hypothesis.split("h")[-1]) - 1]
        steps = edits[kind]
        if turn.step == 0:
            return call("find_definition", symbol="mpol_parse_str", path="mm")
        if turn.step <= len(steps):
            return call("edit_file", **steps[turn.step - 1])
        return say(f"{kind} patch done")

    return script
