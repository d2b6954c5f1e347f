"""`kgym bench report DIR`: `DIR/report.md` with PNG plots, from `DIR/results.jsonl`."""

from __future__ import annotations

import json
from pathlib import Path

from bench.metrics import CLOSE_LINE_IOU, GroupStats, Metrics, compute
from bench.results import AttemptResult, BadLine, load_results
from bench.runner import RESULTS
from bench.timing import CATEGORIES, breakdowns


def write_report(run_dir: Path) -> tuple[Path, list[BadLine]]:
    """Write report.md and its plots into `run_dir`; returns the report and the bad lines."""
    results_path = run_dir / RESULTS
    if not results_path.is_file():
        raise ValueError(f"{run_dir}: no {RESULTS} (not a benchmark run directory)")
    results, bad = load_results(results_path)
    if not results:
        raise ValueError(f"{results_path}: no readable results ({len(bad)} bad lines)")
    metrics = compute(results)
    meta_path = run_dir / "run.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    lines = [f"# Benchmark report: {meta.get('suite', run_dir.name)}", ""]
    lines += [
        f"{len(results)} finished attempts from `{RESULTS}`"
        + (f"; expected {len(meta['bugs']) * meta['attempts']}" if meta.get("bugs") else "")
        + ".",
        "",
    ]
    if bad:
        lines += [f"**{len(bad)} unreadable line(s) skipped:**", ""]
        lines += [f"- line {b.line}: {b.reason}" for b in bad[:20]]
        lines.append("")
    for m in metrics:
        lines += _agent_section(m, run_dir)
        lines += _time_section([r for r in results if r.agent == m.agent], run_dir)
    report = run_dir / "report.md"
    report.write_text("\n".join(lines) + "\n")
    return report, bad


def _time_section(results: list[AttemptResult], run_dir: Path) -> list[str]:
    """Where the time went (LLM, build, VM...), from each attempt's event stream."""
    found = breakdowns(run_dir, [r.run_id for r in results if r.run_id])
    if not found:
        return ["### Where the time went", "", "No attempt events under `runs/`.", ""]
    totals = {c: sum(b[c] for b in found.values()) for c in CATEGORIES}
    wall = sum(r.wall_s for r in results if r.run_id in found) or 1.0
    lines = [
        "### Where the time went",
        "",
        f"From the event streams of {len(found)} attempt(s) (`runs/<run_id>/events.jsonl`).",
        "",
        "| category | total s | mean s per attempt | share of wall time |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {c} | {t:.1f} | {t / len(found):.1f} | {_pct(t / wall)} |" for c, t in totals.items()
    ]
    return [*lines, ""]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _group_row(g: GroupStats, ks: list[int]) -> str:
    cells = [
        g.name,
        str(g.bugs),
        str(g.attempts),
        _pct(g.reproduction_rate),
        _pct(g.resolution_rate),
        *(_pct(g.pass_at.get(k)) for k in ks),
        f"{g.wall_s_mean:.0f}",
        f"{g.wall_s_median:.0f}",
        str(g.tokens),
        f"{g.cost_usd:.4f}",
        str(g.errors),
    ]
    return "| " + " | ".join(cells) + " |"


