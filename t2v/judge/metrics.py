"""Judge clips against their prompts from pixels alone: does the shape move as asked (motion), is it one solid
blob matching the ideal render of the named shape (shape) in the named colour (colour), does it stay coherent
frame to frame (temporal), and do a prompt's coherent clips vary as much as its real clips do (diversity)."""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from t2v.data.scenes import COLOUR_NAMES, PALETTE
from t2v.judge.shape_fit import fit_shapes
from t2v.judge.tracks import Track, measure
from t2v.prompts import DEFAULT_COLOUR, DIRECTIONS, SHAPES, Scene

# Thresholds are fractions of the frame width unless named otherwise; ground truth clears each with margin.
MIN_SPEED = 0.012  # translation, per frame
MAX_ANGLE_DEG = 22.5  # translation: half the angle between neighbouring compass directions
MAX_WOBBLE = 0.03  # translation: RMS distance from a straight constant-velocity path
MAX_SIZE_DRIFT = 0.25  # translation and orbit: relative size change allowed
MIN_ORBIT_RADIUS = 0.1
MIN_SWEEP_DEG = 90.0
MIN_SCALE_CHANGE = 0.3  # shrinking / expanding: at least this relative change end to end
SCALE_STEP_SLACK = 0.02  # per-frame size change against the trend tolerated (pixel noise)
MAX_SCALE_DRIFT = 0.06  # shrinking / expanding: centre stays within this of its mean
MIN_LEG = 0.08  # bouncing: travel before and after the reversal
EDGE_REACH = 0.12  # bouncing: at the reversal the blob is within this of the frame edge
MAX_CROSS = 0.08  # bouncing: range across the axis
MIN_ADVANCE = 0.12  # zigzagging: end-to-end travel along the axis
SWING = 0.05  # zigzagging: hysteresis for counting reversals across the axis
MIN_REVERSALS = 2
MAX_JUMP = 0.15  # temporal: largest centre step between frames
MAX_SIZE_JUMP = 1.35  # temporal: largest size ratio between frames
# Shape and colour against the ideal render (t2v.judge.shape_fit). Ground truth at 32 px scores IoU >= 0.97
# with its own shape and <= 0.85 with the others, and colour error <= 0.02; a dark rim or a mottled fill
# scores 0.14-0.28.
MIN_SHAPE_IOU = 0.9
MAX_COLOUR_ERROR = 0.08
MAX_COLOUR_DISTANCE = 80.0
MIN_SOLID = 0.95
MAX_BLOB_FRACTION = 0.5

REAL_DRAWS = 3  # draws of k real clips averaged for the diversity reference: one draw of 20 is too noisy


@dataclass
class Verdict:
    motion: bool
    shape_ok: bool  # the named shape fits the blob best, and closely
    colour_ok: bool  # the blob is the named colour, pixel by pixel
    clean: bool  # one solid blob, shape_ok and colour_ok
    temporal: bool
    shape: str | None  # the best-fitting shape, None when no frame could be judged
    colour: str | None  # the nearest palette colour, None when nothing is near
    faults: tuple[str, ...] = ()  # why it fails, each with the value measured and the bound it broke


def classify_colour(track: Track) -> str | None:
    rgb = track.rgb[track.visible]
    if not len(rgb):
        return None
    distances = np.linalg.norm(PALETTE[None].astype(float) - np.median(rgb, axis=0)[None, None], axis=-1)[0]
    best = int(np.argmin(distances))
    return COLOUR_NAMES[best] if distances[best] <= MAX_COLOUR_DISTANCE else None


def _reversals(values: np.ndarray, swing: float) -> int:
    """Direction changes of a 1-D path, each retreating at least `swing` from the extreme before it."""
    count, direction, extreme = 0, 0.0, values[0]
    for v in values[1:]:
        if direction == 0:
            if abs(v - extreme) >= swing:
                direction, extreme = np.sign(v - extreme), v
        elif (v - extreme) * direction > 0:
            extreme = v
        elif (extreme - v) * direction >= swing:
            count, direction, extreme = count + 1, -direction, v
    return count


def judge_motion(track: Track, scene: Scene) -> bool:
    return not motion_faults(track, scene)


def _check(faults: list[str], passed: bool, reason: str) -> None:
    if not passed:
        faults.append(reason)


