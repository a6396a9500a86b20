"""The local-minimum scene: its dynamics, its last frame, and one real render."""

import json
import subprocess
import sys

import av
import pytest
from manim_slides.config import PresentationConfig

from scenes import params
from scenes.catalog import BY_NAME
from scenes.figures import SPECS
from scenes.landscapes import grad_f

SPEC = SPECS["local_minimum"]
BEATS = 5


def test_default_descents_end_in_the_two_minima():
    paths = params.load("local_minimum").paths()
    assert abs(paths["left"][-1] - -0.2739) < 1e-3
    assert abs(paths["right"][-1] - 1.0904) < 1e-3
    assert abs(grad_f(paths["left"][-1])) < 1e-3  # the readout's f' ends near 0


def test_overrides_come_from_the_environment_and_toml(tmp_path):
    (tmp_path / "optanim.toml").write_text("[local_minimum]\nlr = 0.04\nsteps = 40\n")
    env = {"OPTANIM_LOCAL_MINIMUM_STEPS": "50"}
    p = params.load("local_minimum", environ=env)
    assert (p.lr, p.steps) == (0.04, 50)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    cmd = [sys.executable, "-m", "manim", "render", "-r", "160,90", "--fps", "5",
           "--disable_caching", "--media_dir", str(folder / "media"),
           str(BY_NAME["local_minimum"].path), "LocalMinimum"]  # fmt: skip
    subprocess.run(cmd, cwd=folder, check=True, capture_output=True)
    return folder


def test_real_render_is_a_playable_mp4(rendered):
    (video,) = rendered.glob("media/videos/local_minimum/*/LocalMinimum.mp4")
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert (stream.width, stream.height) == (160, 90)
        assert stream.average_rate == 5
        seconds = float(container.duration / av.time_base)
    p = params.load("local_minimum")
    descents = 2 * p.steps * p.seconds_per_step
    assert descents < seconds < descents + 15
    assert abs(frames - seconds * 5) <= 1


def test_real_render_leaves_one_slide_and_one_caption_per_beat(rendered):
    slides = PresentationConfig.from_file(rendered / "slides" / "LocalMinimum.json")
    assert len(slides.slides) == BEATS
    assert all(slide.notes for slide in slides.slides)
    (srt,) = rendered.glob("media/videos/local_minimum/*/LocalMinimum.srt")
    captions = [block for block in srt.read_text().split("\n\n") if block.strip()]
    assert len(captions) == BEATS
    notes = [s.notes for s in slides.slides]
    assert [c.splitlines()[2] for c in captions] == notes
    json.loads((rendered / "slides" / "LocalMinimum.json").read_text())
