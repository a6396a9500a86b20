"""The local-minimum scene: its dynamics, its parameters and one real render.

Its last frame is checked against the original in test_end_frames.py."""

import av
import pytest
from conftest import cues_by_slide, render_tiny, slide_spans

from optanim.lesson import params
from optanim.lesson.catalog import BY_NAME
from optanim.lesson.figures import SPECS
from optanim.lesson.landscapes import grad_f
from optanim.narration import subtitles
from optanim.narration.script import estimate_seconds, scene_lines

SPEC = SPECS["local_minimum"]
BEATS = 5
NAME = "local_minimum"


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
    # The timeline follows the words: at least every line's estimated speech,
    # and at most that with every descent and the other animations on top.
    speech = sum(
        estimate_seconds(line.say, "en") for line in scene_lines(NAME, p, "en")
    )
    assert max(descents, speech) < seconds < speech + descents + 15
    assert abs(frames - seconds * 5) <= 1


def test_real_render_leaves_one_slide_per_beat_and_its_captions_within_it(rendered):
    folder, videos = rendered
    spans = slide_spans(folder / "slides" / "LocalMinimum.json")
    assert len(spans) == BEATS
    cues = subtitles.parse_srt((videos / "LocalMinimum.srt").read_text())
    assert cues_by_slide(cues, spans) == [notes for _, _, notes in spans]
    for start, _, _ in spans:  # each beat's words begin after a short lead-in
        first = min(c.start for c in cues if c.start >= start)
        assert start < first <= start + 0.4 + 1 / 5 + 0.001
