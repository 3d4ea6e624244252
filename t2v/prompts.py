"""The prompt language: `[colour] shape motion`, parsed into a Scene, or two such objects joined by `and`; and
the phrases each motion may be written as."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from PIL.ImageColor import colormap as COLOUR_NAMES  # the CSS colour names: a word that is one is a colour

from t2v.errors import T2VError

SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 170, 70),
    "blue": (40, 80, 220),
    "yellow": (235, 190, 20),
}
DEFAULT_COLOUR = "blue"

DIRECTIONS: dict[str, tuple[int, int]] = {  # screen coordinates: x right, y down
    "up": (0, -1),
    "down": (0, 1),
    "left": (-1, 0),
    "right": (1, 0),
    "up-right": (1, -1),
    "up-left": (-1, -1),
    "down-right": (1, 1),
    "down-left": (-1, 1),
}
DIAGONALS = tuple(d for d, (dx, dy) in DIRECTIONS.items() if dx and dy)

# Each motion's canonical phrase; `moving diagonally X` is accepted as a synonym of `moving X` for diagonals.
MOTIONS: tuple[str, ...] = (
    *(f"moving {d}" for d in DIRECTIONS),
    "rotating clockwise",
    "rotating counter-clockwise",
    "shrinking",
    "expanding",
    "bouncing vertically",
    "bouncing horizontally",
    "zigzagging vertically",
    "zigzagging horizontally",
)


def motion_phrases(motion: str) -> list[str]:
    """Every way the prompt language may write `motion`, canonical first."""
    direction = motion.removeprefix("moving ")
    if direction in DIAGONALS:
        return [motion, f"moving diagonally {direction}"]
    return [motion]


_PHRASE_TO_MOTION = {p: m for m in MOTIONS for p in motion_phrases(m)}
MOTION_WORDS: frozenset[str] = frozenset(w for p in _PHRASE_TO_MOTION for w in p.split())
KNOWN_WORDS: tuple[str, ...] = tuple(sorted(set(SHAPES) | set(COLOURS) | MOTION_WORDS))
ROLES: tuple[str, ...] = ("colour", "shape", "motion")  # the grammar's slots, in prompt order
CONJUNCTION = "and"  # joins the two objects of a two-object prompt
MAX_OBJECTS = 2


def word_role(word: str) -> int:
    """Index in ROLES of the slot a word fills, or -1 for a word outside the grammar (padding, unknown)."""
    return 0 if word in COLOURS else 1 if word in SHAPES else 2 if word in MOTION_WORDS else -1


@dataclass(frozen=True)
class Scene:
    """What a prompt asks for. colour is None when the prompt names none (the shape is then
    DEFAULT_COLOUR)."""

    shape: str
    motion: str
    colour: str | None = None

    @property
    def rgb(self) -> tuple[int, int, int]:
        return COLOURS[self.colour or DEFAULT_COLOUR]

    def prompt(self, diagonally: bool = False) -> str:
        phrases = motion_phrases(self.motion)
        phrase = phrases[-1] if diagonally else phrases[0]
        return " ".join(w for w in (self.colour, self.shape, phrase) if w)


def show(text: str, limit: int = 60) -> str:
    """A prompt quoted for a message, cut to `limit` characters so an error stays one short line."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def tokenize(prompt: str) -> list[str]:
    return prompt.lower().split()


def role_of_unknown(words: list[str], i: int) -> str:
    """The grammar's role (ROLES) that the unknown word words[i] stands in: a colour name is a colour; else,
    in its object's words, one after the shape stands in the motion, one just before the shape in the
    colour, any other in the shape."""
    word = words[i]
    if word in COLOUR_NAMES:
        return "colour"
    start = max((j + 1 for j, w in enumerate(words[:i]) if w == CONJUNCTION), default=0)
    if any(w in SHAPES for w in words[start:i]):
        return "motion"
    return "colour" if i + 1 < len(words) and words[i + 1] in SHAPES else "shape"


def role_words(role: str) -> tuple[str, ...]:
    """What may stand in a role: colours, shapes, or the motions' phrases."""
    return {"colour": tuple(COLOURS), "shape": SHAPES, "motion": MOTIONS}[role]


def grouped(phrases: list[str] | tuple[str, ...]) -> str:
    """Phrases written short, those with one first word together: 'moving up/down, shrinking'."""
    groups: dict[str, list[str]] = {}
    for phrase in phrases:
        head, _, rest = phrase.partition(" ")
        groups.setdefault(head, []).append(rest)
    return ", ".join(
        " ".join([head, "/".join(filter(None, rests))]).strip() for head, rests in groups.items()
    )


