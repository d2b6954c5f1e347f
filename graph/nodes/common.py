"""Small helpers the nodes share: how the bug is shown to the model."""

from __future__ import annotations

from graph.state import BugView, Candidate, Hypothesis

MAX_REPORT_CHARS = 6000
MAX_REPRODUCER_CHARS = 6000


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
