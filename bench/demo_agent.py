"""The scripted agent on the embedded demo bug (kbench-6.1/mpol-parse-str).

Used by the end-to-end test and by bench/perf/agent_perf.py: a script that
analyses and localizes mpol_parse_str, proposes one hypothesis per kind, and
patches each: "wrong" (a harmless edit elsewhere), "broken" (a syntax error),
"right" (the hunks of the real fix, which only the caller may read).
"""

from __future__ import annotations

import re

from bench.scripted import Turn, call, say

DEMO = "kbench-6.1/mpol-parse-str"
DEMO_FILE = "mm/mempolicy.c"
_HEADER = " * Simple NUMA memory policy for the Linux kernel."


def hunks_as_edits(patch: str, path: str = DEMO_FILE) -> list[dict]:
    """Each hunk of a unified diff as an edit_file call (old side -> new side)."""
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
    """A script: analyse and localize mpol_parse_str, one hypothesis per kind, patch each."""

    def script(turn: Turn):
        if turn.node == "rootcause":
            return call(
                "RootCause",
                crash_class="out-of-bounds",
                object="the mount option string",
                violation="a write one past the end of the option string",
                where=f"{DEMO_FILE}:mpol_parse_str()",
                explanation="the nodelist and flags parts of the string are split in place",
                fix_direction="split the string so that no write passes its end",
            )
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
        if turn.node == "commit":
            return call(
                "CommitMessage",
                subsystem="mm/mempolicy",
                summary="fix the nodelist and flags split in mpol_parse_str()",
                body=(
                    "mpol_parse_str() splits the mount option string in place at ':' "
                    "and '='. When both are present the order of the two splits "
                    "decides where each part ends, and the nodelist parse can write "
                    "past the end of the string.\n\nSplit the flags first, as the "
                    "string's format says they come last."
                ),
            )
        if turn.node == "style":
            return say("nothing to change")
        kind = kinds[int(turn.hypothesis.split("h")[-1]) - 1]
        steps = edits[kind]
        if turn.step == 0:
            return call("find_definition", symbol="mpol_parse_str", path="mm")
        if turn.step <= len(steps):
            return call("edit_file", **steps[turn.step - 1])
        return say(f"{kind} patch done")

    return script
