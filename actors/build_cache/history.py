"""Git history of a buggy tree: log and blame of what the frames name, and a `Fixes:` candidate.

Only git sources have history; for Debian's tarball or a directory every
answer says so. Blame reads the buggy tree's file, matched line by line to the
commit's, so lines a bug's inject patch added show up as not committed (and
never become a `Fixes:` candidate). The candidate is the newest commit that last touched the
lines a patch changes (or, for a pure addition, the lines around it), kept only
if it is an ancestor of the tree's commit.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from actors.build_cache.cache import BuildCache
from actors.build_cache.proc import run
from kgym.models import BuildRequest, Commit, HistoryAnswer, HistoryQuery

FORMAT = "%H%x1f%an%x1f%ad%x1f%s"
MAX_LIMIT = 50
MAX_BLAME_LINES = 200
UNCOMMITTED = "0" * 40
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


class History:
    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache

    async def query(self, request: BuildRequest, q: HistoryQuery) -> HistoryAnswer:
        found = await self.cache.sources.repository(request.source)
        if found is None:
            return HistoryAnswer(
                available=False,
                note=f"no history: the source is a {request.source.kind}, not a git repository",
            )
        repo, sha = found
        _, _, tree = await self.cache.tree(request)
        limit = max(1, min(q.limit, MAX_LIMIT))
        if q.kind == "fixes":
            return await self._fixes(repo, sha, tree, q.patch)
        if not q.file or not _safe(q.file):
            return HistoryAnswer(
                available=True, note=f"error: {q.file!r} is not a file of the tree"
            )
        if q.kind == "log":
            return await self._log(repo, sha, q, limit)
        return await self._blame(repo, sha, tree, q)

    async def _log(self, repo: Path, sha: str, q: HistoryQuery, limit: int) -> HistoryAnswer:
        what = ["-L", f":{q.function}:{q.file}", "-s"] if q.function else ["--", q.file]
        code, out = await run(
            ["git", "-C", repo, "log", f"-n{limit}", f"--format={FORMAT}", "--date=short", sha]
            + what,
            check=False,
        )
        if code:
            return HistoryAnswer(available=True, note=f"error: git log: {out.strip()[-300:]}")
        commits = [_commit(line) for line in out.splitlines() if "\x1f" in line]
        note = "" if commits else "no commit touches it"
        return HistoryAnswer(available=True, commits=commits, note=note)

    async def _blame(self, repo: Path, sha: str, tree: Path, q: HistoryQuery) -> HistoryAnswer:
        start = max(1, q.start or 1)
        end = min(q.end or start + 20, start + MAX_BLAME_LINES - 1)
        lines, commits, error = await _blame(repo, sha, tree, q.file, start, end)
        if error:
            return HistoryAnswer(available=True, note=f"error: git blame: {error}")
        text = "\n".join(
            f"{(c[:12] if c != UNCOMMITTED else 'not-committed')} {n}: {code}"
            for n, c, code in lines
        )
        return HistoryAnswer(available=True, commits=list(commits.values()), text=text)

    async def _fixes(self, repo: Path, sha: str, tree: Path, patch: str) -> HistoryAnswer:
        touched = changed_lines(patch)
        if not touched:
            return HistoryAnswer(available=True, note="the patch changes no existing lines")
        found: dict[str, tuple[int, Commit]] = {}
        for file, numbers in touched.items():
            if not _safe(file) or not (tree / file).is_file():
                continue
            for start, end in _runs(numbers):
                _, commits, _ = await _blame(repo, sha, tree, file, start, end, times=found)
        candidates = sorted(found.values(), key=lambda tc: tc[0], reverse=True)
        for _, commit in candidates:
            code, _ = await run(
                ["git", "-C", repo, "merge-base", "--is-ancestor", commit.sha, sha], check=False
            )
            if code == 0:
                line = f'Fixes: {commit.sha[:12]} ("{commit.subject}")'
                return HistoryAnswer(available=True, commits=[commit], fixes=line)
        return HistoryAnswer(available=True, note="no committed line of the patch's context")


async def _blame(repo, sha, tree, file, start, end, times=None):
    """(line number, commit sha, code) per line of the tree's file; the commits; an error.

    The tree's file may differ from the commit's (a bug's inject patch): its lines
    are matched to the commit's first, and lines with no match are not committed.
    """
    mine = (tree / file).read_text(errors="replace").splitlines()
    end = min(end, len(mine))
    if start > end:
        return [], {}, f"{file} has {len(mine)} lines"
    code, theirs = await run(["git", "-C", repo, "show", f"{sha}:{file}"], check=False)
    mapping = _line_map(mine, theirs.splitlines() if code == 0 else [])
    wanted = [mapping[n] for n in range(start, end + 1) if n in mapping]
    by_line: dict[int, str] = {}
    commits: dict[str, dict] = {}
    if wanted:
        code, out = await run(
            ["git", "-C", repo, "blame", "--porcelain", "-L", f"{min(wanted)},{max(wanted)}"]
            + [sha, "--", file],
            check=False,
        )
        if code:
            return [], {}, out.strip()[-300:]
        by_line, commits = _porcelain(out)
    lines = [
        (n, by_line.get(mapping.get(n, 0), UNCOMMITTED), mine[n - 1]) for n in range(start, end + 1)
    ]
    out_commits = {}
    for c, meta in commits.items():
        commit = Commit(sha=c, subject=meta.get("summary", ""), author=meta.get("author", ""))
        out_commits[c] = commit
        if times is not None:
            times[c] = (int(meta.get("committer-time", "0")), commit)
    return lines, out_commits, ""


def _line_map(mine: list[str], theirs: list[str]) -> dict[int, int]:
    """1-based line numbers of `mine` -> the equal line of `theirs`."""
    if mine == theirs:
        return {n: n for n in range(1, len(mine) + 1)}
    matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
    out = {}
    for a, b, size in matcher.get_matching_blocks():
        for i in range(size):
            out[a + i + 1] = b + i + 1
    return out


def _porcelain(out: str) -> tuple[dict[int, str], dict[str, dict]]:
    """git blame --porcelain: final line number -> commit sha, and each commit's headers."""
    by_line: dict[int, str] = {}
    commits: dict[str, dict] = {}
    current = None
    for raw in out.splitlines():
        header = re.match(r"^([0-9a-f]{40}) \d+ (\d+)", raw)
        if header:
            current = header.group(1)
            by_line[int(header.group(2))] = current
            commits.setdefault(current, {})
        elif current and not raw.startswith("\t") and " " in raw:
            key, _, value = raw.partition(" ")
            commits[current].setdefault(key, value)
    commits.pop(UNCOMMITTED, None)
    return by_line, commits


def changed_lines(patch: str) -> dict[str, list[int]]:
    """Old-side line numbers a unified diff removes, or (for pure additions) lines beside them."""
    out: dict[str, list[int]] = {}
    file, old, in_change = None, 0, False
    for line in patch.splitlines():
        if line.startswith("--- "):
            name = line[4:].split("\t")[0].strip()
            file = name[2:] if name.startswith("a/") else None
            continue
        if line.startswith("+++ "):
            continue
        m = HUNK.match(line)
        if m:
            old = int(m.group(1))
            continue
        if file is None or not line:
            continue
        if line[0] == "-":
            out.setdefault(file, []).append(old)
            old += 1
            in_change = True
        elif line[0] == "+":
            if not in_change:  # a pure addition: the lines on either side
                out.setdefault(file, []).extend(n for n in (old - 1, old) if n > 0)
                in_change = True
        elif line[0] == " ":
            old += 1
            in_change = False
    return {f: sorted(set(ns)) for f, ns in out.items()}


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _commit(line: str) -> Commit:
    sha, author, date, subject = (line.split("\x1f") + ["", "", ""])[:4]
    return Commit(sha=sha, author=author, date=date, subject=subject)


def _safe(file: str) -> bool:
    return not file.startswith("/") and ".." not in Path(file).parts
