"""What a patch needs to be sent upstream: the tree's own get_maintainer and a
`git format-patch` mbox (checkpatch.pl is actors/build_cache/checkpatch.py).

All three run against the buggy tree of a request (its `scripts/` and
`MAINTAINERS`); a tree without the script says so instead of guessing. The
mbox is made in a throwaway repository holding only the touched files, so it
applies with `git am` to any tree whose touched files match the buggy ones.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from actors.build_cache.cache import BuildCache
from actors.build_cache.history import _safe
from actors.build_cache.proc import CommandFailed, run
from kgym.models import BuildRequest, Submission

GET_MAINTAINER = "scripts/get_maintainer.pl"
FILES = re.compile(r"^(?:---|\+\+\+) [ab]/(\S+)", re.MULTILINE)


class Submitter:
    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache

    async def maintainers(self, request: BuildRequest, patch: str) -> list[str]:
        """get_maintainer.pl's recipients of `patch` ("Name <email>" or a list's address)."""
        _, _, tree = await self.cache.tree(request)
        if not (tree / GET_MAINTAINER).is_file() or not (tree / "MAINTAINERS").is_file():
            return []
        with tempfile.TemporaryDirectory(prefix="kgym-maint-") as tmp:
            f = Path(tmp) / "patch"
            f.write_text(patch)
            cmd = ["perl", GET_MAINTAINER, "--no-git", "--no-git-fallback", "--no-rolestats"]
            code, out = await run([*cmd, "--no-status", "--no-subsystem", f], cwd=tree, check=False)
        return [] if code else [line.strip() for line in out.splitlines() if "@" in line]

    async def format_patch(self, request: BuildRequest, s: Submission) -> str:
        """The patch as one `git format-patch` mail (an mbox of one message)."""
        _, _, tree = await self.cache.tree(request)
        files = sorted(set(FILES.findall(s.patch)) - {"dev/null"})
        if not files or not all(_safe(f) for f in files):
            raise ValueError(f"the patch names no usable files: {files}")
        name, email = _person(s.author)
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "HOME": tempfile.gettempdir(),
            "PATH": "/usr/bin:/bin",
        }
        with tempfile.TemporaryDirectory(prefix="kgym-mbox-") as tmp:
            repo = Path(tmp)
            for f in files:
                if (tree / f).is_file():
                    (repo / f).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(tree / f, repo / f)
            (repo / "patch").write_text(s.patch)
            (repo / "message").write_text(f"{s.subject}\n\n{s.body.strip()}\n")
            git = ["git", "-C", repo]
            await run([*git, "init", "-q"], env=env)
            await run([*git, "add", "--", *[f for f in files if (repo / f).exists()]], env=env)
            await run([*git, "commit", "-q", "--allow-empty", "-m", "base"], env=env)
            try:
                await run([*git, "apply", "--index", "patch"], env=env)
            except CommandFailed as e:
                raise ValueError(
                    f"the patch does not apply to the tree: {e.output[-500:]}"
                ) from None
            await run([*git, "commit", "-q", "-F", "message"], env=env)
            to = [f"--to={a}" for a in s.to] + [f"--cc={a}" for a in s.cc]
            _, out = await run([*git, "format-patch", "-1", "--stdout", *to], env=env)
        return out


def _person(text: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*(.+?)\s*<([^<>@\s]+@[^<>\s]+)>\s*", text)
    if not m:
        raise ValueError(f"author {text!r}: expected 'Name <email>'")
    return m.group(1), m.group(2)
