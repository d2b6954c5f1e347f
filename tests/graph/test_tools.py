"""The code tools: confined to the tree, bounded output, errors the model can read."""

from __future__ import annotations

import pytest

from graph.tools import MAX_GREP_MATCHES, ToolError, Workspace, code_tools, edit_tools


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
    assert "fix.patch" not in ws.grep("fix", "mm")


def test_grep_output_is_bounded(ws, tree):
    (tree / "mm" / "many.c").write_text("hit\n" * 500)
    out = ws.grep("hit", "mm").splitlines()
    assert len(out) == MAX_GREP_MATCHES + 1 and out[-1].startswith("[stopped at")


def test_find_definition_finds_functions_structs_not_calls(ws):
    assert ws.find_definition("check_mode") == "mm/opt.c:5: static int check_mode(const char *s)"
    assert ws.find_definition("opt", "mm/opt.h") == "mm/opt.h:1: struct opt {"
    assert ws.find_definition("strchr").startswith("no definition")
    with pytest.raises(ToolError):
        ws.find_definition("not an identifier")


def test_read_lines_and_list_dir(ws):
    out = ws.read_lines("mm/opt.c", 10, 11)
    assert out.splitlines()[1:] == ["    10  int parse_opt(char *str, struct opt *o)", "    11  {"]
    assert ws.list_dir("mm") == "opt.c\nopt.h"
    with pytest.raises(ToolError, match="past the end"):
        ws.read_lines("mm/opt.c", 999)


def test_tool_errors_go_back_to_the_model_as_text(ws):
    tools = {t.name: t for t in code_tools(ws) + edit_tools(ws)}
    assert tools["read_lines"].invoke({"path": "nope.c"}) == "error: nope.c: no such file"
    assert tools["grep"].invoke({"pattern": "("}).startswith("error: bad regex")
    assert tools["read_lines"].invoke({"start": 3}).startswith("error:")  # missing argument
    out = tools["edit_file"].invoke({"path": "mm/opt.c", "search": "\t", "replace": " "})
    assert "found 11 times" in out
