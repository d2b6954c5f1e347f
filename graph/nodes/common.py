"""Helpers the nodes share: how the bug, its frames and the analysis are shown to the model."""

from __future__ import annotations

import re

from graph.state import Analysis, BugView, Candidate, Hypothesis
from graph.tools import ToolError, Workspace
from kgym.models import CodeQuery
from kgym.platform import Platform

MAX_REPORT_CHARS = 6000
MAX_REPRODUCER_CHARS = 6000
MAX_STACK_LINES = 16
MAX_FRAMES = 6
SNIPPET_LINES = 20

# Frames that belong to the reporting machinery or syscall plumbing, not to the bug.
NOISE = re.compile(
    r"^(_+)?(kasan|asan|ubsan|kmsan|kcsan|sanitizer|dump_stack|print_|check_memory|"
    r"check_region|report|warn|panic|do_syscall|entry_|x64_sys|do_sys|se_sys|ret_from|"
    r"kthread|worker_thread|process_one_work|asm_|mem(cpy|set|move)|str(cpy|len)|"
    r"save_stack|stack_trace|kmem_cache_|kmalloc|kfree|slab_|__slab|set_track|"
    r"lock_acquire|lock_release|_raw_spin|mutex_lock|mutex_unlock)"
)
# Console prefixes: "[  502.159473][ T9186] " and the like.
_PREFIX = re.compile(r"^\s*\[\s*\d+\.\d+\](?:\[\s*[CT]\d+\])?\s?")
_STACK_HEAD = re.compile(r"^(Allocated|Freed|Last potentially related work creation) by task")


def crash_class(title: str) -> str:
    """The crash class a title names (the guidance section), or "other"."""
    t = title.lower()
    for words, cls in (
        (("use-after-free", "double-free", "invalid-free", "refcount"), "use-after-free"),
        (
            ("out-of-bounds", "slab-out-of-bounds", "array-index", "shift-out-of-bounds"),
            "out-of-bounds",
        ),
        (("memory leak",), "leak"),
        (
            ("deadlock", "lock order", "inconsistent lock", "sleeping function", "hung task"),
            "deadlock",
        ),
        (("null-ptr-deref", "null pointer", "general protection fault"), "null-deref"),
        (("warning", "bug:", "kernel bug", "assert"), "warning"),
    ):
        if any(w in t for w in words):
            return cls
    return "other"


def report_text(bug: BugView) -> str:
    """The crash report as the model reads it (bounded)."""
    report = bug["report"]
    text = report.get("report") or "\n".join(
        [report.get("title") or bug["title"]]
        + [
            f"  {f['function']} {f.get('file') or ''}:{f.get('line') or ''}"
            for f in report.get("frames", [])
        ]
    )
    return _clip(text, MAX_REPORT_CHARS)


def reproducer_text(bug: BugView) -> str:
    return _clip(bug["reproducer"], MAX_REPRODUCER_CHARS)


def object_stacks(bug: BugView) -> str:
    """The allocation and free stacks of the object a report is about (KASAN), bounded."""
    lines = [_PREFIX.sub("", line) for line in (bug["report"].get("report") or "").splitlines()]
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _STACK_HEAD.match(lines[i]):
            out.append(lines[i])
            i += 1
            kept = 0
            while i < len(lines) and lines[i].startswith((" ", "\t")) and lines[i].strip():
                function = lines[i].strip().split("+")[0]
                if not NOISE.match(function) and kept < MAX_STACK_LINES:
                    out.append(lines[i])
                    kept += 1
                i += 1
            out.append("")
        else:
            i += 1
    return "\n".join(out).strip() or "(the report has no allocation or free stack)"


async def located_frames(
    bug: BugView, ws: Workspace, platform: Platform | None, request
) -> list[Candidate]:
    """The report's frames that are not noise, located in the tree (file and line)."""
    report = bug["report"]
    guilty = report.get("guilty_file")
    out: list[Candidate] = []
    for frame in report.get("frames", []):
        function = frame["function"].split(".")[0]
        if NOISE.match(function) or any(c["function"] == function for c in out):
            continue
        file, line = frame.get("file"), frame.get("line")
        if not file and platform is not None:
            file, line = await _define(platform, request, function, guilty)
        if file:
            out.append(Candidate(file=file, function=function, line=line, reason="stack frame"))
        if len(out) >= MAX_FRAMES:
            break
    if guilty and not any(c["file"] == guilty for c in out):
        out.append(Candidate(file=guilty, function="", line=None, reason="guilty file"))
    return out


async def _define(platform, request, function: str, guilty: str | None):
    """`function`'s definition, preferring the guilty file's directory."""
    answer = await platform.code(request, CodeQuery(kind="definition", name=function))
    hits = [h for h in answer.hits if h.kind in ("function", None)] or answer.hits
    if guilty:
        near = guilty.rsplit("/", 1)[0] + "/"
        hits = sorted(hits, key=lambda h: (h.file != guilty, not h.file.startswith(near)))
    return (hits[0].file, hits[0].line) if hits else (None, None)


def frames_text(frames: list[Candidate], ws: Workspace) -> str:
    """Each located frame with the source around it."""
    parts = []
    for c in frames:
        code = ""
        if c["line"]:
            try:
                start = max(1, c["line"] - SNIPPET_LINES // 2)
                code = ws.read_lines(c["file"], start, c["line"] + SNIPPET_LINES // 2)
            except ToolError:
                code = ""
        parts.append(f"{c['function'] or '(file)'} in {c['file']}:{c['line'] or '?'}\n{code}")
    return "\n\n".join(parts) or "(no frame could be located in the tree)"


def analysis_text(analysis: Analysis | None) -> str:
    if not analysis:
        return "(no root-cause analysis)"
    return "\n".join(
        f"- {k.replace('_', ' ')}: {analysis[k]}"  # type: ignore[literal-required]
        for k in ("crash_class", "object", "violation", "where", "explanation", "fix_direction")
        if analysis.get(k)
    )


def candidates_text(candidates: list[Candidate]) -> str:
    if not candidates:
        return "(none found)"
    return "\n".join(
        f"{i}. {c['file']}"
        + (f":{c['line']}" if c.get("line") else "")
        + f" {c['function']}() — {c['reason']}"
        for i, c in enumerate(candidates, 1)
    )


def history_text(hypotheses: list[Hypothesis]) -> str:
    """Earlier hypotheses with their verdicts, for the planner."""
    done = [h for h in hypotheses if h.get("outcome")]
    if not done:
        return "(none yet)"
    return "\n\n".join(
        f"[{h['id']}] root cause: {h['root_cause']}\n  location: {h['location']}\n"
        f"  verdict: {h['outcome']}: {h.get('feedback', '')}\n"
        f"  patch:\n{_indent(_clip(h.get('patch') or '(none)', 3000))}"
        for h in done
    )


def _clip(text: str, limit: int) -> str:
    return (
        text
        if len(text) <= limit
        else text[:limit] + f"\n[... {len(text) - limit} more characters]"
    )


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
