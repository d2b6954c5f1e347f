"""A tiny kbuild-shaped source tree (fake_kernel/) and helpers to build it with BuildCache.

The "kernel" is a host program printing `value=N`, so a test can run what was
built and see which patch it contains.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from actors.build_cache import kconfig
from kgym.models import BuildRequest, SourceSpec

FAKE = Path(__file__).parent / "fake_kernel"
VALUE_C = (FAKE / "value.c").read_text()


def make_source(dest: Path) -> Path:
    shutil.copytree(FAKE, dest)
    known = [*kconfig.requested(kconfig.fragment()), "CONFIG_64BIT", "CONFIG_FAKE_EXTRA"]
    (dest / "Kconfig.known").write_text("\n".join(known) + "\n")
    return dest


def value_patch(n: int, old: int = 1) -> str:
    before = VALUE_C.replace("return 1;", f"return {old};")
    return udiff("value.c", before, before.replace(f"return {old};", f"return {n};"))


def udiff(name: str, old: str, new: str) -> str:
    a = [f"--- a/{name}\n", f"+++ b/{name}\n"]
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    a.append(f"@@ -1,{len(old_lines)} +1,{len(new_lines)} @@\n")
    a += [f"-{x}" for x in old_lines] + [f"+{x}" for x in new_lines]
    return "".join(a)


def request(kernel: Path, *patches: str, fragment: str = "") -> BuildRequest:
    src = SourceSpec(kind="dir", path=str(kernel))
    return BuildRequest(source=src, patches=list(patches), config_fragment=fragment)


def run_kernel(result) -> str:
    return subprocess.run([result.artifacts.vmlinux], capture_output=True, text=True).stdout
