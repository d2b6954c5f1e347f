"""The agent's platform-side tools: code index, git history, checkpatch, get_maintainer, mbox."""

from __future__ import annotations

import glob
import shutil
import subprocess
from pathlib import Path

import pytest

from actors.build_cache import BuildCache
from actors.build_cache.code_index import CodeIndex
from actors.build_cache.history import History, changed_lines
from actors.build_cache.submit import Submitter
from kgym.models import BuildRequest, CodeQuery, HistoryQuery, SourceSpec, Submission
from kgym.settings import Settings

OPT_C = """\
#include "opt.h"

static int check_mode(const char *s)
{
\treturn s[0] == 'b';
}

int parse_opt(char *str, struct opt *o)
{
\to->mode = check_mode(str);
\treturn 0;
}
"""
OPT_H = "struct opt {\n\tint mode;\n\tchar *name;\n};\nint parse_opt(char *str, struct opt *o);\n"
# The "bug": adds a function the pristine source lacks (the index must see it).
INJECT = """\
--- a/mm/opt.c
+++ b/mm/opt.c
@@ -11,2 +11,7 @@ int parse_opt(char *str, struct opt *o)
 \treturn 0;
 }
+
+int injected_helper(struct opt *o)
+{
+\treturn check_mode("b") + o->mode;
+}
"""


@pytest.fixture
def cache(tmp_path: Path) -> BuildCache:
    return BuildCache(Settings(home=tmp_path / "home"))


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "mm").mkdir(parents=True)
    (root / "mm" / "opt.c").write_text(OPT_C)
    (root / "mm" / "opt.h").write_text(OPT_H)
    (root / "Makefile").write_text("obj-y += mm/\n")
    return root


def _request(src: Path) -> BuildRequest:
    return BuildRequest(source=SourceSpec(kind="dir", path=str(src)), patches=[INJECT])


async def test_definitions_come_from_the_index_and_the_patched_files(cache, src):
    index = CodeIndex(cache)
    req = _request(src)
    ans = await index.query(req, CodeQuery(kind="definition", name="parse_opt"))
    assert [(h.file, h.line, h.kind) for h in ans.hits] == [("mm/opt.c", 8, "function")]
    assert ans.hits[0].text == "int parse_opt(char *str, struct opt *o)"
    ans = await index.query(req, CodeQuery(kind="definition", name="injected_helper"))
    assert [(h.file, h.line) for h in ans.hits] == [("mm/opt.c", 14)]  # from the patched file
    assert (cache.settings.home / "code-index").is_dir()  # built once, then reused
    before = list((cache.settings.home / "code-index").rglob("tags"))
    await index.query(req, CodeQuery(kind="definition", name="check_mode"))
    assert list((cache.settings.home / "code-index").rglob("tags")) == before


async def test_struct_references_callers_and_grep(cache, src):
    index = CodeIndex(cache)
    req = _request(src)
    layout = await index.query(req, CodeQuery(kind="struct", name="opt"))
    assert "mm/opt.h:1-4" in layout.text and "char *name;" in layout.text
    refs = await index.query(req, CodeQuery(kind="references", name="check_mode"))
    assert {(h.file, h.line) for h in refs.hits} == {
        ("mm/opt.c", 3),
        ("mm/opt.c", 10),
        ("mm/opt.c", 16),
    }
    callers = await index.query(req, CodeQuery(kind="callers", name="check_mode"))
    assert sorted(h.scope for h in callers.hits) == ["injected_helper", "parse_opt"]
    (src / "mm" / "many.c").write_text("int hit;\n" * 100)
    grep = await index.query(_request(src), CodeQuery(kind="grep", name="hit", limit=5))
    assert len(grep.hits) == 5 and grep.truncated and "stopped at 5" in grep.note


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (CodeQuery(kind="grep", name="x", path="../"), "outside the source tree"),
        (CodeQuery(kind="definition", name="not one"), "not a C identifier"),
        (CodeQuery(kind="grep", name="(", path="mm"), "error: regex parse error"),
    ],
)
async def test_bad_queries_get_clear_errors(cache, src, query, error):
    ans = await CodeIndex(cache).query(_request(src), query)
    assert not ans.hits and error in ans.note


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "A"}
    env |= {"GIT_COMMITTER_EMAIL": "a@x", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, src: Path) -> Path:
    """A git repository: the file, a commit that breaks check_mode, an unrelated commit."""
    r = tmp_path / "repo"
    shutil.copytree(src, r)
    _git(r, "init", "-q")
    _git(r, "add", ".")
    _git(r, "commit", "-qm", "mm: add option parsing")
    (r / "mm" / "opt.c").write_text(OPT_C.replace("s[0] == 'b'", "s[1] == 'b'"))
    _git(r, "commit", "-qam", "mm: look at the second character")
    (r / "Makefile").write_text("obj-y += mm/\n# more\n")
    _git(r, "commit", "-qam", "build: a comment")
    return r


FIX = """\
--- a/mm/opt.c
+++ b/mm/opt.c
@@ -3,4 +3,4 @@
 static int check_mode(const char *s)
 {
-\treturn s[1] == 'b';
+\treturn s[0] == 'b';
 }
"""


