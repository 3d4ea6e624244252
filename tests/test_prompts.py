import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2v.errors import T2VError
from t2v.prompts import (
    COLOURS,
    DEFAULT_COLOUR,
    MOTIONS,
    SHAPES,
    TUTORIAL_PROMPTS,
    Scene,
    parse_prompt,
    parse_scenes,
    scenes_prompt,
)


@pytest.mark.parametrize("prompt", TUTORIAL_PROMPTS)
def test_every_tutorial_prompt_parses_to_a_circle_without_colour(prompt):
    scene = parse_prompt(prompt)
    assert scene.shape == "circle" and scene.colour is None and scene.motion in MOTIONS
    assert scene.rgb == COLOURS[DEFAULT_COLOUR]


def test_diagonally_is_a_synonym_and_colour_is_optional():
    assert parse_prompt("circle moving diagonally up-right") == parse_prompt("circle moving up-right")
    assert parse_prompt("Red  SQUARE moving up") == Scene("square", "moving up", "red")
    assert parse_prompt("moving up".join(["yellow triangle ", ""])) == Scene(
        "triangle", "moving up", "yellow"
    )


def test_every_shape_colour_and_motion_round_trips_through_its_prompt():
    for shape in SHAPES:
        for motion in MOTIONS:
            for colour in (None, *COLOURS):
                scene = Scene(shape, motion, colour)
                assert parse_prompt(scene.prompt()) == scene
                assert parse_prompt(scene.prompt(diagonally=True)) == scene


@pytest.mark.parametrize(
    "prompt, fragment",
    [
        ("", "empty prompt"),
        ("   \t", "empty prompt"),
        ("red moving up", "names no shape"),
        ("circle", "has no motion"),
        (
            "circle moving",
            "an unfinished motion 'moving': after the shape write one of: moving up; moving down",
        ),
        ("circle moving diagonally up", "an unknown motion 'moving diagonally up'"),
        ("sqare moving up", "'sqare' (did you mean 'square'"),
        ("circle rotating clockwise purple", "'purple'"),
    ],
)
def test_bad_prompts_get_one_clear_line(prompt, fragment):
    with pytest.raises(T2VError) as err:
        parse_prompt(prompt)
    assert fragment in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "prompt, fragment",
    [
        ("purple circle moving up", "colour 'purple' (the colours: red, green, blue, yellow)"),
        ("big circle moving up", "colour 'big' (the colours: red, green, blue, yellow)"),
        ("rde circle moving up", "colour 'rde' (did you mean 'red'?)"),
        ("hexagon moving up", "shape 'hexagon' (the shapes: circle, square, triangle)"),
        ("red hexagon moving up", "shape 'hexagon' (the shapes: circle, square, triangle)"),
        ("circle flying", "motion 'flying' (the motions: moving up/down/left/right/up-right/up-left/"),
        ("circle moving upp", "motion 'upp' (did you mean 'up'?)"),
        ("circle rotatng clockwise", "motion 'rotatng' (did you mean 'rotating'?)"),
        (
            "circle moving up and purple square flying",
            "colour 'purple' (the colours: red, green, blue, yellow); "
            "motion 'flying' (the motions: moving up/",
        ),
    ],
)
def test_an_unknown_word_gets_the_words_of_its_role(prompt, fragment):
    """Suggestions come from the role the word stands in, by its place in '[colour] shape motion': spelled
    like it, or else the role's every word; never a near spelling from another role ('purple' is not 'up')."""
    with pytest.raises(T2VError) as err:
        parse_scenes(prompt)
    assert fragment in str(err.value) and "\n" not in str(err.value), str(err.value)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(
            st.sampled_from(
                ["red", "circle", "moving", "up", "left", "diagonally", "shrinking", "square", "x", ""]
            )
        ).map(" ".join),
    )
)
def test_random_strings_parse_or_raise_t2v_error(text):
    try:
        scene = parse_prompt(text)
    except T2VError:
        return
    assert parse_prompt(scene.prompt()) == scene


def test_two_objects_join_with_and_each_with_its_own_words():
    first, second = parse_scenes("Red circle moving diagonally up-left and square shrinking")
    assert first == Scene("circle", "moving up-left", "red") and second == Scene("square", "shrinking")
    assert scenes_prompt((first, second)) == "red circle moving up-left and square shrinking"
    assert parse_scenes(scenes_prompt((first, second))) == (first, second)
    assert parse_scenes("circle moving up") == (Scene("circle", "moving up"),)


@pytest.mark.parametrize(
    "prompt, fragment",
    [
        ("circle moving left and blue circle moving up", "names two blue circles"),  # blue is the default
        ("red square rotating clockwise and red square shrinking", "names two red squares"),
        ("circle moving up and", "nothing on one side of 'and'"),
        ("and circle moving up", "nothing on one side of 'and'"),
        ("circle moving up and and square shrinking", "nothing on one side of 'and'"),
        ("circle moving up and square shrinking and triangle expanding", "names 3 objects: at most 2"),
        ("circle moving up and sqare shrinking", "'sqare' (did you mean 'square'"),
        ("circle moving up and square", "has no motion"),
    ],
)
def test_bad_two_object_prompts_get_one_clear_line(prompt, fragment):
    with pytest.raises(T2VError) as err:
        parse_scenes(prompt)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_one_object_parsing_names_a_second_object_instead_of_guessing_at_and():
    with pytest.raises(T2VError, match="names 2 objects: this takes one") as err:
        parse_prompt("red circle moving left and blue square moving up")
    assert "expanding" not in str(err.value)
    # objects differing only in colour, or only in shape, are fine
    assert len(parse_scenes("red circle moving left and circle moving up")) == 2
    assert len(parse_scenes("circle moving left and square moving left")) == 2
