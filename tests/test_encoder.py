"""The one-encoder writer against manim's own, read back with PyAV."""

import importlib
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import av.bitstream
import numpy as np
import pytest
from manim import BLUE, LEFT, RIGHT, Circle, Dot, Scene, Square, tempconfig
from manim.renderer.cairo_renderer import CairoRenderer

from optanim.lesson.catalog import BY_NAME, SCENES
from optanim.lesson.settings import ENCODER_THREADS
from optanim.render import encoder, internals, repeats
from optanim.render.encoder import (
    BLOCK,
    SceneEncoder,
    ToYuv,
)
from optanim.render.internals import Renderer
from optanim.render.repeats import HeldFrames, NotRepeatable


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


def pictures(path: Path) -> tuple[list[np.ndarray], list[int]]:
    """Every decoded picture in yuv420p, and each step between their pts."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    steps = np.diff([f.pts for f in frames]).tolist()
    return [f.to_ndarray(format="yuv420p") for f in frames], steps


def test_a_held_stretch_decodes_to_its_first_picture_at_a_constant_rate(both):
    (movie, _), (_, ours) = both
    for wait in (ours[0], ours[3]):
        frames, steps = pictures(wait)
        assert len(frames) == 6
        assert all(np.array_equal(frame, frames[0]) for frame in frames)
        assert len(set(steps)) == 1
    frames, steps = pictures(movie)  # manim joins the clips into one, still CFR
    assert len(frames) == 39
    assert len(set(steps)) == 1
    assert all(np.array_equal(frame, frames[18]) for frame in frames[18:24])


def test_the_clips_join_as_manim_slides_joins_them(both, tmp_path):
    from manim_slides.utils import concatenate_video_files

    (_, _), (_, ours) = both
    joined = tmp_path / "joined.mp4"
    concatenate_video_files(ours[::-1], joined)  # a held clip in the middle
    frames, steps = pictures(joined)
    assert len(frames) == 39
    assert len(set(steps)) == 1


def test_a_held_frame_is_coded_once_and_repeated_in_some_bytes(both):
    (_, _), (_, ours) = both
    with av.open(str(ours[0])) as container:
        sizes = [p.size for p in container.demux(video=0) if p.size]
    assert len(sizes) == 6
    assert max(sizes[1:]) < 30 < sizes[0]


def test_frames_after_a_hold_in_the_same_clip_decode_on(tmp_path):
    rng = np.random.default_rng(1)
    pictures_in = [rng.integers(0, 256, (36, 64, 4), np.uint8) for _ in range(4)]
    scene = SceneEncoder(64, 36, Fraction(15))
    scene.begin(tmp_path / "clip.mp4")
    for count, rgba in zip([1, 5, 1, 3], pictures_in, strict=True):
        scene.put(count, rgba)
    scene.end()
    scene.seal()
    scene.join()
    frames, steps = pictures(tmp_path / "clip.mp4")
    assert len(frames) == 10
    assert len(set(steps)) == 1
    for held in (frames[1:6], frames[7:10]):
        assert all(np.array_equal(frame, held[0]) for frame in held)
    assert not np.array_equal(frames[5], frames[6])


def test_the_repeats_read_back_unchanged_through_ffmpegs_h264_syntax(both):
    """FFmpeg's coded bitstream reader parses each repeat's slice header field
    by field and writes it back: the same bytes, so it is well formed."""
    (_, _), (_, ours) = both
    with av.open(str(ours[3])) as container:
        stream = container.streams.video[0]
        rewrite = av.bitstream.BitStreamFilterContext("h264_metadata", stream)
        given, written = [], []
        for packet in container.demux(stream):
            if packet.size:
                given.append(bytes(packet)[4:])  # after the NAL unit's length
                written += [bytes(p)[4:] for p in rewrite.filter(packet)]
    assert len(given) == 6
    assert written[1:] == given[1:]


def test_the_repeats_skip_macroblocks_as_x264_codes_an_unchanged_picture():
    """x264 codes a P frame of an unchanged picture as one slice that skips
    every macroblock: its CABAC data is byte for byte what we write at its QP."""
    width, height = 640, 360
    options = encoder.codec_options() | {"threads": "1"}  # one slice a frame
    template, stream = encoder.open_encoder((width, height), Fraction(15), options)
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, : width // 2] = 200
    rgb[height // 4 : height // 2, width // 8 : width // 2] = (30, 90, 160)
    picture = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    packets = []
    for pts, kind in enumerate([encoder.KEY, av.video.frame.PictureType.P]):
        picture.pts, picture.pict_type = pts, kind
        packets += stream.codec_context.encode(picture)
    packets += stream.codec_context.encode(None)
    template.close()
    slice_data = repeats._nal_units(bytes(packets[1]))[1]
    macroblocks = (width // 16) * -(-height // 16)
    cabac = [repeats._all_skipped_cabac(macroblocks, qp) for qp in range(52)]
    matched = {data for data in cabac if slice_data.endswith(data)}
    assert len(matched) == 1  # neighbouring QPs can start CABAC alike
    assert len(matched.pop()) >= 8


def test_repeats_that_do_not_decode_to_the_picture_are_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(encoder, "_CHECKED", {})
    half = repeats._all_skipped_cabac
    monkeypatch.setattr(repeats, "_cabac_data", lambda mbs: half(mbs // 2))
    warned = []
    scene = SceneEncoder(64, 36, Fraction(15), warned.append)
    scene.begin(tmp_path / "clip.mp4")
    rgba = np.zeros((36, 64, 4), np.uint8)
    rgba[10:20, 5:40] = (200, 40, 40, 255)
    scene.put(6, rgba)
    scene.end()
    scene.seal()
    scene.join()
    assert warned == ["Held frames are encoded one by one: the repeats did not "
                      "decode to the picture they repeat"]  # fmt: skip
    with av.open(str(tmp_path / "clip.mp4")) as container:
        sizes = [p.size for p in container.demux(video=0) if p.size]
    assert len(sizes) == 6  # all from x264


def test_a_stream_the_repeats_are_not_written_for_is_refused():
    with pytest.raises(NotRepeatable):
        HeldFrames.of(b"")
    interlaced = encoder.open_encoder((64, 36), Fraction(15), {"flags": "+ildct"})
    with pytest.raises(NotRepeatable, match="interlaced"):
        HeldFrames.of(interlaced[1].codec_context.extradata)
    interlaced[0].close()


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


def test_the_encoder_imports_no_manim():
    loaded = "import sys, optanim.render.encoder; print(*sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", loaded], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    modules = out.stdout.split()
    assert "optanim.render.encoder" in modules
    assert not [m for m in modules if m.split(".")[0] in ("manim", "manim_slides")]


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


@pytest.mark.parametrize(
    ("height", "width"), [(1080, 1920), (288, 512), (100, 170), (36, 64)]
)
def test_converting_what_changed_again_equals_converting_all(height, width):
    rng = np.random.default_rng(height)
    for _ in range(20):
        before = rng.integers(0, 256, (height, width, 4), np.uint8)
        after = before.copy()
        changed = encoder.no_change(height, width)
        for _ in range(rng.integers(1, 4)):  # a few rectangles
            top, bottom = np.sort(rng.integers(0, height, 2)) + [0, 1]
            left, right = np.sort(rng.integers(0, width, 2)) + [0, 1]
            after[top:bottom, left:right] = rng.integers(0, 256, 4, np.uint8)
            spans = encoder.no_change(height, width)
            spans[top // BLOCK : -(-bottom // BLOCK)] = (left, right)
            changed = encoder.union(changed, spans)
        to_yuv = ToYuv()
        to_yuv(before)
        assert np.array_equal(to_yuv(after, changed).to_ndarray(), whole(after))


def test_an_odd_sized_frame_loses_its_last_column_and_row():
    rgba = np.random.default_rng(0).integers(0, 256, (37, 65, 4), np.uint8)
    frame = ToYuv()(rgba)
    assert (frame.width, frame.height) == (64, 36)
    assert np.array_equal(frame.to_ndarray(), whole(rgba[:36, :64].copy()))


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

    monkeypatch.setattr(internals, "ToYuv", Checked)
    monkeypatch.setattr(encoder, "ToYuv", Checked)
    monkeypatch.setattr(internals, "Renderer", CheckedRenderer)
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
