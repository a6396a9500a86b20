"""An output's key changes with everything that changes the output, and only that."""

import dataclasses
import os
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from optanim.build import jobs
from optanim.build.jobs import CardSource, Job, scene_source
from optanim.lesson.catalog import BY_NAME
from optanim.lesson.params import DEFAULTS
from optanim.narration import script, words


def scene_job(scene="local_minimum", overrides=None, **kwargs) -> Job:
    source = scene_source(BY_NAME[scene], overrides)
    return Job(source, **({"quality": "low", "media": Path("media")} | kwargs))


def changed_value(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return {"light": "dark", "original": "corrected"}[value]
    if isinstance(value, float):
        return value * 0.9
    return value - 1 if value > 1 else value + 1  # fewer steps never diverge


@pytest.mark.parametrize("scene", sorted(DEFAULTS))
def test_every_parameter_is_in_the_key(scene, monkeypatch):
    for key in [k for k in os.environ if k.startswith("OPTANIM_")]:
        monkeypatch.delenv(key)
    base = scene_job(scene).key()
    for field in dataclasses.fields(DEFAULTS[scene]):
        value = changed_value(getattr(DEFAULTS[scene], field.name))
        other = scene_job(scene, {field.name: str(value)}).key()
        assert other != base, f"{scene}.{field.name} is not in the key"


def test_every_render_setting_is_in_the_key():
    base = scene_job()
    settings = {
        "quality": "high",
        "fps": 30,
        "resolution": (640, 360),
        "still": True,
        "format": "webm",
        "transparent": True,
        "media": Path("elsewhere"),
    }
    for name, value in settings.items():
        other = dataclasses.replace(base, **{name: value})
        if name == "media":  # the folder is where it goes, not what it is
            assert other.key() == base.key()
        else:
            assert other.key() != base.key(), f"{name} is not in the key"


def test_a_card_is_keyed_by_its_text_and_theme():
    card = dataclasses.replace(scene_job(), source=CardSource("Local minima", "light"))
    for source in (
        CardSource("Saddle points", "light"),
        CardSource("Local minima", "dark"),
    ):
        assert dataclasses.replace(card, source=source).key() != card.key()


def test_the_frame_code_is_every_file_in_its_folders(tmp_path, monkeypatch):
    folders = [tmp_path / "lesson", tmp_path / "render" / "deep"]
    for folder in folders:
        folder.mkdir(parents=True)
        (folder / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(jobs, "FRAME_CODE", (tmp_path / "lesson", tmp_path / "render"))

    def digest():
        jobs._CODE_DIGEST.clear()
        return jobs.code_digest()

    before = digest()
    (folders[1] / "new_module.py").write_text("")  # a module nobody listed
    assert digest() != before
    before = digest()
    (folders[0] / "a.py").write_text("x = 2\n")
    assert digest() != before
    jobs._CODE_DIGEST.clear()


def test_the_frame_code_is_in_the_key(tmp_path, monkeypatch):
    folder = tmp_path / "render"
    folder.mkdir()
    (folder / "slide.py").write_text("x = 1\n")
    monkeypatch.setattr(jobs, "FRAME_CODE", (folder,))
    monkeypatch.setattr(jobs, "_CODE_DIGEST", [])
    job = scene_job()
    before = job.key()
    (folder / "slide.py").write_text("x = 2\n")
    jobs._CODE_DIGEST.clear()
    assert job.key() != before


def test_tooling_shapes_no_frame():
    package = jobs.PACKAGE
    tooling = [
        package / "cli.py",
        package / "build",
        package / "outputs",
        package / "qa",
    ]
    for path in tooling:
        assert not any(path.is_relative_to(folder) for folder in jobs.FRAME_CODE)
    assert package / "render" in jobs.FRAME_CODE
    assert package / "lesson" in jobs.FRAME_CODE


def recording(path: Path, seconds: float) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        tone = 8000 * np.sin(np.arange(round(16_000 * seconds)) / 5)
        wav.writeframes(tone.astype("<i2").tobytes())


def test_what_is_said_and_who_says_it_is_in_the_key(tmp_path, monkeypatch):
    def key(voice="espeak", lang="en"):
        narrations = script.resolve(voice=voice, lang=lang, media=tmp_path)
        source = scene_source(BY_NAME["local_minimum"], None, narrations)
        return Job(source, "low", tmp_path).key()

    base = key()
    for voice, lang in (("none", "en"), ("espeak", "zh"), ("espeak", "en,zh")):
        assert key(voice, lang) != base, (voice, lang)

    # A line's words: the same words files, one line said differently.
    folder = tmp_path / "words"
    shutil.copytree(words.FOLDER, folder)
    english = folder / "en.toml"
    said = words.load("en").beat("local_minimum", "figure").lines[0].say
    english.write_text(english.read_text("utf-8").replace(said, said + " Again."))
    monkeypatch.setattr(words, "FOLDER", folder)
    words.load.cache_clear()
    try:
        assert key() != base
    finally:
        words.load.cache_clear()

    # A lecturer's recording of one line, recorded again.
    monkeypatch.undo()
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    lines = script.scene_lines("local_minimum", DEFAULTS["local_minimum"], "en")
    for line in lines:
        recording(recorded / f"{line.id}.wav", 1.0)
    before = key(f"recorded:{recorded}")
    recording(recorded / f"{lines[-1].id}.wav", 1.5)
    assert key(f"recorded:{recorded}") != before