def _agent_section(m: Metrics, run_dir: Path) -> list[str]:
    ks = sorted(m.overall.pass_at)
    head = [
        "crash class",
        "bugs",
        "attempts",
        "reproduced",
        "resolved",
        *(f"pass@{k}" for k in ks),
        "wall s (mean)",
        "wall s (median)",
        "tokens",
        "cost $",
        "errors",
    ]
    lines = [f"## Agent `{m.agent}`", ""]
    lines += [
        f"Resolved {_pct(m.overall.resolution_rate)} of attempts; "
        f"pass@1 {_pct(m.overall.pass_at.get(1))}; "
        f"reproduced {_pct(m.overall.reproduction_rate)} of reproduction tries.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    lines += [_group_row(g, ks) for g in m.by_class]
    lines += [_group_row(m.overall, ks).replace(f"| {m.overall.name} |", "| **all** |", 1), ""]
    lines += [
        "### Per bug",
        "",
        "| bug | crash class | attempts | reproduced | resolved | close | silences symptom "
        "| function IoU | wall s |",
    ]
    lines += ["|---|---|---|---|---|---|---|---|---|"]
    lines += [
        f"| {b.bug} | {b.crash_class} | {b.attempts} | {b.reproduced}/{b.repro_tried} "
        f"| {b.resolved}/{b.attempts} | {b.close}/{b.attempts} | {b.silencing}/{b.attempts} "
        f"| {_num(b.function_iou)} | {b.wall_s:.0f} |"
        for b in m.bugs
    ]
    lines.append("")
    lines += _closeness_section(m)
    for title, name in _plots(m, run_dir):
        lines += [f"![{title}]({name})", ""]
    return lines


def _num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _closeness_section(m: Metrics) -> list[str]:
    """Plausible vs close to the developer's fix, overlap with it, and patch quality."""
    ks = sorted(m.overall.close_pass_at)
    head = ["crash class", "plausible", "close", *(f"close pass@{k}" for k in ks),
            "same function", "file IoU", "function IoU", "silences symptom", "hunks", "files",
            "checkpatch errors", "confidence"]  # fmt: skip

    def row(g: GroupStats, name: str) -> str:
        cells = [name, _pct(g.resolution_rate), _pct(g.close_rate),
                 *(_pct(g.close_pass_at.get(k)) for k in ks), _pct(g.same_function_rate),
                 _num(g.file_iou), _num(g.function_iou), _pct(g.silencing_rate),
                 _num(g.hunks, 1), _num(g.files, 1), str(g.checkpatch_errors),
                 _num(g.confidence, 3)]  # fmt: skip
        return "| " + " | ".join(cells) + " |"

    return [
        "### Against the upstream fix, and patch quality",
        "",
        "Plausible: resolved by the platform's verdict. Close to the developer's fix: "
        "plausible, changing exactly the functions the upstream fix changes, with a line "
        f"IoU of at least {CLOSE_LINE_IOU:.0%} (old-side lines both change). Same function: "
        "the patch changes at least one function the fix changes. IoU: intersection over "
        "union of the files / (file, function) pairs changed. Silences symptom: the named "
        "rules of kgym.quality. Confidence: mean over resolved attempts of "
        "1 - (1 - p)^R, p the buggy kernel's reproduction rate.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *(row(g, g.name) for g in m.by_class),
        row(m.overall, "**all**"),
        "",
    ]


def _plots(m: Metrics, run_dir: Path) -> list[tuple[str, str]]:
    """Draw the agent's PNGs; returns (title, file name) pairs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []

    def save(fig, title: str, stem: str) -> None:
        name = f"{m.agent}-{stem}.png"
        fig.tight_layout()
        fig.savefig(run_dir / name, dpi=110)
        plt.close(fig)
        made.append((title, name))

    classes = m.by_class
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(classes) + 1.8))
    y = range(len(classes))
    ax.barh([i + 0.2 for i in y], [g.resolution_rate * 100 for g in classes], 0.4, label="resolved")
    ax.barh(
        [i - 0.2 for i in y],
        [(g.reproduction_rate or 0) * 100 for g in classes],
        0.4,
        label="reproduced",
    )
    ax.set_yticks(list(y), [g.name for g in classes])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of attempts")
    ax.set_title(f"{m.agent}: reproduction and resolution by crash class")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    save(fig, "Rates by crash class", "rates")

    fig, ax = plt.subplots(figsize=(8, 0.7 * len(classes) + 1.8))
    series = [
        ("plausible", [g.resolution_rate for g in classes]),
        ("close to the fix", [g.close_rate for g in classes]),
        ("same function", [g.same_function_rate or 0 for g in classes]),
        ("function IoU", [g.function_iou or 0 for g in classes]),
        ("file IoU", [g.file_iou or 0 for g in classes]),
    ]
    height = 0.8 / len(series)
    for n, (label, values) in enumerate(series):
        offset = 0.4 - height * (n + 0.5)
        ax.barh([i + offset for i in y], [v * 100 for v in values], height, label=label)
    ax.set_yticks(list(y), [g.name for g in classes])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of attempts (IoU: mean x 100)")
    ax.set_title(f"{m.agent}: against the upstream fix, by crash class")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    save(fig, "Against the upstream fix, by crash class", "fix-overlap")

    ks = sorted(m.overall.pass_at)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(ks, [m.overall.pass_at[k] * 100 for k in ks], marker="o", label="all")
    for g in classes:
        ax.plot(ks, [g.pass_at[k] * 100 for k in ks], alpha=0.5, linestyle="--", label=g.name)
    ax.set_xticks(ks)
    ax.set_ylim(0, 105)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k (%)")
    ax.set_title(f"{m.agent}: pass@k")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    save(fig, "pass@k", "pass-at-k")

    bugs = sorted(m.bugs, key=lambda b: b.wall_s)
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(bugs) + 1.8))
    colors = ["tab:green" if b.resolved else "tab:red" for b in bugs]
    ax.barh([b.bug for b in bugs], [b.wall_s for b in bugs], color=colors)
    ax.set_xlabel("mean wall time per attempt (s); green: resolved at least once")
    ax.set_title(f"{m.agent}: wall time per bug")
    save(fig, "Wall time per bug", "wall-time")
    return made