def suggest(word: str, role: str, known: tuple[str, ...] | list[str]) -> str:
    """An unknown word named with its role and what could stand there: the role's words spelled like it, or,
    where none is, all of them (of those in known)."""
    if role == "motion":
        choices = [w for w in sorted(MOTION_WORDS) if w in known]
        listed = [m for m in MOTIONS if all(w in known for w in m.split())]
    else:
        choices = listed = [w for w in role_words(role) if w in known]
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
    if close:
        return f"{role} '{word}' (did you mean {' or '.join(repr(c) for c in close)}?)"
    return f"{role} '{word}' (the {role}s: {grouped(listed)})"


def check_known(words: list[str], known: tuple[str, ...] | list[str], what: str) -> None:
    """Fail with one line naming every unknown word, the role it stands in and the known words that could."""
    unknown: dict[str, int] = {}  # each unknown word at its first place
    for i, word in enumerate(words):
        if word not in known:
            unknown.setdefault(word, i)
    if unknown:
        named = "; ".join(
            f"'{CONJUNCTION}' (one object a prompt here)"
            if w == CONJUNCTION
            else suggest(w[:30], role_of_unknown(words, i), known)
            for w, i in list(unknown.items())[:3]
        )
        more = "; ..." if len(unknown) > 3 else ""
        raise T2VError(f"unknown word{'s' * (len(unknown) > 1)} in {what}: {named}{more}")


def parse_prompt(prompt: str) -> Scene:
    """Parse `[colour] shape motion`, one object; raise T2VError naming what is wrong."""
    scenes = parse_scenes(prompt)
    if len(scenes) > 1:
        raise T2VError(
            f"prompt {show(prompt)} names {len(scenes)} objects: this takes one, '[colour] shape motion'"
        )
    return scenes[0]


def parse_scenes(prompt: str) -> tuple[Scene, ...]:
    """Parse one object, or two joined by `and` (`red circle moving left and blue square moving up`): the
    first named is drawn in front. Two objects of the same colour and shape are refused: nothing would tell
    which of them is to do what."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise T2VError(
            f"empty prompt {show(prompt) if isinstance(prompt, str) else prompt!r}: "
            "write '[colour] shape motion', e.g. 'red square moving up-right'"
        )
    words = tokenize(prompt)
    check_known(words, (*KNOWN_WORDS, CONJUNCTION), f"prompt {show(prompt)}")
    parts: list[list[str]] = [[]]
    for word in words:
        if word == CONJUNCTION:
            parts.append([])
        else:
            parts[-1].append(word)
    if not all(parts):
        raise T2VError(
            f"prompt {show(prompt)} has nothing on one side of {CONJUNCTION!r}: "
            "write '[colour] shape motion and [colour] shape motion'"
        )
    if len(parts) > MAX_OBJECTS:
        raise T2VError(f"prompt {show(prompt)} names {len(parts)} objects: at most {MAX_OBJECTS}")
    scenes = tuple(_parse_object(part, prompt) for part in parts)
    if len(scenes) == 2 and (scenes[0].shape, scenes[0].rgb) == (scenes[1].shape, scenes[1].rgb):
        colour = scenes[0].colour or DEFAULT_COLOUR
        raise T2VError(
            f"prompt {show(prompt)} names two {colour} {scenes[0].shape}s: "
            "nothing tells which is to do what; give them different colours or shapes"
        )
    return scenes


def scenes_prompt(scenes: tuple[Scene, ...]) -> str:
    """The canonical prompt of one or two objects."""
    return f" {CONJUNCTION} ".join(scene.prompt() for scene in scenes)


def _parse_object(words: list[str], prompt: str) -> Scene:
    """One object's words, `[colour] shape motion`, known to be in the language."""
    words = list(words)
    colour = words.pop(0) if words[0] in COLOURS else None
    if not words or words[0] not in SHAPES:
        raise T2VError(
            f"prompt {show(prompt)} names no shape where one is expected: use one of {', '.join(SHAPES)}"
        )
    shape = words.pop(0)
    phrase = " ".join(words)
    if phrase not in _PHRASE_TO_MOTION:
        completions = [m for m in MOTIONS if phrase and m.startswith(phrase + " ")]
        what = (
            f"an unfinished motion {show(phrase)}"
            if completions
            else f"an unknown motion {show(phrase)}"
            if phrase
            else "no motion"
        )
        allowed = "; ".join(completions or MOTIONS)
        raise T2VError(f"prompt {show(prompt)} has {what}: after the shape write one of: {allowed}")
    return Scene(shape=shape, motion=_PHRASE_TO_MOTION[phrase], colour=colour)


TUTORIAL_PROMPTS: tuple[str, ...] = (
    "circle moving down",
    "circle moving left",
    "circle moving right",
    "circle moving diagonally up-right",
    "circle moving diagonally down-left",
    "circle moving diagonally up-left",
    "circle moving diagonally down-right",
    "circle rotating clockwise",
    "circle rotating counter-clockwise",
    "circle shrinking",
    "circle expanding",
    "circle bouncing vertically",
    "circle bouncing horizontally",
    "circle zigzagging vertically",
    "circle zigzagging horizontally",
    "circle moving up-left",
    "circle moving down-right",
    "circle moving down-left",
)