def motion_faults(track: Track, scene: Scene) -> list[str]:
    """Why a clip does not move as its scene asks, each reason with what was measured and the bound it broke
    (fractions of the frame width unless named); empty when it does."""
    s = float(track.size)
    kind, _, arg = scene.motion.partition(" ")
    frames = np.flatnonzero(track.visible & (~track.touches_edge if kind == "moving" else True))
    least = max(3, len(track.visible) // 2)
    if len(frames) < least:
        return [f"shows a whole blob in {len(frames)} of {len(track.visible)} frames, fewer than {least}"]
    xy, size = track.centre[frames], track.half_size(scene.shape)[frames]
    faults: list[str] = []
    if kind == "moving":
        dx, dy = DIRECTIONS[arg]
        fit = np.polyfit(frames, xy, 1)  # (2, 2): velocity then intercept, per axis
        velocity = fit[0]
        speed = np.hypot(*velocity)
        wobble = np.sqrt(np.mean(np.sum((np.outer(frames, velocity) + fit[1] - xy) ** 2, axis=1)))
        cosine = (velocity @ np.array([dx, dy])) / (speed * np.hypot(dx, dy) + 1e-9)
        heading = np.rad2deg(np.arccos(np.clip(cosine, -1, 1)))
        _check(faults, speed >= MIN_SPEED * s, f"speed {speed / s:.3f} a frame < {MIN_SPEED}")
        _check(
            faults,
            cosine >= np.cos(np.deg2rad(MAX_ANGLE_DEG)),
            f"heading {heading:.0f}° off {arg} > {MAX_ANGLE_DEG}°",
        )
        _check(
            faults, wobble <= MAX_WOBBLE * s, f"strayed {wobble / s:.3f} off a straight path > {MAX_WOBBLE}"
        )
        _steady_check(faults, size)
        return faults
    if kind == "rotating":
        rel = xy - s / 2
        radius = np.hypot(rel[:, 0], rel[:, 1])
        turn = np.diff(np.unwrap(np.arctan2(rel[:, 1], rel[:, 0])))
        sense = 1.0 if arg == "clockwise" else -1.0  # y down: a growing angle is clockwise on screen
        sweep = np.rad2deg(sense * turn.sum())
        backwards = np.flatnonzero(~(sense * turn > 0))
        _check(
            faults,
            radius.min() >= MIN_ORBIT_RADIUS * s,
            f"orbit radius {radius.min() / s:.2f} < {MIN_ORBIT_RADIUS}",
        )
        _check(faults, sweep >= MIN_SWEEP_DEG, f"swept {sweep:.0f}° {arg} < {MIN_SWEEP_DEG:.0f}°")
        _check(
            faults,
            not len(backwards),
            f"turned back at frame {frames[backwards[0] + 1] + 1 if len(backwards) else 0}",
        )
        _steady_check(faults, size)
        return faults
    if kind in ("shrinking", "expanding"):
        trend = 1.0 if kind == "expanding" else -1.0
        ratio = size[-1] / size[0]
        against = np.flatnonzero(~(trend * np.diff(size) >= -SCALE_STEP_SLACK * s))
        change = ratio - 1 if kind == "expanding" else 1 - ratio
        drift = np.abs(xy - xy.mean(axis=0)).max()
        _check(
            faults,
            not len(against),
            f"size turned back at frame {frames[against[0] + 1] + 1 if len(against) else 0}",
        )
        bound = 1 + trend * MIN_SCALE_CHANGE
        _check(
            faults,
            change >= MIN_SCALE_CHANGE,
            f"end/start size {ratio:.2f}, not {'≥' if trend > 0 else '≤'} {bound:.2f}",
        )
        _check(faults, drift <= MAX_SCALE_DRIFT * s, f"centre drifted {drift / s:.3f} > {MAX_SCALE_DRIFT}")
        return faults
    axis = 1 if arg == "vertically" else 0
    along, across = xy[:, axis], xy[:, 1 - axis]
    if kind == "bouncing":
        tries = []
        for k in (int(np.argmax(along)), int(np.argmin(along))):
            legs = np.array([along[k] - along[0], along[k] - along[-1]])
            gap = min(along[k] - size[k], s - along[k] - size[k])  # blob to the nearer edge at the turn
            found: list[str] = []
            _check(
                found, np.abs(legs).min() >= MIN_LEG * s, f"a leg of {np.abs(legs).min() / s:.3f} < {MIN_LEG}"
            )
            _check(found, legs[0] * legs[1] > 0, f"no turn at frame {frames[k] + 1}")
            _check(found, gap <= EDGE_REACH * s, f"turned {gap / s:.3f} from the edge > {EDGE_REACH}")
            _check(
                found,
                np.ptp(across) <= MAX_CROSS * s,
                f"drifted sideways {np.ptp(across) / s:.2f} > {MAX_CROSS}",
            )
            if not found:
                return []
            tries.append(found)
        return min(tries, key=len)
    if kind == "zigzagging":
        advance = abs(along[-1] - along[0])
        back, swings = _reversals(along, SWING * s), _reversals(across, SWING * s)
        _check(faults, advance >= MIN_ADVANCE * s, f"advanced {advance / s:.2f} < {MIN_ADVANCE}")
        _check(faults, back == 0, f"turned back along its axis {back} time(s)")
        _check(faults, swings >= MIN_REVERSALS, f"{swings} swing(s) across its axis < {MIN_REVERSALS}")
        return faults
    raise ValueError(f"no judgement for motion {scene.motion!r}")


def _steady_check(faults: list[str], size: np.ndarray) -> None:
    _check(faults, _steady(size), f"size changed x{size.max() / size.min():.2f} > x{1 + MAX_SIZE_DRIFT:.2f}")


def _steady(size: np.ndarray) -> bool:
    return bool(size.max() <= (1 + MAX_SIZE_DRIFT) * size.min())


def _shape_sized(track: Track) -> bool:
    """Ink flooding most of the frame (noise, a smear) is not a shape."""
    return bool((track.area[track.visible] <= MAX_BLOB_FRACTION * track.size**2).all())


def judge_temporal(track: Track, scene: Scene) -> bool:
    s = float(track.size)
    seen = np.flatnonzero(track.visible)
    if not len(seen):
        return False
    # A blob may leave the frame for good, never vanish and come back, and no other blob may flicker in.
    if (np.diff(seen) > 1).any() or (track.blobs[seen] != 1).any() or not _shape_sized(track):
        return False
    xy = track.centre[seen]
    jumps = np.hypot(*np.diff(xy, axis=0).T) if len(seen) > 1 else np.zeros(0)
    area = track.area[seen]
    ratio = np.maximum(area[1:] / area[:-1], area[:-1] / area[1:]) if len(seen) > 1 else np.zeros(0)
    edge = track.touches_edge[seen]
    inner = ~(edge[1:] | edge[:-1])  # a blob entering or leaving the frame changes size legitimately
    return bool(
        (jumps <= MAX_JUMP * s).all()
        and (ratio[inner] <= MAX_SIZE_JUMP**2).all()
        and (scene.motion.startswith("moving") or len(seen) == len(track.visible))
    )


def judge(clip: np.ndarray, scene: Scene, track: Track | None = None) -> Verdict:
    """clip: uint8 (T, H, W, 3); its Track when already measured."""
    track = measure(clip) if track is None else track
    colour = classify_colour(track)
    fit = fit_shapes(clip, track, scene.rgb)
    shape_ok = bool(
        fit is not None and fit.best == scene.shape and fit.iou[SHAPES.index(scene.shape)] >= MIN_SHAPE_IOU
    )
    colour_ok = bool(
        fit is not None
        and colour == (scene.colour or DEFAULT_COLOUR)
        and fit.colour_error <= MAX_COLOUR_ERROR
    )
    seen = track.visible
    one_solid_blob = seen.any() and bool(
        (track.blobs[seen] == 1).all()
        and (track.solid[seen] >= MIN_SOLID).all()
        and (track.speck_pixels <= 2).all()
        and _shape_sized(track)
    )
    motion = motion_faults(track, scene)
    temporal = judge_temporal(track, scene)
    faults = [f"motion: {fault}" for fault in motion]
    if not shape_ok:
        fits = (
            f"fits a {fit.best} best, a {scene.shape} at {fit.iou[SHAPES.index(scene.shape)]:.2f}"
            if fit
            else ""
        )
        faults.append(
            f"shape: {fits or 'nothing to fit'} (needs the {scene.shape} best and ≥ {MIN_SHAPE_IOU})"
        )
    if not colour_ok:
        error = f", error {fit.colour_error:.2f} (≤ {MAX_COLOUR_ERROR})" if fit else ""
        faults.append(f"colour: reads as {colour or 'no palette colour'}{error}")
    if not temporal:
        faults.append("temporal: not one steady blob from frame to frame")
    return Verdict(
        not motion,
        shape_ok,
        colour_ok,
        one_solid_blob and shape_ok and colour_ok,
        temporal,
        fit.best if fit else None,
        colour,
        tuple(faults),
    )


def _paths(tracks: list[Track]) -> np.ndarray:
    """(k, T, 3): per clip and frame, the centre (x, y) and half-size in frame widths; NaN where no blob
    shows."""
    paths = np.stack([np.concatenate([t.centre, np.sqrt(t.area / np.pi)[:, None]], axis=1) for t in tracks])
    return paths / tracks[0].size


def path_spread(tracks: list[Track]) -> float:
    """How far a prompt's clips' paths lie from their mean path, in frame widths: the RMS over clips and
    frames of the distance in (x, y, half-size) (frames where a clip shows no blob are skipped). Zero when
    every clip takes the same path at the same size."""
    paths = _paths(tracks)
    visible = np.isfinite(paths).all(axis=-1)
    if visible.sum() < 2:
        return 0.0
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a frame no clip shows has no mean
        deviation = paths - np.nanmean(np.where(visible[..., None], paths, np.nan), axis=0)
    return float(np.sqrt(np.mean(np.sum(deviation[visible] ** 2, axis=-1))))


def path_distinctness(tracks: list[Track]) -> float:
    """The mean distance from each clip's path to its nearest sibling's (RMS over the frames both show), in
    frame widths. Spread alone cannot tell twenty paths from four repeated five times; this can (zero)."""
    paths = _paths(tracks)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # two clips that share no visible frame: no distance
        distance = np.sqrt(np.nanmean(np.sum((paths[:, None] - paths[None]) ** 2, axis=-1), axis=-1))
    distance[~np.isfinite(distance)] = np.inf
    np.fill_diagonal(distance, np.inf)
    nearest = distance.min(axis=1)
    return float(np.mean(nearest[np.isfinite(nearest)])) if np.isfinite(nearest).any() else 0.0


def diversity(generated: list[Track], valid: list[bool], real_draws: list[list[Track]]) -> float:
    """A prompt's variety against real clips: the lesser of two ratios to the mean over draws of as many real
    clips, capped at 1 and times the valid share: path spread (the range covered) and path distinctness (no
    two clips alike). Only valid clips count (moving as asked, coherently): clips that jump or go astray add
    no variety, and variety beyond the data's earns nothing. 1.0: every clip valid, as varied as the data."""
    kept = [track for track, ok in zip(generated, valid) if ok]
    if len(kept) < 2:
        return 0.0
    spread = path_spread(kept) / max(float(np.mean([path_spread(r) for r in real_draws])), 1e-6)
    distinct = path_distinctness(kept) / max(float(np.mean([path_distinctness(r) for r in real_draws])), 1e-6)
    return min(1.0, spread, distinct) * len(kept) / len(generated)


def score_diversity(rows: list[tuple[Scene, str, float]]) -> dict:
    """Aggregate (scene, split, diversity) rows: mean overall, per split, motion, shape, colour and prompt."""

    def mean(values):
        return round(float(np.mean(values)), 4) if values else 0.0

    groups: dict[str, dict[str, list[float]]] = {
        f"per_{g}": defaultdict(list) for g in ("split", "motion", "shape", "colour", "prompt")
    }
    for scene, split, value in rows:
        groups["per_split"][split].append(value)
        groups["per_motion"][scene.motion].append(value)
        groups["per_shape"][scene.shape].append(value)
        groups["per_colour"][scene.colour or DEFAULT_COLOUR].append(value)
        groups["per_prompt"][scene.prompt()].append(value)
    return {
        "overall": mean([r for _, _, r in rows]),
        **{name: {k: mean(v) for k, v in sorted(members.items())} for name, members in groups.items()},
    }


def summarise(verdicts: list[Verdict]) -> dict:
    n = max(1, len(verdicts))
    return {
        "motion_acc": round(sum(v.motion for v in verdicts) / n, 4),
        "shape_acc": round(sum(v.shape_ok for v in verdicts) / n, 4),
        "colour_acc": round(sum(v.colour_ok for v in verdicts) / n, 4),
        "clean_shape_rate": round(sum(v.clean for v in verdicts) / n, 4),
        "temporal_consistency": round(sum(v.temporal for v in verdicts) / n, 4),
        "n_clips": len(verdicts),
    }


def score(results: list[tuple[Scene, str, Verdict]]) -> dict:
    """Aggregate (scene, split, verdict) rows: overall, per split, motion, shape, colour and prompt."""
    groups: dict[str, dict[str, list[Verdict]]] = defaultdict(lambda: defaultdict(list))
    for scene, split, verdict in results:
        groups["split"][split].append(verdict)
        groups["motion"][scene.motion].append(verdict)
        groups["shape"][scene.shape].append(verdict)
        groups["colour"][scene.colour or DEFAULT_COLOUR].append(verdict)
        groups["prompt"][scene.prompt()].append(verdict)
    report = {"overall": summarise([v for _, _, v in results])}
    for name, members in groups.items():
        report[f"per_{name}"] = {k: summarise(v) for k, v in sorted(members.items())}
    return report
