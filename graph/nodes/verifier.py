"""verifier (one per hypothesis): ask the platform for a verdict on the patch.

Patches that made no edit or did not compile are judged without VM time. In
human-in-the-loop mode the run pauses here (LangGraph `interrupt`) so a person
can approve, edit or reject the patch.
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from graph.context import Deps
from graph.state import Hypothesis, Outcome, PatchTask
from kgym.judge import verify
from kgym.models import Verdict


def classify(v: Verdict) -> tuple[Outcome, str]:
    """The verdict's outcome and the feedback the planner reads."""
    errors = "; ".join(v.errors[:5])
    if v.resolved:
        return Outcome.RESOLVED, f"no crash in {v.runs} runs of the reproducer"
    if not v.applied:
        return Outcome.BUILD_ERROR, f"the patch does not apply: {errors}"
    if not v.built:
        return Outcome.BUILD_ERROR, f"the kernel does not build: {errors}"
    if v.infra_error:
        return Outcome.INFRA_ERROR, f"the platform failed (says nothing about the patch): {errors}"
    if v.same_crash_runs:
        return Outcome.SAME_CRASH, (
            f"the same crash ({v.title}) in {v.same_crash_runs} of {v.runs} runs"
        )
    if v.crashed_runs or not v.booted:
        what = v.title or "boot failure"
        return (
            Outcome.OTHER_CRASH,
            f"another crash: {what} in {v.crashed_runs} of {v.runs} runs; {errors}",
        )
    return Outcome.INFRA_ERROR, f"no crash, but only {v.runs} runs completed: {errors}"


def warnings_in(v: Verdict, files: list[str]) -> int:
    """Compiler warnings in the files the patch touched."""
    diags = v.build.diagnostics if v.build else []
    return sum(1 for d in diags if d.severity == "warning" and d.file in files)


def _review(h: Hypothesis) -> tuple[str, str]:
    """Pause for a person: returns (action, patch); action is approve, edit or reject."""
    answer = interrupt({"hypothesis": h["id"], "root_cause": h["root_cause"], "patch": h["patch"]})
    answer = answer if isinstance(answer, dict) else {"action": str(answer)}
    action = answer.get("action", "approve")
    if action not in ("approve", "edit", "reject"):
        raise ValueError(f"review answer {answer!r}: action must be approve, edit or reject")
    return action, answer.get("patch", h["patch"]) if action == "edit" else h["patch"]


async def verifier_node(task: PatchTask, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    h: Hypothesis = dict(task["hypothesis"])  # type: ignore[assignment]
    if not h.get("patch"):
        h.update(outcome=Outcome.NO_PATCH, feedback="the patcher made no edit")
    elif h.get("compile_errors"):
        errors = "\n".join(h["compile_errors"][:10])
        h.update(outcome=Outcome.BUILD_ERROR, feedback=f"does not compile:\n{errors}")
    else:
        action, patch = _review(h) if deps.options.human else ("approve", h["patch"])
        if action == "reject":
            h.update(outcome=Outcome.REJECTED, feedback="a reviewer rejected the patch")
        else:
            h["patch"] = patch
            with deps.tracer.span("verifier", "platform.verify", h["id"]) as out:
                verdict = await verify(
                    deps.need_platform(),
                    deps.bug,
                    patch,
                    runs=deps.options.verify_runs,
                    run_id=deps.run_id,
                )
                out.update(
                    resolved=verdict.resolved,
                    title=verdict.title,
                    platform_s=verdict.duration_s,
                    build_s=verdict.build.duration_s if verdict.build else 0.0,
                    vm_s=sum((r.boot_s or 0.0) + (r.run_s or 0.0) for r in verdict.run_results),
                )
            outcome, feedback = classify(verdict)
            h.update(
                outcome=outcome,
                feedback=feedback,
                crash_title=verdict.title,
                warnings=warnings_in(verdict, h.get("files") or []),
                node=verdict.node,
                retries=verdict.retries,
            )
    h["outcome"] = Outcome(h["outcome"]).value  # a plain string in the checkpoint
    deps.tracer.event(
        "verifier", "verdict", h["id"], outcome=str(h["outcome"]), feedback=h["feedback"][:500]
    )
    return {"hypotheses": [h]}