async def test_history_of_a_git_source(cache, repo):
    head = _git(repo, "rev-parse", "HEAD")
    breaker = _git(repo, "rev-parse", "HEAD~1")
    req = BuildRequest(source=SourceSpec(kind="git", url=str(repo), commit=head))
    git = History(cache)
    log = await git.query(req, HistoryQuery(kind="log", file="mm/opt.c", function="check_mode"))
    assert [c.subject for c in log.commits] == [
        "mm: look at the second character",
        "mm: add option parsing",
    ]
    blame = await git.query(req, HistoryQuery(kind="blame", file="mm/opt.c", start=5, end=5))
    assert blame.text == f"{breaker[:12]} 5: \treturn s[1] == 'b';"
    fixes = await git.query(req, HistoryQuery(kind="fixes", patch=FIX))
    assert fixes.fixes == f'Fixes: {breaker[:12]} ("mm: look at the second character")'
    assert changed_lines(FIX) == {"mm/opt.c": [5]}


async def test_no_history_without_git(cache, src):
    ans = await History(cache).query(_request(src), HistoryQuery(kind="log", file="mm/opt.c"))
    assert not ans.available and "no history" in ans.note


KERNEL_SCRIPTS = sorted(glob.glob(str(Path.home() / ".cache/kgym/sources/debian-*/scripts")))


@pytest.mark.skipif(not KERNEL_SCRIPTS, reason="no unpacked kernel source with scripts/")
async def test_checkpatch_maintainers_and_an_mbox_that_git_am_applies(cache, src, tmp_path):
    (src / "scripts").mkdir()
    for name in ("checkpatch.pl", "get_maintainer.pl", "spelling.txt"):
        shutil.copy(Path(KERNEL_SCRIPTS[-1]) / name, src / "scripts" / name)
    (src / "MAINTAINERS").write_text(
        "OPTIONS\nM:\tOpt Keeper <keeper@example.org>\nL:\topt@lists.example.org\nS:\tMaintained\n"
        "F:\tmm/opt.c\n"
    )
    for name in ("COPYING", "CREDITS", "Kbuild", "README"):  # what the scripts call a kernel tree
        (src / name).write_text("")
    for name in (
        "Documentation",
        "arch",
        "include",
        "drivers",
        "fs",
        "init",
        "ipc",
        "kernel",
        "lib",
    ):
        (src / name).mkdir()
    req = BuildRequest(source=SourceSpec(kind="dir", path=str(src)))
    clean_fix = FIX.replace("s[1]", "s[0]").replace("+\treturn s[0]", "+\treturn s[2]")
    sub = Submitter(cache)
    messy = await cache.checkpatch(req, clean_fix.replace("s[2] == 'b';", "s[2] == 'b';  "))
    assert messy.errors == 1 and any("trailing whitespace" in m for m in messy.messages)
    assert (await cache.checkpatch(req, clean_fix)).clean
    to = await sub.maintainers(req, clean_fix)
    assert to == ["Opt Keeper <keeper@example.org>", "opt@lists.example.org"]
    mbox = await sub.format_patch(
        req,
        Submission(
            patch=clean_fix,
            subject="mm: check the third character",
            body="The mode is in the third character.\n\nSigned-off-by: K G <kg@example.org>",
            author="K G <kg@example.org>",
            to=to[:1],
            cc=to[1:],
        ),
    )
    assert mbox.startswith("From ") and "Subject: [PATCH] mm: check the third character" in mbox
    assert "To: Opt Keeper <keeper@example.org>" in mbox
    assert (await cache.checkpatch(req, mbox)).clean
    am = tmp_path / "am"
    shutil.copytree(src, am)
    _git(am, "init", "-q")
    _git(am, "add", ".")
    _git(am, "commit", "-qm", "base")
    (am / "mail").write_text(mbox)
    _git(am, "am", "mail")
    assert "s[2] == 'b'" in (am / "mm" / "opt.c").read_text()


async def test_lines_an_inject_patch_added_are_not_committed(cache, repo):
    head = _git(repo, "rev-parse", "HEAD")
    req = BuildRequest(source=SourceSpec(kind="git", url=str(repo), commit=head), patches=[INJECT])
    git = History(cache)
    blame = await git.query(req, HistoryQuery(kind="blame", file="mm/opt.c", start=11, end=15))
    lines = blame.text.splitlines()
    assert lines[0].endswith(" 11: \treturn 0;") and not lines[0].startswith("not-committed")
    assert lines[3] == "not-committed 14: int injected_helper(struct opt *o)"
    # a patch that only touches the injected lines has no Fixes: candidate in the history
    only_injected = (
        "--- a/mm/opt.c\n+++ b/mm/opt.c\n@@ -15,3 +15,3 @@ int injected_helper(struct opt *o)\n"
        ' {\n-\treturn check_mode("b") + o->mode;\n+\treturn o->mode;\n }\n'
    )
    fixes = await git.query(req, HistoryQuery(kind="fixes", patch=only_injected))
    assert fixes.fixes is None and "no committed line" in fixes.note
    assert changed_lines("--- a/f.c\n+++ b/f.c\n@@ -3,2 +3,3 @@\n a\n+b\n c\n") == {"f.c": [3, 4]}
