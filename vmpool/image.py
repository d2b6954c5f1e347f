"""The guest image: an initramfs with busybox, dropbear and a generated key pair.

Built once per set of inputs (busybox, dropbear and its libraries, the files in
vmpool/guest/) and cached under settings().home/images/<digest>/.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from kgym.resources import package_path
from kgym.settings import settings
from vmpool import cpio

BUSYBOX = Path("/bin/busybox")
DROPBEAR = Path("/usr/sbin/dropbear")
DROPBEARKEY = "dropbearkey"
GUEST_FILES = package_path("vmpool", "guest")
HOST_KEY = "etc/dropbear/dropbear_ed25519_host_key"
FORMAT = "1"  # bump when the layout below changes

_DIRS = [
    "bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "etc/dropbear", "proc", "sys",
    "dev", "tmp", "var", "var/run", "lib", "lib64", "lib/x86_64-linux-gnu", "root",
]  # fmt: skip
_ETC = {
    "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n",
    "etc/group": b"root:x:0:\ntty:x:5:\n",
    "etc/shells": b"/bin/sh\n",
}


@dataclass(frozen=True)
class GuestImage:
    """A built image: the initramfs, the client key for asyncssh, the pinned host key."""

    dir: Path

    @property
    def initramfs(self) -> Path:
        return self.dir / "initramfs.cpio.gz"

    @property
    def client_key(self) -> Path:
        return self.dir / "client_key"

    @property
    def host_key_pub(self) -> Path:
        return self.dir / "host_key.pub"


class ImageError(RuntimeError):
    """The guest image cannot be built on this host (missing tool or file)."""


def shared_libraries(binary: Path) -> list[Path]:
    """The absolute paths `ldd` names for `binary` (the loader included)."""
    try:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise ImageError(f"ldd {binary}: {e}") from e
    return [Path(p) for p in re.findall(r"(/\S+) \(0x", out.stdout)]


def _inputs() -> list[Path]:
    for p in (BUSYBOX, DROPBEAR):
        if not p.is_file():
            raise ImageError(f"{p} is missing: install busybox-static and dropbear-bin")
    return [BUSYBOX, DROPBEAR, *shared_libraries(DROPBEAR), *sorted(GUEST_FILES.iterdir())]


def digest(inputs: list[Path]) -> str:
    h = hashlib.sha256(FORMAT.encode())
    for p in inputs:  # guest files by name: the same image from any checkout
        name = p.name if p.parent == GUEST_FILES else str(p)
        h.update(name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def _keys(out: Path) -> tuple[bytes, bytes]:
    """Make the client and host keys in `out`; (authorized_keys line, dropbear host key)."""
    client = asyncssh.generate_private_key("ssh-ed25519", comment="kgym")
    client.write_private_key(out / "client_key")
    (out / "client_key").chmod(0o600)
    host = out / "host_key"
    try:
        subprocess.run([DROPBEARKEY, "-t", "ed25519", "-f", str(host)], capture_output=True,
                       check=True)  # fmt: skip
        pub = subprocess.run([DROPBEARKEY, "-y", "-f", str(host)], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as e:
        raise ImageError(f"{DROPBEARKEY}: {e}") from e
    line = next((ln for ln in pub.splitlines() if ln.startswith("ssh-ed25519 ")), None)
    if line is None:
        raise ImageError(f"{DROPBEARKEY} -y printed no ssh-ed25519 key: {pub!r}")
    (out / "host_key.pub").write_text(line + "\n")
    return client.export_public_key(), host.read_bytes()


def _entries(authorized_key: bytes, host_key: bytes) -> list[cpio.Entry]:
    libs = shared_libraries(DROPBEAR)
    return [
        *(cpio.directory(d) for d in _DIRS),
        cpio.directory("root/.ssh", 0o700),
        cpio.file("bin/busybox", BUSYBOX.read_bytes(), 0o755),
        cpio.file("usr/sbin/dropbear", DROPBEAR.read_bytes(), 0o755),
        *(cpio.file(str(lib), lib.resolve().read_bytes(), 0o755) for lib in libs),
        cpio.file("init", (GUEST_FILES / "init").read_bytes(), 0o755),
        cpio.file("etc/inittab", (GUEST_FILES / "inittab").read_bytes()),
        *(cpio.file(name, data) for name, data in _ETC.items()),
        cpio.file(HOST_KEY, host_key, 0o600),
        cpio.file("root/.ssh/authorized_keys", authorized_key, 0o600),
    ]


def build_image(home: Path | None = None) -> GuestImage:
    """The cached image for the current inputs, building it first if needed (blocking)."""
    images = (home or settings().home) / "images"
    image = GuestImage(images / digest(_inputs()))
    if image.initramfs.is_file():
        return image
    images.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=images))
    try:
        authorized, host_key = _keys(tmp)
        (tmp / "initramfs.cpio.gz").write_bytes(cpio.gzipped(_entries(authorized, host_key)))
        try:
            os.rename(tmp, image.dir)
        except OSError:  # another process built it first
            if not image.initramfs.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return image
