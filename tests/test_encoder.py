"""The one-encoder writer against manim's own, read back with PyAV."""

import importlib
from pathlib import Path

import av
import numpy as np
import pytest
from manim import BLUE, LEFT, RIGHT, Circle, Dot, Scene, Square, tempconfig
from manim.renderer.cairo_renderer import CairoRenderer

from optanim.lesson.catalog import BY_NAME, SCENES
from optanim.lesson.settings import ENCODER_THREADS
from optanim.render import internals as encoder
from optanim.render.internals import BLOCK, Renderer, SceneEncoder, ToYuv


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
    from scenes.title_card import Card

    for entry in SCENES:
        scene = getattr(importlib.import_module(f"scenes.{entry.name}"), entry.cls)
        assert isinstance(scene().renderer, Renderer), entry.name
    assert isinstance(Card().renderer, Renderer)


def whole(rgba: np.ndarray) -> np.ndarray:
    """``rgba`` converted to yuv420p as PyAV converts a frame."""
    frame = av.VideoFrame.from_numpy_buffer(rgba, format="rgba")
    return frame.reformat(format="yuv420p").to_ndarray()


@pytest.mark.parametrize(("height", "width"), [(1080, 1920), (288, 512), (36, 64)])
def test_converting_the_changed_rows_again_equals_converting_all(height, width):
    rng = np.random.default_rng(height)
    blocks = -(-height // BLOCK)
    for _ in range(20):
        before = rng.integers(0, 256, (height, width, 4), np.uint8)
        changed = rng.random(blocks) < rng.random() / 2
        after = before.copy()
        for block in np.flatnonzero(changed):
            rows = slice(block * BLOCK, (block + 1) * BLOCK)
            after[rows] = rng.integers(0, 256, after[rows].shape, np.uint8)
        to_yuv = ToYuv()
        to_yuv(before)
        assert np.array_equal(to_yuv(after, changed).to_ndarray(), whole(after))


class Checked(ToYuv):
    """Checks every frame against a whole conversion of the camera's pixels."""

    counts = {"frames": 0, "in bands": 0}

    def __call__(self, rgba, changed=None):
        frame = super().__call__(rgba, changed)
        assert np.array_equal(frame.to_ndarray(), whole(rgba))
        self.counts["frames"] += 1
        self.counts["in bands"] += changed is not None
        return frame


class CheckedRenderer(Renderer):
    """Checks every frame against the frame manim's own renderer draws."""

    def render(self, scene, time, moving_mobjects=None):
        super().render(scene, time, moving_mobjects)
        ours = self.camera.pixel_array.copy()
        CairoRenderer.update_frame(self, scene, moving_mobjects)
        assert np.array_equal(ours, self.camera.pixel_array)


@pytest.mark.parametrize("name", [entry.name for entry in SCENES] + ["card"])
def test_the_rows_scenes_change_are_known(name, monkeypatch):
    """What the renderer takes for a frame's changed rows holds: every frame of
    every scene is drawn and converted as the whole frame would be."""
    from scenes.title_card import Card

    monkeypatch.setattr(encoder, "ToYuv", Checked)
    monkeypatch.setattr(encoder, "Renderer", CheckedRenderer)
    monkeypatch.setattr(Checked, "counts", {"frames": 0, "in bands": 0})
    if name == "card":
        scene = Card
    else:
        scene = getattr(importlib.import_module(f"scenes.{name}"), BY_NAME[name].cls)
    options = {
        "pixel_width": 512,
        "pixel_height": 288,
        "frame_rate": 5,
        "disable_caching": True,
        "verbosity": "ERROR",
        "progress_bar": "none",
    }
    with tempconfig(options):
        scene().render()
    assert Checked.counts["in bands"] >= Checked.counts["frames"] / 3
