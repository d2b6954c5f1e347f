"""The service's token: what every request that starts, cancels or answers work must carry.

It is generated once into `$KGYM_HOME/service-token` (mode 0600: only its owner reads
it) and sent as `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
import stat
from pathlib import Path

TOKEN_FILE = "service-token"


def token_path(home: Path) -> Path:
    return home / TOKEN_FILE


def load_or_create_token(home: Path) -> str:
    """The token under `home`, created (mode 0600) when there is none yet; a token file
    that others may read is made private again."""
    path = token_path(home)
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
        token = path.read_text().strip()
        if len(token) >= 32:
            return token
        path.unlink()  # empty or truncated: make a new one
        return load_or_create_token(home)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token


def bearer_ok(header: str | None, token: str) -> bool:
    """Does an Authorization header carry `token`? (constant-time comparison)"""
    scheme, _, given = (header or "").partition(" ")
    given_bytes = given.strip().encode("utf-8", "surrogateescape")  # any header text
    return scheme.lower() == "bearer" and hmac.compare_digest(given_bytes, token.encode())


def is_loopback(host: str) -> bool:
    """Is `host` (a name or an address) only reachable from this machine?"""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)
