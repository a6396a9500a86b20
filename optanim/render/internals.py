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

:class:`SceneFileWriter` keeps one encoder running across the scene instead
(:class:`~optanim.render.encoder.SceneEncoder`, which needs no manim): each
animation's frames go to that animation's own partial movie file, which decodes
on its own and concatenates as manim and manim-slides expect.

Frames also cost less on the way in: :class:`Renderer` hands the encoder yuv420p
frames converted straight from the camera's pixels, instead of copying them for
the encoder thread; within an animation it converts again only the rows, and the
columns within them, that the moving mobjects cover
(:class:`~optanim.render.encoder.ToYuv`).

A scene opts in with the :class:`OneEncoder` mixin, as ``LessonSlide`` does. It
refuses the OpenGL renderer in one line, crops odd frame sizes to the even ones
H.264 takes, writes nothing under ``--dry_run``, and joins clips in folders whose
path holds a ``'``.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import manim
import numpy as np
from manim import Camera, Mobject, Scene, VMobject, config, logger, tempconfig
from manim.__main__ import main as manim_main
from manim.constants import RendererType
from manim.renderer.cairo_renderer import CairoRenderer
from manim.scene import scene_file_writer
from manim.scene.scene_file_writer import to_av_frame_rate
from manim.utils.file_ops import write_to_movie

from optanim.render.encoder import BLOCK, SceneEncoder, ToYuv, no_change, runs, union

# The manim releases these seams were written and tested against: outside them,
# scenes render through manim's own writer, renderer and camera.
TESTED = ("0.21.",)
SUPPORTED = manim.__version__.startswith(TESTED)


class SceneFileWriter(scene_file_writer.SceneFileWriter):
    """manim's writer with one :class:`SceneEncoder` for all of a scene's clips.

    Transparent and WebM output keep manim's own per-clip encoders.
    """

    encoder: SceneEncoder | None = None

    def _is_mp4(self) -> bool:
        return config.movie_file_extension == ".mp4" and not config.transparent

    def open_partial_movie_stream(self, file_path=None) -> None:
        # manim-slides 5.7 sets write_to_movie on every Slide, even under
        # --dry_run, where manim 0.21 lists no partial movie files: it then
        # failed here with an IndexError. A dry run writes nothing.
        if config.dry_run:
            return None
        if not self._is_mp4():
            return super().open_partial_movie_stream(file_path)
        if file_path is None:
            file_path = self.partial_movie_files[self.renderer.num_plays]
        if self.encoder is None:
            fps = to_av_frame_rate(config.frame_rate)
            width, height = config.pixel_width, config.pixel_height
            if width % 2 or height % 2:
                even = f"{width & ~1}x{height & ~1}"
                print(
                    f"note: H.264 takes even sizes only: the video is {even}, "
                    f"cropped from {width}x{height}",
                    file=sys.stderr,
                )
            self.encoder = SceneEncoder(width & ~1, height & ~1, fps, logger.warning)
        self.partial_movie_file_path = file_path
        self.encoder.begin(file_path)
        self._current_encode_job = self.encoder  # manim's write_frame puts frames here

    def close_partial_movie_stream(self) -> None:
        if config.dry_run:
            return None
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

    def finish(self) -> None:
        if config.dry_run:  # nothing was written to combine, clean or caption
            return
        super().finish()

    def combine_files(
        self,
        input_files: list[str],
        output_file: Path,
        create_gif: bool = False,
        includes_sound: bool = False,
    ) -> None:
        # manim 0.21 writes each path into ffmpeg's concat list as `file
        # 'file:PATH'` without escaping quotes: a ' anywhere in the media
        # folder's path ended the string early, and the list named missing
        # files. manim-slides escapes its own list the same way
        # (jeertmans/manim-slides#673); we found no report against manim.
        quoted = [str(path).replace("'", "'\\''") for path in input_files]
        super().combine_files(quoted, output_file, create_gif, includes_sound)

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
    so a frame differs from the last only where they are now or were then: in
    some rows, and in some columns of those. Only what they covered is restored
    from the static image, and only that is converted again (:class:`ToYuv`);
    the rest is the last frame's.
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
            spans = last[1]
            for top, bottom in runs(spans[:, 0] < spans[:, 1]):
                run = spans[top // BLOCK : bottom // BLOCK]
                columns = slice(run[:, 0].min(), run[:, 1].max())
                pixels[top:bottom, columns] = static[top:bottom, columns]
            self.camera.capture_mobjects(moving_mobjects)
            frame = self.to_yuv(pixels, union(drawn[1], spans))
        else:
            self.update_frame(scene, moving_mobjects)
            frame = self.to_yuv(self.camera.pixel_array)
        self.add_frame(frame)
        self.drawn = drawn

    def _drawn(self, mobjects) -> tuple[tuple, np.ndarray] | None:
        """The camera's view, and for each block of rows the span of columns
        that ``mobjects`` may have drawn on (see :class:`ToYuv`); None when that
        is not known."""
        if not mobjects:
            return None  # manim draws every mobject
        camera = self.camera
        height, width = camera.pixel_height, camera.pixel_width
        scale = np.array([width / camera.frame_width, height / camera.frame_height])
        # the frame's top left corner: pixel row and column 0
        corner = camera.frame_center[:2] + [-camera.frame_width / 2, 0]
        corner[1] += camera.frame_height / 2
        spans = no_change(height, width)
        for mob in camera.get_mobjects_to_display(mobjects):
            if not isinstance(mob, VMobject):
                return None  # an image or a point cloud
            points = camera.transform_points_pre_display(mob, mob.points)[:, :2]
            # A curve lies within its control points, and a stroke's mitred
            # corners reach five widths from them at most (Cairo's limit of 10).
            stroke = max(mob.get_stroke_width(), mob.get_stroke_width(background=True))
            reach = 5 * stroke * camera.cairo_line_width_multiple * scale.max() + 2
            x0, y0 = (points.min(0) - corner) * scale  # y grows up, rows down
            x1, y1 = (points.max(0) - corner) * scale
            first = math.floor(-y1 - reach) // BLOCK
            last = math.floor(-y0 + reach) // BLOCK
            rows = slice(max(first, 0), max(last + 1, 0))
            left, end = math.floor(x0 - reach), math.floor(x1 + reach) + 1
            spans[rows, 0] = np.minimum(spans[rows, 0], max(left, 0))
            spans[rows, 1] = np.maximum(spans[rows, 1], min(end, width))
        view = (*camera.frame_center, camera.frame_width, camera.frame_height)
        return view, spans


class OneEncoder:
    """Mixin for a manim ``Scene``: render with :class:`Renderer` under cairo."""

    def __init__(self, *args, **kwargs) -> None:
        cairo = config.renderer == RendererType.CAIRO
        if not cairo:  # the scenes build VMobjects, which OpenGL cannot draw
            print(
                "error: these scenes render with the Cairo renderer only; "
                "leave out --renderer=opengl",
                file=sys.stderr,
            )
            sys.exit(2)
        if config.dry_run:  # nothing is written, so hashing for a cache is waste
            config.disable_caching = True
        if SUPPORTED and "renderer" not in kwargs:
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
    (scene_file_writer.SceneFileWriter, "finish", ()),
    (
        scene_file_writer.SceneFileWriter,
        "combine_files",
        ("input_files", "output_file", "create_gif", "includes_sound"),
    ),
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
