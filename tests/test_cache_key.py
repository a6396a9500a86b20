"""An output's key changes with everything that changes the output, and only that."""

import dataclasses
import os
from pathlib import Path

import pytest

from optanim.build import jobs
from optanim.build.jobs import CardSource, Job, scene_source
from optanim.lesson.catalog import BY_NAME
from optanim.lesson.params import DEFAULTS


def scene_job(scene="local_minimum", overrides=None, **kwargs) -> Job:
    source = scene_source(BY_NAME[scene], overrides)
    return Job(source, **({"quality": "low", "media": Path("media")} | kwargs))


def changed_value(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return {"light": "dark", "original": "corrected"}[value]
    return value * 0.9 if isinstance(value, float) else value + 1


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
