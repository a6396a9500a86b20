"""The words files: every beat a scene names exists in every language, and
nothing else does; every line fits a caption and every field is filled."""

import ast

import pytest

from optanim.lesson.catalog import SCENES
from optanim.lesson.params import DEFAULTS
from optanim.narration import captions, words


def beats_named(entry) -> set[str]:
    """The beat ids a scene file passes to ``self.beat``, read from its source:
    the call's string, or both strings a condition chooses between."""

    def ids(arg) -> set[str]:
        if isinstance(arg, ast.IfExp):
            return ids(arg.body) | ids(arg.orelse)
        assert isinstance(arg, ast.Constant), ast.dump(arg)
        return {arg.value}

    calls = [
        node
        for node in ast.walk(ast.parse(entry.path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "beat"
    ]
    return set().union(*(ids(call.args[0]) for call in calls))


@pytest.mark.parametrize("lang", words.LANGS)
@pytest.mark.parametrize("entry", SCENES, ids=[s.name for s in SCENES])
def test_every_beat_named_exists_and_nothing_else(entry, lang):
    named = beats_named(entry)
    assert named, f"{entry.name} names no beat"
    assert set(words.load(lang).beat_ids(entry.name)) == named


@pytest.mark.parametrize("lang", words.LANGS)
def test_no_scene_or_title_is_unknown(lang):
    said = words.load(lang)
    assert set(said.tables) == {s.name for s in SCENES}
    assert set(said.titles) == {s.name for s in SCENES}
    assert {"title", "subtitle", "part"} <= set(said.lecture)


def test_languages_have_the_same_lines_per_beat():
    # One timeline serves both languages: line k of a beat starts together.
    en, zh = words.load("en"), words.load("zh")
    for scene, beats in en.tables.items():
        for beat_id, table in beats.items():
            assert len(table["say"]) == len(zh.tables[scene][beat_id]["say"]), beat_id


@pytest.mark.parametrize("lang", words.LANGS)
def test_every_line_is_filled_and_fits_a_caption(lang):
    said = words.load(lang)
    for scene, params in DEFAULTS.items():
        for beat_id in said.beat_ids(scene):
            beat = said.beat(scene, beat_id, params.narration_values(beat_id))
            for line in beat.lines:
                assert "{" not in line.say + line.caption, line.id
                lines = captions.wrap(line.caption, lang)
                assert len(lines) <= 2, line.id


def test_a_missing_field_is_one_clear_error():
    with pytest.raises(words.WordsError, match="risk.train.3: cannot fill 'x_g'"):
        words.load("en").beat("risk", "train", {})
    with pytest.raises(words.WordsError, match="no beat local_minimum.nowhere"):
        words.load("en").beat("local_minimum", "nowhere")
