"""reproduce: check out the buggy tree and get the crash report the agent starts from."""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import Command

from graph.context import Deps
from graph.state import BugView, State
from kgym.judge import bug_build_request, reproduce
from kgym.models import BugSpec, CrashReport


def bug_view(bug: BugSpec, tree: str, report: CrashReport) -> BugView:
    """What the agent may see of `bug`: no fix, no inject patch, no origin."""
    return BugView(
        id=bug.id,
        title=bug.title,
        tree=tree,
        report=report.model_dump(mode="json"),
        reproducer=bug.read(bug.reproducer.file),
        reproducer_type=bug.reproducer.type,
        config=bug.config_fragment(),
    )


async def reproduce_node(state: State, runtime: Runtime[Deps]) -> Command:
    """Build and run the buggy kernel once; stop early when the bug does not reproduce."""
    if state.get("bug"):  # given by the caller (a known report) or a resumed run
        return Command(goto="rootcause")
    deps = runtime.context
    platform = deps.need_platform()
    with deps.tracer.span("reproduce", "platform.checkout"):
        tree = await platform.checkout(bug_build_request(deps.bug))
    with deps.tracer.span("reproduce", "platform.reproduce") as out:
        verdict = await reproduce(platform, deps.bug, runs=1, run_id=deps.run_id)
        out.update(title=verdict.title, same_crash_runs=verdict.same_crash_runs)
    report = next((r.report for r in verdict.run_results if r.report and r.report.crashed), None)
    if report is None or verdict.same_crash_runs == 0:
        why = "; ".join(verdict.errors) or f"saw {verdict.title or 'no crash'}"
        return Command(goto="finish", update={"stop_reason": f"bug not reproduced: {why}"})
    return Command(goto="rootcause", update={"bug": bug_view(deps.bug, tree, report)})
