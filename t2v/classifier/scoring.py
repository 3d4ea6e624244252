"""What the frozen learned judge says of a generator's clips, prompt by prompt: judge_acc (every head agrees
with the prompt: MoCoGAN's MCS, extended to words and objects), the Fréchet distance of its features to real
clips of the same prompts (fvd), the motion head's entropies, and where it agrees with the rule judges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from t2v.classifier.frechet import frechet_distance
from t2v.classifier.network import ABSENT, VideoJudge
from t2v.classifier.training import EVAL_BATCH, all_right, answers
from t2v.classifier.truth import objects_of_scenes
from t2v.prompts import MOTIONS, Scene

SPLITS = ("seen", "heldout")
SHOWN = 4  # disagreements shown per kind: the prompts whose clips the two judges disagree on most often
# The two kinds of disagreement on a clip's motion (each a bug in one judge or the other): the learned judge
# passes it and the rule judge fails it, or the reverse.
KINDS = ("learned_only", "rule_only")


@torch.no_grad()
def features(judge: VideoJudge, clips: np.ndarray) -> np.ndarray:
    """clips uint8 (N, T, H, W, 3) -> the judge's penultimate features (N, FEATURES)."""
    return np.concatenate(
        [
            judge.answer(judge.encode(torch.from_numpy(clips[lo : lo + EVAL_BATCH]))).features.numpy()
            for lo in range(0, len(clips), EVAL_BATCH)
        ]
    )


def _entropy(p: np.ndarray) -> float:
    return float(-(p * np.log(np.clip(p, 1e-12, None))).sum(-1).mean())


@dataclass
class _Prompt:
    split: str
    motion: str
    right: np.ndarray  # (k,) bool: every head right
    learned_motion: np.ndarray  # (k,) bool: the learned motion head right
    rule_motion: np.ndarray  # (k,) bool: the rule judge's motion verdict
    generated: np.ndarray  # (k, FEATURES)
    real: np.ndarray  # (k, FEATURES), one draw of real clips
    real_again: np.ndarray  # (k, FEATURES), another draw
    shuffled: np.ndarray  # (k, FEATURES), that other draw with its frames in a fixed shuffled order
    motion_probs: np.ndarray  # (k, motions + 1)


@dataclass
class Disagreement:
    prompt: str
    split: str
    kind: str  # one of KINDS
    count: int  # clips of the prompt on which the judges disagree this way
    of: int  # clips of the prompt judged
    clip: np.ndarray  # uint8 (T, H, W, 3): the first such clip
    learned_said: str  # the motion the learned judge read in it, or "absent": no such object
    rule_said: str  # the motion the rule judge read in it, or "none"


