"""The one-encoder writer against manim's own, read back with PyAV."""

import importlib
from pathlib import Path

import av
import numpy as np
import pytest
from manim import BLUE, LEFT, RIGHT, Circle, Dot, Scene, Square, tempconfig
from manim.renderer.cairo_renderer import CairoRenderer

from scenes.catalog import SCENES
from scenes.encoder import Renderer, SceneEncoder
from scenes.params import ENCODER_THREADS


class Moves(Scene):
    """Short clips and holds."""

    def construct(self):
        dot = Dot(color=BLUE)
        self.add(dot)
        self.wait(0.4)
        self.play(dot.animate.shift(2 * RIGHT), run_time=0.6)
        self.play(dot.animate.shift(2 * LEFT), run_time=0.2)
        self.wait(0.4)
        self.play(Circle().animate.scale(0.5), Square().animate.shift(RIGHT))


def render(renderer, folder: Path) -> tuple[Path, list[Path]]:
    options = {
        "media_dir": str(folder),
        "pixel_width": 320,
        "pixel_height": 180,
        "frame_rate": 15,
        "disable_caching": True,
        "verbosity": "WARNING",
    }
    with tempconfig(options):
        scene = Moves(renderer=renderer())
        scene.render()
        writer = scene.renderer.file_writer
        clips = [Path(p) for p in writer.partial_movie_files]
        return Path(writer.movie_file_path), clips


def decode(path: Path) -> tuple[list[np.ndarray], list[bool]]:
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    planes = [f.to_ndarray(format="yuv420p").astype(float) for f in frames]
    return planes, [f.key_frame for f in frames]


def psnr(frames: list[np.ndarray], reference: list[np.ndarray]) -> float:
    """Of the mean squared error over all frames, as ffmpeg's psnr filter averages."""
    errors = [np.mean((a - b) ** 2) for a, b in zip(frames, reference, strict=True)]
    return 10 * np.log10(255**2 / max(np.mean(errors), 1e-10))


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    folder = tmp_path_factory.mktemp("encoders")
    theirs = render(CairoRenderer, folder / "manim")
    return theirs, render(Renderer, folder / "ours")


def test_clips_decode_alone_and_start_on_a_key_frame(both):
    (_, theirs), (_, ours) = both
    assert len(ours) == len(theirs) == 5
    for mine, reference in zip(ours, theirs, strict=True):
        frames, keys = decode(mine)
        assert len(frames) == len(decode(reference)[0])
        assert keys[0]


def test_scene_matches_manims_own_encoder(both):
    (theirs, _), (ours, _) = both
    reference, mine = decode(theirs)[0], decode(ours)[0]
    assert len(mine) == len(reference) == 39
    assert psnr(mine, reference) >= 45
    assert ours.stat().st_size <= 1.3 * theirs.stat().st_size


def test_a_held_frame_is_encoded_as_the_same_picture(both):
    (_, _), (_, ours) = both
    frames, _ = decode(ours[0])
    assert len(frames) == 6
    assert psnr(frames[1:], frames[:1] * 5) >= 45


def test_a_failure_is_raised_and_leaves_no_clip_behind(tmp_path):
    encoder = SceneEncoder(64, 36, 15)
    encoder.begin(tmp_path / "clip.mp4")
    encoder.put(1, np.zeros((36, 64, 3), np.uint8))  # RGB where RGBA is due
    encoder.end()
    encoder.seal()
    with pytest.raises(ValueError, match="shape"):
        encoder.join()
    assert not (tmp_path / "clip.mp4").exists()


def test_x264_runs_at_our_settings(tmp_path, monkeypatch):
    monkeypatch.setenv(ENCODER_THREADS, "1")
    encoder = SceneEncoder(320, 180, 15)  # big enough for x264 to use threads
    encoder.begin(tmp_path / "clip.mp4")
    encoder.put(3, np.zeros((180, 320, 4), np.uint8))
    encoder.end()
    encoder.seal()
    encoder.join()
    # x264 writes the options it ran with into the stream
    written = (tmp_path / "clip.mp4").read_bytes()
    assert b" threads=1 " in written
    assert b" crf=20.0 " in written
    assert b" subme=2 " in written  # the veryfast preset's


def test_every_scene_and_card_renders_through_the_one_encoder():
    from scenes.cards import Card

    for entry in SCENES:
        scene = getattr(importlib.import_module(f"scenes.{entry.name}"), entry.cls)
        assert isinstance(scene().renderer, Renderer), entry.name
    assert isinstance(Card().renderer, Renderer)
