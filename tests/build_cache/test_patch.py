"""The unified-diff parser and applier: exact context, offsets, new/deleted files, safety."""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.build_cache import patch
from actors.build_cache.patch import PatchFailed

ORIGINAL = "".join(f"line {i}\n" for i in range(1, 21))


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "dir").mkdir(parents=True)
    (root / "dir" / "f.c").write_text(ORIGINAL)
    (root / "gone.c").write_text("bye\n")
    return root


def _diff(tmp_path: Path, name: str, old: str, new: str) -> str:
    """A real `diff -u` of two texts, with a/ b/ labels (the format agents and kBench use)."""
    a, b = tmp_path / "old", tmp_path / "new"
    a.write_text(old)
    b.write_text(new)
    out = subprocess.run(
        ["diff", "-u", "--label", f"a/{name}", "--label", f"b/{name}", a, b],
        capture_output=True,
        text=True,
    )
    return out.stdout


def _apply(root: Path, *texts: str) -> dict[str, str | None]:
    return patch.apply([patch.parse(t) for t in texts], patch.read_file(root))


def test_apply_exact(tmp_path):
    root = _tree(tmp_path)
    new = ORIGINAL.replace("line 10\n", "line ten\n")
    changes = _apply(root, _diff(tmp_path, "dir/f.c", ORIGINAL, new))
    assert changes == {"dir/f.c": new}


def test_apply_with_offset(tmp_path):
    root = _tree(tmp_path)
    diff = _diff(tmp_path, "dir/f.c", ORIGINAL, ORIGINAL.replace("line 15\n", "line XV\n"))
    shifted = "extra 1\nextra 2\nextra 3\n" + ORIGINAL
    (root / "dir" / "f.c").write_text(shifted)
    changes = _apply(root, diff)
    assert changes["dir/f.c"] == shifted.replace("line 15\n", "line XV\n")


def test_two_patches_in_order(tmp_path):
    root = _tree(tmp_path)
    step1 = ORIGINAL.replace("line 3\n", "three\n")
    step2 = step1.replace("line 18\n", "eighteen\n")
    changes = _apply(
        root, _diff(tmp_path, "dir/f.c", ORIGINAL, step1), _diff(tmp_path, "dir/f.c", step1, step2)
    )
    assert changes["dir/f.c"] == step2


def test_git_new_deleted_and_no_newline(tmp_path):
    root = _tree(tmp_path)
    text = (
        "From: someone\nSubject: a commit message that is not part of the diff\n---\n"
        "diff --git a/new.h b/new.h\nnew file mode 100644\nindex 0000000..1111111\n"
        "--- /dev/null\n+++ b/new.h\n@@ -0,0 +1,2 @@\n+#define X 1\n+#define Y 2\n"
        "\\ No newline at end of file\n"
        "diff --git a/gone.c b/gone.c\ndeleted file mode 100644\n"
        "--- a/gone.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
        "-- \n2.39.5\n"
    )
    changes = _apply(root, text)
    assert changes == {"new.h": "#define X 1\n#define Y 2", "gone.c": None}
    patch.write(root, changes)
    assert (root / "new.h").read_text() == "#define X 1\n#define Y 2"
    assert not (root / "gone.c").exists()


def test_write_replaces_files_and_keeps_hard_links_intact(tmp_path):
    root = _tree(tmp_path)
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-al", root, copy], check=True)
    new = ORIGINAL.replace("line 1\n", "one\n")
    patch.write(copy, _apply(copy, _diff(tmp_path, "dir/f.c", ORIGINAL, new)))
    assert (copy / "dir" / "f.c").read_text() == new
    assert (root / "dir" / "f.c").read_text() == ORIGINAL


