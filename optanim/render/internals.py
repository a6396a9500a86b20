"""Every seam into manim's internals, in one place.

Everything else in optanim uses manim's public API. What reaches further is
here, checked against the manim versions it was written for (:data:`TESTED`),
and ``tests/test_internals.py`` checks that every method overridden below still
exists with the signature expected (:data:`SEAMS`). Outside the tested versions
the scenes fall back to manim's own writer and renderer.

The seams: one x264 encoder for a whole scene (:class:`SceneFileWriter`,
:class:`Renderer`), a camera that strokes straight polylines
(:class:`PolylineCamera`), a still rendered past manim-slides
(:func:`render_without_slides`), drawing order changed in place (:func:`draw_below`),
and several manim command lines run in one process (:func:`render_all`).

One x264 encoder for a whole scene, cut into manim's partial movie files
------------------------------------------------------------------------

manim 0.21 opens a fresh encoder for every animation and, when it encodes one clip
at a time, waits for it to drain before the next animation renders: x264's
lookahead of about 40 frames is flushed while the renderer idles. A scene of
fourteen animations spent a quarter of its wall time there at 1080p.

:class:`SceneFileWriter` keeps one encoder running across the scene instead. Each
animation begins with a forced IDR frame, and x264's GOPs are closed, so every
packet of an animation comes out before the first packet of the next: the packets
are muxed into that animation's own partial movie file, which decodes on its own
and concatenates as manim and manim-slides expect.

The codec is manim's (libx264, yuv420p) at the veryfast preset and CRF 20 instead
of medium and CRF 23: it costs x264 about 40 % less time, and against manim's own
encode of each scene at 1080p it measured 45.2 to 49.8 dB PSNR with files 1.09 to
1.27 times the size (``make bench`` prints both).

Frames also cost less on the way in: :class:`Renderer` converts each to yuv420p
straight from the camera's pixels, instead of copying them for the encoder
thread; within an animation it converts again only the rows that the moving
mobjects cover, and a frame held for a whole wait is converted once.

A scene opts in with the :class:`OneEncoder` mixin, as ``LessonSlide`` does.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import threading
from fractions import Fraction
from pathlib import Path
from queue import Queue

import av
import manim
import numpy as np
from av.video.reformatter import VideoReformatter
from manim import Camera, Mobject, Scene, VMobject, config, tempconfig
from manim.__main__ import main as manim_main
from manim.constants import RendererType
from manim.renderer.cairo_renderer import CairoRenderer
from manim.scene import scene_file_writer
from manim.scene.scene_file_writer import to_av_frame_rate
from manim.utils.file_ops import write_to_movie

from optanim.lesson.settings import ENCODER_THREADS

# The manim releases these seams were written and tested against: outside them,
# scenes render through manim's own writer, renderer and camera.
TESTED = ("0.21.",)
SUPPORTED = manim.__version__.startswith(TESTED)

KEY, NO_TYPE = av.video.frame.PictureType.I, av.video.frame.PictureType.NONE
BLOCK = 8  # rows: the unit of the rows converted again
FRAMES_AHEAD = 4  # queued for the encoder: enough to keep it busy, 12-32 MB at 1080p
# an IDR frame wherever a clip begins
CODEC_OPTIONS = {"preset": "veryfast", "crf": "20", "forced-idr": "1"}


def codec_options() -> dict[str, str]:
    """:data:`CODEC_OPTIONS`, with x264's threads capped when ``optanim`` runs
    renders side by side."""
    threads = os.environ.get(ENCODER_THREADS, "")
    return CODEC_OPTIONS | ({"threads": threads} if threads.isdigit() else {})


class ToYuv:
    """Converts RGBA pixels to the encoder's yuv420p frames.

    Given which blocks of :data:`BLOCK` rows may have changed since the frame it
    converted last, it converts only bands around those and copies the rest of
    the last frame: a ball and a readout cover a sixth of the rows. The bands
    reach a block beyond the changed rows, so that the chroma rows they share
    come out as a whole-frame conversion makes them, and are converted from a
    block further still, so that swscale's edges fall outside them.

    Pixels are read without copying them first, and one swscale context serves
    each band height: ``VideoFrame.reformat`` sets up a context and its threads
    for every frame, which cost more than the conversion itself.
    """

    def __init__(self) -> None:
        self.reformatters: dict[int, VideoReformatter] = {}
        self.last: np.ndarray | None = None  # yuv420p planes, one after another

    def __call__(
        self, rgba: np.ndarray, changed: np.ndarray | None = None
    ) -> av.VideoFrame:
        """``rgba`` as yuv420p; ``changed``: a flag per block of rows that may
        differ from the last call's pixels, or None to convert them all."""
        height, width = rgba.shape[:2]
        if height % 4 or width % 2:  # no whole chroma rows: no bands
            return self._convert(rgba)
        shape = (height * 3 // 2, width)
        if changed is None or self.last is None or self.last.shape != shape:
            planes, bands = np.empty(shape, np.uint8), [(0, height)]
        else:
            planes, bands = self.last.copy(), _bands(changed)
        for start, stop in bands:
            stop = min(stop, height)
            keep = (start and start + BLOCK, stop if stop == height else stop - BLOCK)
            converted = self._convert(rgba[start:stop])
            for plane, source in zip(_split(planes), converted.planes, strict=True):
                # chroma planes have half the rows
                step = height // plane.shape[0]
                rows = np.frombuffer(source, np.uint8).reshape(-1, source.line_size)
                first, last = (row // step for row in keep)
                begin = start // step
                plane[first:last] = rows[first - begin : last - begin, : plane.shape[1]]
        self.last = planes
        return av.VideoFrame.from_numpy_buffer(planes, format="yuv420p")

    def _convert(self, rgba: np.ndarray) -> av.VideoFrame:
        reformatter = self.reformatters.setdefault(len(rgba), VideoReformatter())
        frame = av.VideoFrame.from_numpy_buffer(rgba, format="rgba")
        # One thread: swscale's own threads only add memory to bands this small.
        return reformatter.reformat(frame, format="yuv420p", threads=1)


def _bands(changed: np.ndarray) -> list[tuple[int, int]]:
    """The row ranges to convert: runs of ``changed`` blocks, grown by two."""
    grown = np.zeros(len(changed) + 4, bool)
    for shift in range(5):
        grown[shift : shift + len(changed)] |= changed
    return _runs(grown[2:-2])


def _runs(blocks: np.ndarray) -> list[tuple[int, int]]:
    """The row ranges of the runs of set ``blocks``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], blocks, [0]])))
    return [(a * BLOCK, b * BLOCK) for a, b in edges.reshape(-1, 2)]


def _split(planes: np.ndarray) -> list[np.ndarray]:
    """The Y, U and V planes of a yuv420p buffer, as views."""
    height, width = planes.shape[0] * 2 // 3, planes.shape[1]
    flat = planes.reshape(-1)
    y, chroma = height * width, height * width // 4
    return [
        flat[:y].reshape(height, width),
        flat[y : y + chroma].reshape(height // 2, width // 2),
        flat[y + chroma :].reshape(height // 2, width // 2),
    ]


class SceneEncoder:
    """Encodes the frames of consecutive clips on a worker thread.

    ``begin(path)`` starts a clip, ``put(n, frame)`` adds a frame shown for ``n``
    frames (RGBA pixels, or a ready yuv420p :class:`av.VideoFrame`), ``end()``
    closes the clip, and ``join()`` waits for every file and re-raises the
    worker's failure, if any.
    """

    def __init__(self, width: int, height: int, fps: Fraction) -> None:
        self.size, self.fps = (width, height), fps
        self.queue: Queue = Queue(maxsize=FRAMES_AHEAD)
        self.error: BaseException | None = None
        self.begun: set[Path] = set()
        self.unfinished: list[Path] = []  # files begun and not yet closed
        self.sealed = False
        self.thread = threading.Thread(target=self._run, name="scene-encoder")
        self.thread.start()

    @property
    def failed(self) -> bool:  # manim's write_frame asks, as of its own encode jobs
        return self.error is not None

    def begin(self, path) -> None:
        self.begun.add(Path(path))
        self.queue.put(("begin", Path(path)))

    def put(self, num_frames: int, frame: np.ndarray) -> None:
        self.queue.put(("frame", (num_frames, frame)))

    def end(self) -> None:
        self.queue.put(("end", None))

    def seal(self) -> None:
        self.queue.put(None)

    def join(self) -> None:
        self.thread.join()
        if self.error is not None:
            self.discard()
            raise self.error

    def discard(self) -> None:
        """Deletes the files that were begun and not finished."""
        for path in self.unfinished:
            path.unlink(missing_ok=True)

    def _run(self) -> None:
        try:
            self._encode()
        except BaseException as error:
            self.error = error
            while not self.sealed:  # drain, so that put() never blocks
                self.sealed = self.queue.get() is None

    def _encode(self) -> None:
        template = av.open(io.BytesIO(), "w", format="mp4")  # its header is never kept
        stream = template.add_stream("libx264", rate=self.fps, options=codec_options())
        stream.pix_fmt = "yuv420p"
        stream.width, stream.height = self.size
        encoder = stream.codec_context
        encoder.open()
        template.start_encoding()  # fills in the stream parameters the clips copy
        clips: list[tuple[int, av.container.OutputContainer, av.stream.Stream]] = []
        frame_index = 0
        to_yuv = ToYuv()

        def mux(packets) -> None:
            for packet in packets:
                while len(clips) > 1 and packet.pts >= clips[1][0]:
                    self._close(clips.pop(0)[1])
                start, container, out = clips[0]
                packet.pts -= start
                packet.dts -= start
                packet.duration = 1
                packet.stream = out
                container.mux(packet)

        while (item := self.queue.get()) is not None:
            kind, value = item
            if kind == "begin":
                container = av.open(str(value), "w")
                out = container.add_stream_from_template(stream)
                out.time_base = Fraction(1) / self.fps
                clips.append((frame_index, container, out))
                self.unfinished.append(value)
                key_frame = True
            elif kind == "frame":
                num_frames, frame = value
                if isinstance(frame, np.ndarray):
                    frame = to_yuv(frame)
                for _ in range(num_frames):
                    frame.pts = frame_index
                    frame.pict_type = KEY if key_frame else NO_TYPE
                    mux(encoder.encode(frame))
                    frame_index += 1
                    key_frame = False
        self.sealed = True
        mux(encoder.encode(None))
        for _, container, _ in clips:
            self._close(container)
        template.close()

    def _close(self, container) -> None:
        container.close()
        self.unfinished.remove(Path(container.name))


class SceneFileWriter(scene_file_writer.SceneFileWriter):
    """manim's writer with one :class:`SceneEncoder` for all of a scene's clips.

    Transparent and WebM output keep manim's own per-clip encoders.
    """

    encoder: SceneEncoder | None = None

    def _is_mp4(self) -> bool:
        return config.movie_file_extension == ".mp4" and not config.transparent

    def open_partial_movie_stream(self, file_path=None) -> None:
        if not self._is_mp4():
            return super().open_partial_movie_stream(file_path)
        if file_path is None:
            file_path = self.partial_movie_files[self.renderer.num_plays]
        if self.encoder is None:
            fps = to_av_frame_rate(config.frame_rate)
            self.encoder = SceneEncoder(config.pixel_width, config.pixel_height, fps)
        self.partial_movie_file_path = file_path
        self.encoder.begin(file_path)
        self._current_encode_job = self.encoder  # manim's write_frame puts frames here

    def close_partial_movie_stream(self) -> None:
        if self.encoder is None:
            return super().close_partial_movie_stream()
        self.encoder.end()
        self._current_encode_job = None

    def is_already_cached(self, hash_invocation: str) -> bool:
        """Also true of a clip the encoder has begun: the same hash, the same frames."""
        if self.encoder is not None:
            path = self.partial_movie_directory / f"{hash_invocation}.mp4"
            if path in self.encoder.begun:
                return True
        return super().is_already_cached(hash_invocation)

    def join_all_encode_jobs(self) -> None:
        super().join_all_encode_jobs()
        encoder, self.encoder = self.encoder, None
        if encoder is not None:
            encoder.seal()
            encoder.join()

    def abort_encode_jobs(self, reraise_encoder_failures: bool = False) -> None:
        encoder, self.encoder = self.encoder, None
        self._current_encode_job = None
        if encoder is not None:
            encoder.seal()
            encoder.thread.join()
            encoder.discard()
            if reraise_encoder_failures and encoder.error is not None:
                raise encoder.error
        super().abort_encode_jobs(reraise_encoder_failures)


class Renderer(CairoRenderer):
    """manim's cairo renderer, handing :class:`SceneEncoder` converted frames.

    Within an animation manim draws the moving mobjects over one static image,
    so a frame differs from the last only in the rows they cover now or covered
    then. Only the rows they covered are restored from the static image, and
    only those rows are converted again (:class:`ToYuv`); the rest is the last
    frame's.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(file_writer_class=SceneFileWriter, **kwargs)
        self.to_yuv = ToYuv()
        self.drawn: tuple | None = None  # what _drawn said of the last frame

    def update_frame(self, *args, **kwargs) -> None:
        self.drawn = None  # the whole frame is drawn: the next one starts whole
        super().update_frame(*args, **kwargs)

    def save_static_frame_data(self, scene, static_mobjects):
        self.drawn = None  # a new static image
        return super().save_static_frame_data(scene, static_mobjects)

    def render(self, scene, time: float, moving_mobjects=None) -> None:
        if self.file_writer.encoder is None or self.skip_animations:
            self.drawn = None
            return super().render(scene, time, moving_mobjects)
        drawn, last = self._drawn(moving_mobjects), self.drawn
        if drawn and last and drawn[0] == last[0]:
            pixels = self.camera.pixel_array
            static = self.static_image
            static = self.camera.background if static is None else static
            for start, stop in _runs(last[1]):
                pixels[start:stop] = static[start:stop]
            self.camera.capture_mobjects(moving_mobjects)
            frame = self.to_yuv(pixels, drawn[1] | last[1])
        else:
            self.update_frame(scene, moving_mobjects)
            frame = self.to_yuv(self.camera.pixel_array)
        self.add_frame(frame)
        self.drawn = drawn

    def _drawn(self, mobjects) -> tuple[tuple, np.ndarray] | None:
        """The camera's view, and a flag per block of rows that ``mobjects`` may
        have drawn on; None when that is not known."""
        if not mobjects:
            return None  # manim draws every mobject
        camera = self.camera
        scale = camera.pixel_height / camera.frame_height  # pixels per unit
        top = camera.frame_center[1] + camera.frame_height / 2  # of pixel row 0
        blocks = np.zeros(-(-camera.pixel_height // BLOCK), bool)
        for mob in camera.get_mobjects_to_display(mobjects):
            if not isinstance(mob, VMobject):
                return None  # an image or a point cloud
            ys = camera.transform_points_pre_display(mob, mob.points)[:, 1]
            # A curve lies within its control points, and a stroke's mitred
            # corners reach five widths from them at most (Cairo's limit of 10).
            width = max(mob.get_stroke_width(), mob.get_stroke_width(background=True))
            reach = 5 * width * camera.cairo_line_width_multiple * scale + 2
            first = math.floor((top - ys.max()) * scale - reach) // BLOCK
            last = math.floor((top - ys.min()) * scale + reach) // BLOCK
            blocks[max(first, 0) : max(last + 1, 0)] = True
        view = (*camera.frame_center, camera.frame_width, camera.frame_height)
        return view, blocks


class OneEncoder:
    """Mixin for a manim ``Scene``: render with :class:`Renderer` under cairo."""

    def __init__(self, *args, **kwargs) -> None:
        cairo = config.renderer == RendererType.CAIRO
        if SUPPORTED and cairo and "renderer" not in kwargs:
            kwargs["renderer"] = Renderer(
                camera_class=kwargs.get("camera_class", Camera),
                skip_animations=kwargs.get("skip_animations", False),
            )
        super().__init__(*args, **kwargs)


class PolylineCamera(Camera):
    """manim's Cairo camera, which traces straight shapes with ``line_to``.

    A VMobject flagged ``straight`` is a set of polylines: its Bézier curves are
    straight, so the camera joins their anchors with lines, which Cairo strokes
    twice as fast. A wireframe is a thousand such segments, re-drawn on every
    frame of a camera move.
    """

    def set_cairo_context_path(self, ctx, vmobject: VMobject) -> PolylineCamera:
        if not (SUPPORTED and getattr(vmobject, "straight", False)):
            return super().set_cairo_context_path(ctx, vmobject)
        points = self.transform_points_pre_display(vmobject, vmobject.points)
        ctx.new_path()
        if len(points) == 0:
            return self
        splits = vmobject.get_subpath_split_indices_from_points(points, n_dims=2)
        for start, end in splits:
            if end - start < 4:
                continue
            ctx.move_to(*points[start, :2])
            for x, y in points[start + 3 : end : 4, :2]:  # the curves' end anchors
                ctx.line_to(x, y)
        return self


def writes_slides() -> bool:
    """Whether this render writes movie clips that manim-slides can save.

    Not under ``-s`` (the last frame), ``--format png`` or ``--dry_run``: there
    manim-slides 5.7 fails to merge clips that were never written
    ("Failed to merge basenames of files for slide"), on any ``Slide``.
    """
    return write_to_movie() and not (config.save_last_frame or config.dry_run)


def render_without_slides(slide, *args, **kwargs) -> bool:
    """Renders a manim-slides ``Slide`` as a plain ``Scene`` (see
    :func:`writes_slides`)."""
    return Scene.render(slide, *args, **kwargs)


def draw_below(scene: Scene, mobject: Mobject, below: Mobject) -> None:
    """Adds ``mobject`` to ``scene``, drawn just under ``below``."""
    scene.remove(mobject)
    scene.mobjects.insert(scene.mobjects.index(below), mobject)


# Every manim method this module overrides or calls past the public API, with
# the parameters it expects: tests/test_internals.py checks them.
SEAMS = (
    (scene_file_writer.SceneFileWriter, "open_partial_movie_stream", ("file_path",)),
    (scene_file_writer.SceneFileWriter, "close_partial_movie_stream", ()),
    (scene_file_writer.SceneFileWriter, "is_already_cached", ("hash_invocation",)),
    (scene_file_writer.SceneFileWriter, "join_all_encode_jobs", ()),
    (
        scene_file_writer.SceneFileWriter,
        "abort_encode_jobs",
        ("reraise_encoder_failures",),
    ),
    (CairoRenderer, "update_frame", ("scene", "mobjects")),
    (CairoRenderer, "save_static_frame_data", ("scene", "static_mobjects")),
    (CairoRenderer, "render", ("scene", "time", "moving_mobjects")),
    (CairoRenderer, "add_frame", ("frame", "num_frames")),
    (Camera, "set_cairo_context_path", ("ctx", "vmobject")),
    (Camera, "transform_points_pre_display", ("mobject", "points")),
    (Camera, "capture_mobjects", ("mobjects",)),
    (Camera, "get_mobjects_to_display", ("mobjects",)),
    (VMobject, "get_subpath_split_indices_from_points", ("points", "n_dims")),
    (Scene, "render", ("preview",)),
)


def render_all(renders: list[dict]) -> None:
    """Runs several ``manim`` command lines in this one process, each ``{"args":
    [...], "env": {...}}``: its arguments after ``manim``, and the environment
    variables it sets. Each starts from the same configuration.

    The lecture's title cards are two seconds of video each: starting manim for
    each costs about as much CPU time again.
    """
    for render in renders:
        os.environ.update(render["env"])
        with tempconfig({}):
            manim_main(args=render["args"], standalone_mode=False)


if __name__ == "__main__":
    render_all(json.loads(sys.argv[1]))
