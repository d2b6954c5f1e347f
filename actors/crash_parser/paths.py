"""Source paths as the kernel tree names them.

A kernel built out of tree (`make O=...`, as kgym's build cache does) prints the paths
of `__FILE__` relative to the build directory ("../src/kernel/signal.c" in a WARNING or
"kernel BUG at" line), and addr2line prints absolute ones: both are cut back to the path
from the tree's top directory ("kernel/signal.c").
"""

from __future__ import annotations

import os

# The top-level directories of a Linux source tree.
KERNEL_TOP_DIRS = frozenset((
    "arch", "block", "certs", "crypto", "drivers", "fs", "include", "init", "io_uring", "ipc",
    "kernel", "lib", "mm", "net", "rust", "samples", "scripts", "security", "sound", "tools",
    "usr", "virt",
))  # fmt: skip


def tree_path(path: str, root: str | None = None) -> str:
    """`path` relative to the kernel tree: past `root` if given and it is under it, else
    from its first top-level kernel directory after a leading "/", "../" or build dir."""
    if not (path.startswith(("/", ".")) or "/../" in path or "/./" in path):
        return path  # the common case: already relative to the tree
    path = os.path.normpath(path)
    if root and path.startswith(root + os.sep):
        return path[len(root) + 1 :]
    parts = path.split(os.sep)
    for i in range(len(parts) - 1):
        if parts[i] in KERNEL_TOP_DIRS and i > 0:
            return os.sep.join(parts[i:])
    return path
