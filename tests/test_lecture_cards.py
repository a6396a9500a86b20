"""The lecture's cards: the title, then before each scene its title and its place."""

import pytest

from optanim.build.request import Request
from optanim.lesson.catalog import SCENES
from optanim.outputs.lecture import make_lecture


class Asked(Exception):
    """Stops the lecture once it has asked for its renders."""


def test_each_section_card_names_its_scene_and_its_place(tmp_path, monkeypatch):
    asked = []

    def run(self, jobs):
        asked.extend(jobs)
        raise Asked

    monkeypatch.setattr(Request, "run", run)
    with pytest.raises(Asked):
        make_lecture(Request("low", tmp_path / "media"))
    cards = [job.source.text for job in asked if job.is_card]
    parts = [
        f"{entry.title}\nPart {number} of {len(SCENES)}"
        for number, entry in enumerate(SCENES, start=1)
    ]
    assert cards == ["Optimization and Deep Learning\nthe challenges", *parts]
