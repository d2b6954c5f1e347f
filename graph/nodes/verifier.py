"""check and verify (the end of each branch): compile-check the patch, then ask the platform.

Patches that made no edit or do not compile are judged without VM time; the
compiler's errors go back to the patcher (`FixOptions.compile_rounds` times).
Verification stops at the patch's first crash (the verdict cannot change).
Siblings: when one hypothesis of an iteration resolves, the others still
verifying finish their runs by default (their verdicts feed the choice among
resolved patches); with `siblings="cancel"` they stop at once, a run waiting for
or using a VM included (the sibling counts as resolved once its runs decide it,
before its quality checks).
In human-in-the-loop mode the branch pauses (LangGraph `interrupt`) before
verifying, so a person can approve, edit or reject the patch.
"""

from __future__ import annotations

from langchain_core.messages import HumanMessage, messages_from_dict, messages_to_dict
from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from graph import prompts
from graph.context import Deps
from graph.nodes.patcher import workspace
from graph.state import Branch, Hypothesis, Outcome
from kgym.judge import bug_build_request, verify
from kgym.models import Verdict

COMPILED_SUFFIXES = (".c", ".S")


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


def quality_of(v: Verdict, patch: str, files: list[str]) -> dict:
    """The verdict's `quality` when the platform gives one, else what we can count here."""
    given = getattr(v, "quality", None)
    own = {
        "hunks": sum(1 for line in patch.splitlines() if line.startswith("@@")),
        "files": len(files),
        "new_compiler_warnings": warnings_in(v, files),
    }
    if given is None:
        return own
    return {**own, **(given.model_dump() if hasattr(given, "model_dump") else dict(given))}


async def compile_errors(deps: Deps, h: Hypothesis, patch: str, files: list[str]) -> list[str]:
    """Compile the touched files with the patch applied; [] when they build."""
    targets = [f for f in files if f.endswith(COMPILED_SUFFIXES)]
    if not targets:
        return []  # headers only: the verifier's full build judges them
    with deps.tracer.span("patcher", "platform.compile_check", h["id"], files=targets) as out:
        result = await deps.need_platform().compile_check(
            bug_build_request(deps.bug, patch), targets
        )
        out.update(ok=result.ok, platform_s=result.duration_s)
    return [] if result.ok else result.error_messages()


async def check_node(b: Branch, runtime: Runtime[Deps]) -> dict:
    """Judge what can be judged without VM time; send compiler errors back once."""
    deps = runtime.context
    h: Hypothesis = dict(b["hypothesis"])  # type: ignore[assignment]
    stop = b.get("stop") or ""
    ws = workspace(deps, b)
    patch, files = ws.diff(), ws.changed_files()
    h.update(patch=patch, files=files, stop=stop)
    if b.get("budget_spent"):
        h.update(outcome=Outcome.STOPPED.value, feedback=f"not judged: {stop}")
    elif not patch:
        h.update(outcome=Outcome.NO_PATCH.value, feedback="the patcher made no edit")
        if stop:
            h["feedback"] += f" ({stop})"
    else:
        errors = await compile_errors(deps, h, patch, files)
        h["compile_errors"] = errors
        if errors and not stop and b.get("compile_rounds", 0) < deps.options.compile_rounds:
            messages = messages_from_dict(b["messages"])
            text = prompts.render("patcher", "compile_errors", errors="\n".join(errors))
            messages.append(HumanMessage(text))
            return {
                "messages": messages_to_dict(messages),
                "compile_rounds": b.get("compile_rounds", 0) + 1,
                "hypothesis": h,
            }
        if errors:
            listed = "\n".join(errors[:10])
            h.update(outcome=Outcome.BUILD_ERROR.value, feedback=f"does not compile:\n{listed}")
    if h.get("outcome"):
        _verdict_event(deps, h)
    return {"hypothesis": h, "hypotheses": [h]}


def after_check(b: Branch) -> str:
    h = b["hypothesis"]
    if h.get("outcome"):
        return END
    return "verify" if "compile_errors" in h and not h["compile_errors"] else "turn"


def _review(h: Hypothesis) -> tuple[str, str]:
    """Pause for a person: returns (action, patch); action is approve, edit or reject."""
    answer = interrupt({"hypothesis": h["id"], "root_cause": h["root_cause"], "patch": h["patch"]})
    answer = answer if isinstance(answer, dict) else {"action": str(answer)}
    action = answer.get("action", "approve")
    if action not in ("approve", "edit", "reject"):
        raise ValueError(f"review answer {answer!r}: action must be approve, edit or reject")
    return action, answer.get("patch", h["patch"]) if action == "edit" else h["patch"]


async def verify_node(b: Branch, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    h: Hypothesis = dict(b["hypothesis"])  # type: ignore[assignment]
    action, patch = _review(h) if deps.options.human else ("approve", h["patch"])
    if action == "reject":
        h.update(outcome=Outcome.REJECTED.value, feedback="a reviewer rejected the patch")
    else:
        h["patch"] = patch
        iteration = h.get("iteration", 0)

        resolved = deps.resolved[iteration]
        cancel = resolved if deps.options.siblings == "cancel" else None

        def settled(verdict: Verdict) -> None:
            if verdict.resolved:
                resolved.set()

        with deps.tracer.span("verifier", "platform.verify", h["id"]) as out:
            verdict = await verify(
                deps.need_platform(),
                deps.bug,
                patch,
                runs=deps.options.verify_runs,
                run_id=deps.run_id,
                cancel=cancel,
                on_settled=settled,
            )
            out.update(
                resolved=verdict.resolved,
                title=verdict.title,
                runs=verdict.runs,
                platform_s=verdict.duration_s,
                build_s=verdict.build.duration_s if verdict.build else 0.0,
                vm_s=sum((r.boot_s or 0.0) + (r.run_s or 0.0) for r in verdict.run_results),
            )
        outcome, feedback = classify(verdict)
        if (
            cancel is not None
            and cancel.is_set()
            and not (verdict.resolved or verdict.crashed_runs)
        ):
            outcome, feedback = Outcome.CANCELLED, "a sibling resolved first; verification stopped"
        h.update(
            outcome=outcome.value,
            feedback=feedback,
            crash_title=verdict.title,
            warnings=warnings_in(verdict, h.get("files") or []),
            quality=quality_of(verdict, patch, h.get("files") or []),
            node=verdict.node,
            retries=verdict.retries,
        )
    _verdict_event(deps, h)
    return {"hypothesis": h, "hypotheses": [h]}


def _verdict_event(deps: Deps, h: Hypothesis) -> None:
    deps.tracer.event(
        "verifier", "verdict", h["id"], outcome=str(h["outcome"]), feedback=h["feedback"][:500]
    )
