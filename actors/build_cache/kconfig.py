"""Kconfig fragments: the base fragment, parsing requested options, checking the result.

A fragment line is `CONFIG_X=value` or `# CONFIG_X is not set` (the same as
`CONFIG_X=n`); other `#` lines and blank lines are comments. After
merge_config + olddefconfig every requested option must have survived.
"""

from __future__ import annotations

import hashlib
import re

from kgym.resources import package_path

BASE_CONFIG = package_path("actors.build_cache", "configs", "base.config")

_SET = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


class ConfigFailed(Exception):
    """Raised with one message per bad fragment line or dropped option."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def fragment(extra: str = "", base: str | None = None) -> str:
    """The fragment to merge: the base config, then the bug's lines (later lines win)."""
    base = BASE_CONFIG.read_text() if base is None else base
    return base.rstrip("\n") + "\n\n# --- request fragment\n" + extra.strip("\n") + "\n"


def requested(text: str) -> dict[str, str]:
    """Option -> value ("n" for not set) of a fragment; raises ConfigFailed on bad lines."""
    options: dict[str, str] = {}
    errors = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if m := _SET.match(line):
            options[m.group(1)] = m.group(2)
        elif m := _UNSET.match(line):
            options[m.group(1)] = "n"
        elif line and not line.startswith("#"):
            errors.append(f"fragment line {n}: {raw!r} is not a CONFIG_ option")
    if errors:
        raise ConfigFailed(errors)
    return options


def values(config: str) -> dict[str, str]:
    """Option -> value of a full .config (options not set are absent)."""
    return {m.group(1): m.group(2) for line in config.splitlines() if (m := _SET.match(line))}


def check(config: str, wanted: dict[str, str]) -> list[str]:
    """One message per requested option that the merged .config does not have."""
    have = values(config)
    errors = []
    for name, want in wanted.items():
        got = have.get(name, "n")
        if got != want:
            shown = "is not set" if got == "n" else f"is {got}"
            errors.append(
                f"{name}={want} was requested but {shown} after olddefconfig "
                "(a dependency is missing or the option does not exist)"
            )
    return errors


def canonical(wanted: dict[str, str]) -> str:
    """The fragment file merge_config reads: one line per option, overrides resolved."""
    return "".join(f"# {k} is not set\n" if v == "n" else f"{k}={v}\n" for k, v in wanted.items())


def digest(wanted: dict[str, str]) -> str:
    """A hash of what a fragment asks for (comments and order of overrides do not count)."""
    return hashlib.sha256(canonical(wanted).encode()).hexdigest()
