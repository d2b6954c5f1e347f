"""The patcher's tools: confined to the tree, bounded output, errors the model can read."""

from __future__ import annotations

import pytest

from graph.tools import MAX_TOOL_CHARS, ToolError, Workspace, clip, toolbox
from kgym.judge import bug_build_request


@pytest.fixture
def ws(tree, tmp_path) -> Workspace:
    return Workspace(tree, tmp_path / "scratch")


@pytest.mark.parametrize("path", ["../outside", "/../../etc/passwd", "mm/../../x"])
def test_paths_outside_the_tree_are_refused(ws, path):
    with pytest.raises(ToolError, match="outside the source tree"):
        ws.text(path)


def test_a_symlink_out_of_the_tree_is_refused(ws, tree, tmp_path):
    (tmp_path / "secret.txt").write_text("fix.patch contents")
    (tree / "mm" / "link.c").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ToolError, match="outside"):
        ws.read_lines("mm/link.c")


def test_read_lines_and_list_dir(ws):
    out = ws.read_lines("mm/opt.c", 10, 11)
    assert out.splitlines()[1:] == ["    10  int parse_opt(char *str, struct opt *o)", "    11  {"]
    assert ws.list_dir("mm") == "opt.c\nopt.h"
    with pytest.raises(ToolError, match="past the end"):
        ws.read_lines("mm/opt.c", 999)


def test_edit_matches_exactly_then_ignoring_whitespace(ws):
    assert ws.edit("mm/opt.c", "\treturn 0;\n}", "\treturn -1;\n}").endswith("(matched exactly)")
    # indented with spaces instead of tabs, trailing blanks: still one match, and it says so
    out = ws.edit(
        "mm/opt.c", "    if (flags)  \n        *flags++ = '\\0';", "\tif (flags)\n\t\t*flags = 0;"
    )
    assert out == "edited mm/opt.c (matched lines 17-18 ignoring whitespace differences)"
    assert "\t\t*flags = 0;\n\to->mode" in ws.text("mm/opt.c")
    with pytest.raises(ToolError, match="found 0 times, also ignoring whitespace"):
        ws.edit("mm/opt.c", "no such line", "x")
    with pytest.raises(ToolError, match="found 11 times"):
        ws.edit("mm/opt.c", "\t", " ")


def test_replay_rebuilds_the_scratch_from_the_edit_list(ws, tree):
    edits = [{"path": "mm/opt.c", "search": "\treturn 0;", "replace": "\treturn 1;"}]
    ws.edit(**edits[0])
    ws.edit("mm/opt.h", "\tint mode;", "\tlong mode;")
    ws.replay(edits)  # back to the checkpointed edits only
    assert ws.changed_files() == ["mm/opt.c"]
    assert "long mode" not in ws.text("mm/opt.h")


def test_tool_output_is_truncated_with_a_note():
    out = clip("x" * (MAX_TOOL_CHARS + 10))
    assert out.startswith("x" * MAX_TOOL_CHARS) and "[output truncated: 10 more characters" in out


async def test_search_tools_run_on_the_platform(tree, tree_bug, platform, tmp_path):
    ws = Workspace(tree, tmp_path / "scratch")
    tools = {t.name: t for t in toolbox(ws, platform, bug_build_request(tree_bug))}
    assert await tools["find_definition"].ainvoke({"symbol": "check_mode"}) == (
        "mm/opt.c:5: [function] static int check_mode(const char *s)"
    )
    assert "mm/opt.h:1-3" in await tools["struct_layout"].ainvoke({"name": "opt"})
    callers = await tools["find_callers"].ainvoke({"function": "check_mode"})
    assert callers.startswith("mm/opt.c:19: in parse_opt():")
    assert (await tools["grep"].ainvoke({"pattern": r"\*flags\+\+", "path": "mm"})).startswith(
        "mm/opt.c:18:"
    )
    assert (await tools["grep"].ainvoke({"pattern": "("})).startswith("error: regex parse error")
    assert (await tools["grep"].ainvoke({"pattern": "x", "path": "../"})).startswith(
        "error: ../: outside the source tree"
    )
    assert "no history" in await tools["git_log"].ainvoke({"file": "mm/opt.c"})
    assert (await tools["read_lines"].ainvoke({"path": "nope.c"})) == "error: nope.c: no such file"