class LearnedScores:
    """Collects the judge's answers prompt by prompt (add, add_pair), then summarises them (summary)."""

    def __init__(self, judge: VideoJudge):
        self.judge = judge
        self.shuffle = np.random.default_rng(0).permutation(judge.frames)
        self.prompts: list[_Prompt] = []
        self.pairs: list[tuple[str, np.ndarray, np.ndarray]] = []
        self.disagreements: list[Disagreement] = []

    def add(
        self,
        scene: Scene,
        split: str,
        generated: np.ndarray,
        real: list[np.ndarray],
        rule_motion: list[bool],
        rule_said: list[str],
    ):
        """A one-object prompt's k generated clips, two (or more) draws of k real clips, and the rule judge's
        motion verdict per generated clip and the motion it read there."""
        got = answers(self.judge, generated, objects_of_scenes([(scene,)] * len(generated)))
        said = got["motion_probs"].argmax(1)
        rule = np.array(rule_motion)
        for kind, where in (("learned_only", got["motion"] & ~rule), ("rule_only", rule & ~got["motion"])):
            if where.any():
                i = int(np.flatnonzero(where)[0])
                learned_said = "absent" if said[i] == ABSENT else MOTIONS[said[i]]
                clip, count = generated[i], int(where.sum())
                self.disagreements.append(
                    Disagreement(
                        scene.prompt(), split, kind, count, len(where), clip, learned_said, rule_said[i]
                    )
                )
        self.prompts.append(
            _Prompt(
                split,
                scene.motion,
                all_right(got),
                got["motion"],
                rule,
                got["features"],
                features(self.judge, real[0]),
                features(self.judge, real[1]),
                features(self.judge, real[1][:, self.shuffle]),
                got["motion_probs"],
            )
        )

    def add_pair(self, pair: tuple[Scene, Scene], split: str, generated: np.ndarray) -> None:
        """A two-object prompt's k generated clips, judged against the prompt and against it with the motions
        swapped."""
        objects = objects_of_scenes([pair] * len(generated))
        right = all_right(answers(self.judge, generated, objects))
        swapped = all_right(answers(self.judge, generated, objects.swapped()))
        self.pairs.append((split, right, swapped))

    def most_disagreed(self, n: int = SHOWN) -> list[Disagreement]:
        """Of each kind, the n prompts whose clips the judges disagree on most often, one clip each."""
        return [
            d
            for kind in KINDS
            for d in sorted(
                (d for d in self.disagreements if d.kind == kind), key=lambda d: (-d.count / d.of, d.prompt)
            )[:n]
        ]

    def _stack(self, rows: list[_Prompt], field: str) -> np.ndarray:
        return np.concatenate([getattr(r, field) for r in rows])

    def _group(self, rows: list[_Prompt]) -> dict:
        if not rows:
            return {}
        probs = self._stack(rows, "motion_probs")
        return {
            "judge_acc": round(float(self._stack(rows, "right").mean()), 4),
            "fvd": round(frechet_distance(self._stack(rows, "generated"), self._stack(rows, "real")), 3),
            "fvd_real": round(
                frechet_distance(self._stack(rows, "real_again"), self._stack(rows, "real")), 3
            ),
            "h_motion_given_clip": round(_entropy(probs), 4),
            "h_motion": round(_entropy(probs.mean(0)), 4),
            "clips": int(len(probs)),
        }

    def summary(self) -> dict:
        """Per split and per motion; the reference levels of fvd (real against real, shuffled frames, one
        clip repeated per prompt); agreement with the rule judges per motion; the two-object prompts."""
        rows = self.prompts
        overall = self._group(rows)
        real = self._stack(rows, "real")
        again = self._stack(rows, "real_again")
        collapsed = np.concatenate([np.repeat(r.real_again[:1], len(r.real_again), 0) for r in rows])
        per_motion = {}
        for motion in dict.fromkeys(r.motion for r in rows):
            group = [r for r in rows if r.motion == motion]
            learned, rule = self._stack(group, "learned_motion"), self._stack(group, "rule_motion")
            per_motion[motion] = {
                "judge_acc": round(float(self._stack(group, "right").mean()), 4),
                "fvd": round(
                    frechet_distance(self._stack(group, "generated"), self._stack(group, "real")), 3
                ),
                "learned_motion": round(float(learned.mean()), 4),
                "rule_motion": round(float(rule.mean()), 4),
                # clips the learned judge passes and the rules fail, and the reverse
                "learned_only": int((learned & ~rule).sum()),
                "rule_only": int((rule & ~learned).sum()),
            }
        pair_rows, pairs = self.pairs, {}
        if pair_rows:
            pairs = {
                "judge_acc": round(float(np.concatenate([r for _, r, _ in pair_rows]).mean()), 4),
                "swapped": round(float(np.concatenate([w for _, _, w in pair_rows]).mean()), 4),
                "per_split": {
                    s: round(float(np.concatenate([r for t, r, _ in pair_rows if t == s]).mean()), 4)
                    for s in SPLITS
                    if any(t == s for t, _, _ in pair_rows)
                },
            }
        return {
            "overall": overall,
            "per_split": {s: self._group([r for r in rows if r.split == s]) for s in SPLITS},
            "per_motion": per_motion,
            "references": {
                "fvd_real": overall["fvd_real"],
                "fvd_shuffled": round(frechet_distance(self._stack(rows, "shuffled"), real), 3),
                "fvd_collapsed": round(frechet_distance(np.repeat(again[:1], len(again), 0), real), 3),
                "fvd_collapsed_per_prompt": round(frechet_distance(collapsed, real), 3),
            },
            "pairs": pairs,
        }
