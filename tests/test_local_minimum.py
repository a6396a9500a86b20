"""The local-minimum scene: its dynamics, its parameters and one real render.

Its last frame is checked against the original in test_end_frames.py."""

import av
import pytest
from conftest import render_tiny, srt_texts
from manim_slides.config import PresentationConfig

from optanim.lesson import params
from optanim.lesson.catalog import BY_NAME
from optanim.lesson.figures import SPECS
from optanim.lesson.landscapes import grad_f

SPEC = SPECS["local_minimum"]
BEATS = 5


def test_default_descents_end_in_the_two_minima():
    paths = params.resolve("local_minimum").paths
    assert abs(paths["left"][-1] - -0.2739) < 1e-3
    assert abs(paths["right"][-1] - 1.0904) < 1e-3
    assert abs(grad_f(paths["left"][-1])) < 1e-3  # the readout's f' ends near 0


def test_overrides_come_from_the_environment_and_toml(tmp_path):
    (tmp_path / "optanim.toml").write_text("[local_minimum]\nlr = 0.04\nsteps = 40\n")
    env = {"OPTANIM_LOCAL_MINIMUM_STEPS": "50"}
    p = params.resolve("local_minimum", environ=env)
    assert (p.lr, p.steps) == (0.04, 50)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    return folder, render_tiny(folder, BY_NAME["local_minimum"])


def test_real_render_is_a_playable_mp4(rendered):
    _, videos = rendered
    with av.open(str(videos / "LocalMinimum.mp4")) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert (stream.width, stream.height) == (160, 90)
        assert stream.average_rate == 5
        seconds = float(container.duration / av.time_base)
    p = params.resolve("local_minimum")
    descents = 2 * p.steps * p.seconds_per_step
    assert descents < seconds < descents + 15
    assert abs(frames - seconds * 5) <= 1


def test_real_render_leaves_one_slide_and_one_caption_per_beat(rendered):
    folder, videos = rendered
    slides = PresentationConfig.from_file(folder / "slides" / "LocalMinimum.json")
    assert len(slides.slides) == BEATS
    assert all(slide.notes for slide in slides.slides)
    assert srt_texts(videos / "LocalMinimum.srt") == [s.notes for s in slides.slides]
