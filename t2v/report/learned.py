"""The report's learned-judge section: judge_acc and fvd per split beside their reference levels, and per
motion beside the rule judges' verdicts, where the two judges disagree counted both ways."""

from __future__ import annotations

import html

# scores.json's kinds of disagreement (t2v.classifier.scoring.KINDS), as the report words them
KINDS = {
    "learned_only": "whose motion the learned judge passes and the rule judge fails",
    "rule_only": "whose motion the rule judge passes and the learned judge fails",
}

NOTE = (
    "A 3D CNN trained on real clips of its own (stage train-judge), frozen. judge_acc: the share of "
    "clips whose every head agrees with the prompt (objects, colours, each object's shape and motion). "
    "fvd: the Fréchet distance of its features between the generated clips and real clips of the same "
    "prompts; real against real is the floor, shuffled frames and one clip repeated are what broken motion "
    "and a collapsed generator score. A disagreement with the rule judges is a bug in one judge or the other."
)


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def disagreements_table(rows: dict[str, list[str]]) -> str:
    """The clips on whose motion the judges disagree, per kind (rows: table rows, by kind)."""
    if not any(rows.values()):
        return "<p>The two judges agree on the motion of every clip.</p>"
    parts = [
        f"<p>Clips {html.escape(label)}: the prompts where this happens most, one clip each.</p>"
        "<div class=scroll><table><tr><th>prompt, and what each judge read</th><th>clip</th>"
        f"<th>ground truth</th></tr>{''.join(rows[kind])}</table></div>"
        for kind, label in KINDS.items()
        if rows.get(kind)
    ]
    return "".join(parts)


def learned_section(learned: dict, disagreements: dict[str, list[str]]) -> str:
    """HTML for scores.json's "learned" part and the clips the two judges disagree on (table rows by kind);
    a note where the run has none."""
    if not learned:
        return "<p>No learned-judge scores in this run.</p>"
    refs = learned["references"]
    splits = "".join(
        _row([name, f"{v['judge_acc']:.3f}", f"{v['fvd']:.2f}", f"{v['fvd_real']:.2f}", str(v["clips"])])
        for name, v in learned["per_split"].items()
        if v
    )
    motions = "".join(
        _row(
            [
                html.escape(motion),
                f"{v['judge_acc']:.3f}",
                f"{v['fvd']:.2f}",
                f"{v['learned_motion']:.3f}",
                f"{v['rule_motion']:.3f}",
                str(v["learned_only"]),
                str(v["rule_only"]),
            ]
        )
        for motion, v in learned["per_motion"].items()
    )
    return (
        f"<p>{NOTE}</p><p>fvd reference levels, all one-object prompts: real against real "
        f"{refs['fvd_real']:.2f}, shuffled frames {refs['fvd_shuffled']:.2f}, one clip repeated "
        f"{refs['fvd_collapsed']:.2f}, one clip repeated per prompt "
        f"{refs['fvd_collapsed_per_prompt']:.2f}.</p>"
        "<div class=scroll><table><tr><th>split</th><th>judge_acc</th><th>fvd</th><th>fvd real vs real</th>"
        "<th>clips</th></tr>"
        f"{splits}</table></div>"
        "<div class=scroll><table><tr><th>motion</th><th>judge_acc</th><th>fvd</th><th>learned motion</th>"
        "<th>rule motion</th>"
        "<th>learned passes, rules fail</th><th>rules pass, learned fails</th></tr>"
        f"{motions}</table></div>" + disagreements_table(disagreements)
    )
