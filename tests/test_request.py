"""What a command asks of the renders: speech first for each scene, cards at once."""

import pytest

from optanim.build import request, runner
from optanim.lesson.catalog import BY_NAME
from optanim.lesson.params import ParamError


def unspoken(job) -> list[str]:
    """The lines of ``job``'s scene whose speech is not in the cache yet."""
    missing = []
    for narration in job.source.narrations:
        cache = narration.cache
        for line in job.source.lines(narration):
            if not cache.path(narration.line_key(line, cache)).is_file():
                missing.append(line.id)
    return missing


def test_each_scene_renders_only_once_its_lines_are_spoken(tmp_path, monkeypatch):
    asked = request.Request("low", tmp_path / "media", workers=2)
    names = ["local_minimum", "saddle_point", "vanishing_gradient"]
    jobs = asked.scene_jobs([BY_NAME[name] for name in names])
    seen = {}

    def run_batch(batch, *args, **kwargs):  # in place of a render
        for job in batch:
            seen[job.name] = unspoken(job)
        return ["rendered"] * len(batch)

    monkeypatch.setattr(runner, "run_batch", run_batch)
    assert all(unspoken(job) for job in jobs)  # nothing spoken before the run
    asked.run(jobs)
    assert seen == {name: [] for name in names}


def test_a_line_the_voice_cannot_speak_stops_the_run_before_any_render(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("OPTANIM_VOICE", f"recorded:{tmp_path / 'no recordings'}")
    (tmp_path / "no recordings").mkdir()
    asked = request.Request("low", tmp_path / "media")
    jobs = asked.scene_jobs([BY_NAME["local_minimum"]])
    rendered = []
    monkeypatch.setattr(
        runner, "run_batch", lambda batch, *a, **k: rendered.extend(batch)
    )
    with pytest.raises(ParamError, match="has no recording for"):
        asked.run(jobs)
    assert rendered == []
    assert not (tmp_path / "media" / "optanim").exists()