def test_non_applying_hunk_names_file_and_hunk(tmp_path):
    root = _tree(tmp_path)
    other = ORIGINAL.replace("line 2\n", "two\n").replace("line 17\n", "seventeen\n")
    diff = _diff(tmp_path, "dir/f.c", other, other.replace("seventeen\n", "17\n"))
    with pytest.raises(PatchFailed) as e:
        _apply(root, diff)
    [err] = e.value.errors
    assert (err.file, err.hunk) == ("dir/f.c", 1)
    assert "seventeen" in err.message


def test_second_hunk_fails_nothing_applied(tmp_path):
    root = _tree(tmp_path)
    good = _diff(tmp_path, "dir/f.c", ORIGINAL, ORIGINAL.replace("line 2\n", "two\n"))
    bad = "--- a/dir/f.c\n+++ b/dir/f.c\n@@ -18,2 +18,2 @@\n line 18\n-line nineteen\n+line 19!\n"
    with pytest.raises(PatchFailed) as e:
        _apply(root, good + bad.replace("--- a/dir/f.c\n+++ b/dir/f.c\n", ""))
    assert [(x.file, x.hunk) for x in e.value.errors] == [("dir/f.c", 2)]
    assert (root / "dir" / "f.c").read_text() == ORIGINAL


def test_missing_file(tmp_path):
    root = _tree(tmp_path)
    with pytest.raises(PatchFailed) as e:
        _apply(root, "--- a/nope.c\n+++ b/nope.c\n@@ -1 +1 @@\n-a\n+b\n")
    assert e.value.errors[0].file == "nope.c"


@pytest.mark.parametrize(
    "text, why",
    [
        ("just some words\n", "no file changes"),
        ("--- a/dir/f.c\n+++ b/dir/f.c\n@@ -1,3 +1,3 @@\n line 1\n-line 2\n", "ends early"),
        ("--- a/dir/f.c\n+++ b/dir/f.c\n@@ -1,2 +1,2 @@\n line 1\n?line 2\n+x\n", "unexpected"),
        ("--- a/dir/f.c\n+++ b/dir/f.c\n@@ garbage @@\n", "malformed hunk header"),
        ("diff --git a/x b/x\nGIT binary patch\nliteral 0\n", "binary"),
    ],
)
def test_malformed(text, why):
    with pytest.raises(PatchFailed) as e:
        patch.parse(text)
    assert why in e.value.errors[0].message


@pytest.mark.parametrize("path", ["../outside.c", "dir/../../outside.c", "/etc/passwd"])
def test_paths_leaving_the_tree_are_refused(tmp_path, path):
    root = _tree(tmp_path)
    files = patch.parse(f"--- {path}\n+++ {path}\n@@ -1 +1 @@\n-a\n+b\n")
    errors = patch.check_paths(files, root)
    assert errors and errors[0].file == path.removeprefix("a/")


def test_symlink_out_of_the_tree_is_refused(tmp_path):
    root = _tree(tmp_path)
    (tmp_path / "outside").mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    files = patch.parse("--- /dev/null\n+++ b/link/evil.c\n@@ -0,0 +1 @@\n+x\n")
    [err] = patch.check_paths(files, root)
    assert err.file == "link/evil.c" and "symlink" in err.message
    inside = patch.parse("--- a/dir/f.c\n+++ b/dir/f.c\n@@ -1 +1 @@\n-line 1\n+x\n")
    assert patch.check_paths(inside, root) == []


_lines = st.lists(
    st.sampled_from(["a\n", "b\n", "c\n", "{\n", "}\n", "\n", "x = 1;\n"]), max_size=30
)


@given(old=_lines, new=_lines, context=st.integers(0, 4))
def test_difflib_diffs_round_trip(tmp_path_factory, old, new, context):
    """Any diff difflib writes applies to its old text and gives the new one."""
    root = tmp_path_factory.mktemp("rt")
    (root / "f.c").write_text("".join(old))
    text = "".join(difflib.unified_diff(old, new, "a/f.c", "b/f.c", n=context))
    if not text:
        return
    assert _apply(root, text) == {"f.c": "".join(new)}
