"""reports/summary.md: the report in a pull-request comment (CML style): the targets against the baseline, as
`dvc metrics diff --md` rows, the regressions past the noise, and links to three failing clips."""

from __future__ import annotations

from t2v.report.compare import Move, RunContext

FAILING_SHOWN = 3


def summary_markdown(run: RunContext, checks: list[tuple], found: list[Move], failures: list[dict]) -> str:
    base = run.baseline.commit if run.baseline else "none"
    lines = [
        f"## t2v: {run.describe(code='`{}`')}",
        "",
    ]
    falls = [m for m in found if m.change < 0]
    if falls:
        lines += [f"**{len(falls)} regression(s) past the run-to-run noise:**", ""]
        lines += [f"- {m.figure}: {m.before:.2f} → {m.after:.2f} ({m.change:+.2f})" for m in falls]
    elif run.baseline:
        lines.append("No figure fell past the run-to-run noise.")
    lines += [
        "",
        f"| Path | Metric | {base} | workspace | Change | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for _label, key, value, before, target, at_most, met in checks:
        now = "-" if value is None else f"{value:.3f}"
        then = "-" if before is None else f"{before:.3f}"
        change = "-" if value is None or before is None else f"{value - before:+.3f}"
        path = "reports/metrics.json" if key != "time_s" else "(train + evaluate)"
        bound = "-" if target is None else f"{'≤' if at_most else '≥'} {target:g}"
        mark = "-" if met is None else "✓" if met else "✗"
        lines.append(f"| {path} | {key} | {then} | {now} | {change} | {bound} | {mark} |")
    if failures:
        lines += ["", "Failing clips (the judge's reasons; the report shows them beside ground truth):", ""]
        for row in failures[:FAILING_SHOWN]:
            lines.append(f"- [{row['prompt']}](videos/{row['gif']}): {'; '.join(row['saw'])}")
    else:
        lines += ["", "No clip fails a check."]
    lines += ["", "Full report: `reports/index.html`."]
    return "\n".join(lines) + "\n"
