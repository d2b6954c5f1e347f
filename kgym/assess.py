"""The quality of a patch beside its verdict (DESIGN.md, 'Verdicts'), over the Platform.

Complexity (hunks, files), the tree's checkpatch.pl, new compiler warnings in the
touched .c files (each compiled afresh on the buggy and on the patched tree), new
warnings in the patched kernel's boot log against the buggy kernel's, and the
silencing rules of kgym.quality. What cannot be measured is None, with a note.
"""

from __future__ import annotations

from kgym import quality
from kgym.models import BuildRequest, Quality, ReproductionRecord, Verdict
from kgym.patchinfo import FileInfo, hunk_count, hunk_functions, parse_diff, tree_reader
from kgym.platform import Platform


async def assess(
    platform: Platform,
    patch: str,
    base: BuildRequest,
    verdict: Verdict,
    record: ReproductionRecord | None,
) -> Quality:
    """Every quality check of `patch` on the buggy tree `base` (the verdict gives its
    build and its runs' boot warnings; the record the buggy kernel's)."""
    try:
        files = parse_diff(patch)
    except ValueError as e:
        return Quality(hunks=0, files=0, notes=[str(e)])
    q = Quality(hunks=hunk_count(files), files=len(files))
    checked = await platform.checkpatch(base, patch)
    if checked.ok:
        q.checkpatch_errors, q.checkpatch_warnings = checked.errors, checked.warnings
        q.checkpatch_messages = checked.messages
    else:
        q.notes.append(f"checkpatch: {checked.failure}")
    try:
        functions = hunk_functions(files, tree_reader(await platform.checkout(base)))
    except ValueError as e:
        q.notes.append(f"no buggy tree to find the changed functions in: {e}")
        functions = {}
    stack = set(record.stack_functions) if record else set()
    if reason := quality.silencing(files, stack, functions):
        q.silences_symptom, q.silencing_reason = True, reason
    if verdict.built:
        patched = base.model_copy(update={"patches": [*base.patches, patch]})
        await _compiler(platform, base, patched, files, q)
    _boot(verdict, record, q)
    return q


async def _compiler(
    platform: Platform, base: BuildRequest, patched: BuildRequest, files: list[FileInfo], q: Quality
) -> None:
    sources = [f.path for f in files if f.path.endswith(".c") and not (f.created or f.deleted)]
    if not sources:
        q.notes.append("compiler warnings: no existing .c file touched")
        return
    before = await platform.compile_warnings(base, sources)
    after = await platform.compile_warnings(patched, sources)
    if not (before.ok and after.ok):
        failed = "buggy" if not before.ok else "patched"
        names = ", ".join(sources)
        q.notes.append(f"compiler warnings: the {failed} tree's {names} did not compile")
        return
    new = quality.new_compiler_warnings(before.diagnostics, after.diagnostics)
    q.new_compiler_warnings, q.compiler_warning_lines = len(new), new


def _boot(verdict: Verdict, record: ReproductionRecord | None, q: Quality) -> None:
    boots = [r.boot_warnings for r in verdict.run_results if r.boot_warnings is not None]
    if not boots:
        q.notes.append("boot warnings: the patched kernel's boot log was not read")
        return
    if record is None or not record.boots_seen:
        q.notes.append("boot warnings: no boot log of the buggy kernel recorded")
        return
    known = set(record.boot_warnings)
    new = list(dict.fromkeys(w for boot in boots for w in boot if w not in known))
    q.new_boot_warnings, q.boot_warning_lines = len(new), new
