"""The guest image: built from the host's busybox and dropbear, cached, keys in place."""

from __future__ import annotations

import subprocess

import asyncssh

from vmpool.image import build_image, shared_libraries


def _members(archive) -> set[str]:
    out = subprocess.run(
        f"zcat {archive} | cpio -it --quiet", shell=True, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_image_has_init_ssh_server_its_libraries_and_keys(tmp_path) -> None:
    image = build_image(tmp_path)
    members = _members(image.initramfs)
    libs = {str(p).lstrip("/") for p in shared_libraries(image_dropbear())}
    assert {"init", "bin/busybox", "usr/sbin/dropbear", "etc/inittab", "etc/passwd"} <= members
    assert "root/.ssh/authorized_keys" in members
    assert "etc/dropbear/dropbear_ed25519_host_key" in members
    assert libs and libs <= members
    assert image.client_key.stat().st_mode & 0o077 == 0
    asyncssh.read_private_key(image.client_key)  # a key asyncssh can use
    assert image.host_key_pub.read_text().startswith("ssh-ed25519 ")


def test_image_is_built_once_and_then_reused(tmp_path) -> None:
    first = build_image(tmp_path)
    stamp = first.initramfs.stat().st_mtime_ns
    again = build_image(tmp_path)
    assert again == first
    assert again.initramfs.stat().st_mtime_ns == stamp
    assert [p.name for p in (tmp_path / "images").iterdir()] == [first.dir.name]


def image_dropbear():
    from vmpool.image import DROPBEAR

    return DROPBEAR
