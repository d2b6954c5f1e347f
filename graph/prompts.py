"""Prompt templates, one file per node in `prompts/`, sections `=== name ===`.

Templates use `string.Template` placeholders (`$name`), so kernel code with
braces needs no escaping; a missing value is an error, not a silent blank.
Each file starts with a `version: N` line, recorded in the run (`versions()`).
`prompts/guidance.md` holds how kernel developers fix each crash class; nodes
pick the section of the bug's class (`guidance()`). Every prompt is read here,
so where the files live is decided in one place.
"""

from __future__ import annotations

import re
from functools import cache
from string import Template

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from kgym.resources import package_path

PROMPTS_DIR = package_path("prompts")
_SECTION = re.compile(r"^=== ([\w-]+) ===$", re.MULTILINE)
_VERSION = re.compile(r"\Aversion: (\S+)\n")
NODES = ("rootcause", "localizer", "planner", "patcher", "submit", "guidance")


@cache
def _read(node: str) -> tuple[str, str]:
    """(version, body) of `prompts/<node>.md`."""
    path = PROMPTS_DIR / f"{node}.md"
    text = path.read_text()
    m = _VERSION.match(text)
    if not m:
        raise ValueError(f"{path}: the first line must be 'version: N'")
    return m.group(1), text[m.end() :]


def versions() -> dict[str, str]:
    """Each prompt file's version, for the run's record."""
    return {node: _read(node)[0] for node in NODES}


@cache
def sections(node: str) -> dict[str, Template]:
    """The named sections of `prompts/<node>.md`."""
    path = PROMPTS_DIR / f"{node}.md"
    parts = _SECTION.split(_read(node)[1])
    if len(parts) < 3 or parts[0].strip():
        raise ValueError(f"{path}: expected '=== name ===' sections")
    return {
        name: Template(body.strip()) for name, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def render(node: str, section: str, **values: object) -> str:
    """One section of `prompts/<node>.md` with `values` filled in."""
    template = sections(node).get(section)
    if template is None:
        raise ValueError(f"prompts/{node}.md: no section '=== {section} ==='")
    try:
        return template.substitute({k: str(v) for k, v in values.items()})
    except KeyError as e:
        raise ValueError(f"prompts/{node}.md [{section}]: no value for {e}") from None


def messages(
    node: str, sections: tuple[str, str] = ("system", "user"), **values: object
) -> list[BaseMessage]:
    """The system and user messages of `node`'s prompt (two of its sections)."""
    system, user = sections
    return [
        SystemMessage(render(node, system, **values)),
        HumanMessage(render(node, user, **values)),
    ]


CLASSES = ("use-after-free", "out-of-bounds", "leak", "warning", "deadlock", "null-deref")


def guidance(crash_class: str | None) -> str:
    """How kernel developers fix `crash_class`, and what every good patch looks like."""
    parts = sections("guidance")
    general = parts["general"].template
    specific = parts.get(crash_class or "")
    return general if specific is None else f"{specific.template}\n\n{general}"
