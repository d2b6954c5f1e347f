"""Prompt templates, one file per node in `prompts/`, sections `=== name ===`.

Templates use `string.Template` placeholders (`$name`), so kernel code with
braces needs no escaping; a missing value is an error, not a silent blank.
"""

from __future__ import annotations

import re
from functools import cache
from string import Template

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from kgym.resources import package_path

PROMPTS_DIR = package_path("prompts")
_SECTION = re.compile(r"^=== (\w+) ===$", re.MULTILINE)


@cache
def sections(node: str) -> dict[str, Template]:
    """The named sections of `prompts/<node>.md`."""
    path = PROMPTS_DIR / f"{node}.md"
    parts = _SECTION.split(path.read_text())
    if len(parts) < 3 or parts[0].strip():
        raise ValueError(f"{path}: expected '=== system ===' and '=== user ===' sections")
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


def messages(node: str, **values: object) -> list[BaseMessage]:
    """The system and user messages of `node`'s prompt."""
    return [
        SystemMessage(render(node, "system", **values)),
        HumanMessage(render(node, "user", **values)),
    ]
