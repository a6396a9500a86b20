"""One x264 encoder for all of a scene's clips, through PyAV and without manim.

One x264 encoder for a whole scene, cut into clips
--------------------------------------------------

:class:`SceneEncoder` keeps one encoder running across a scene's clips. Each
clip begins with a forced IDR frame, and x264's GOPs are closed, so every packet
of a clip comes out before the first packet of the next: the packets are muxed
into that clip's own file, which decodes on its own and concatenates as manim and
manim-slides expect. manim's writer hands it each animation's partial movie file
(``SceneFileWriter`` in :mod:`optanim.render.internals`).

The codec is manim's (libx264, yuv420p) at the veryfast preset and CRF 20 instead
of medium and CRF 23: it costs x264 about 40 % less time, and against manim's own
encode of each scene at 1080p it measured 45.2 to 49.8 dB PSNR with files 1.09 to
1.27 times the size (``make bench`` prints both).

Frames come in as RGBA pixels or as yuv420p frames already converted.
:class:`ToYuv` converts pixels straight to yuv420p, without copying them first;
given the columns that may have changed in each block of rows, it converts again
only the bands around them. A frame held for a whole wait is converted once.

A held frame is coded once (:mod:`optanim.render.repeats`)
---------------------------------------------------------

Narration makes most of a lecture's frames held ones: every ``wait()`` while the
voice speaks. x264 analysed and coded each of them, 60 a second at 1080p, nearly
as dear as a moving frame. Now x264 codes a held picture once, as the IDR frame
its clip starts on, and every further frame of the wait is a P frame written
here whose one slice skips every macroblock: it decodes to a copy of the frame
before it, so the whole wait decodes to its first picture, bit for bit, at
constant frame rate, for about 70 bytes a frame at 1080p. x264 never sees the
repeats: its timestamps stay contiguous, and the frame after a hold starts on an
IDR frame again. Before the first hold of a stream, a second x264 with the same
settings codes the picture and the repeats are decoded after it; if they do not
decode to that picture bit for bit, held frames go to x264 one by one.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from queue import Queue

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from optanim.lesson.settings import ENCODER_THREADS
from optanim.render.repeats import HeldFrames, NotRepeatable

KEY, NO_TYPE = av.video.frame.PictureType.I, av.video.frame.PictureType.NONE
BLOCK = 8  # rows: the unit of the rows converted again
COLUMNS = 32  # the unit of the columns converted again
REFORMATTERS = 64  # swscale contexts kept, one for each size of band converted
FRAMES_AHEAD = 4  # queued for the encoder: enough to keep it busy, 12-32 MB at 1080p
# an IDR frame wherever a clip begins
CODEC_OPTIONS = {"preset": "veryfast", "crf": "20", "forced-idr": "1"}
log = logging.getLogger(__name__)


def codec_options() -> dict[str, str]:
    """:data:`CODEC_OPTIONS`, with x264's threads capped when ``optanim`` runs
    renders side by side."""
    threads = os.environ.get(ENCODER_THREADS, "")
    return CODEC_OPTIONS | ({"threads": threads} if threads.isdigit() else {})


class ToYuv:
    """Converts RGBA pixels to the encoder's yuv420p frames.

    Given the span of columns that may have changed since the frame it
    converted last in each block of :data:`BLOCK` rows, it converts only bands
    around those and copies the rest of the last frame: a ball and a readout
    cover a sixth of the rows, and a fifth of their columns. A band reaches a
    block of rows and :data:`COLUMNS` columns beyond what changed, so that the
    chroma samples it shares come out as a whole-frame conversion makes them,
    and is converted from as far again beyond, so that swscale's edges fall
    outside it.

    Pixels are read without copying them first, and one swscale context serves
    each size of band: ``VideoFrame.reformat`` sets up a context and its threads
    for every frame, which cost more than the conversion itself.
    """

    def __init__(self) -> None:
        self.reformatters: dict[tuple[int, int], VideoReformatter] = {}
        self.last: np.ndarray | None = None  # yuv420p planes, one after another

    def __call__(
        self, rgba: np.ndarray, changed: np.ndarray | None = None
    ) -> av.VideoFrame:
        """``rgba`` as yuv420p; ``changed``: for each block of rows, the
        ``[first, end)`` columns that may differ from the last call's pixels
        (none where first >= end), or None to convert them all."""
        height, width = (side & ~1 for side in rgba.shape[:2])
        rgba = rgba[:height, :width]  # yuv420p has even sides
        if height % 4:  # no whole chroma rows: no bands
            return self._convert(rgba)
        shape = (height * 3 // 2, width)
        if changed is None or self.last is None or self.last.shape != shape:
            planes, bands = np.empty(shape, np.uint8), [(0, height, 0, width)]
        else:
            planes, bands = self.last.copy(), _bands(changed, width)
        for top, bottom, left, right in bands:
            bottom = min(bottom, height)
            rows = (top and top + BLOCK, bottom if bottom == height else bottom - BLOCK)
            columns = (
                left and left + COLUMNS,
                right if right == width else right - COLUMNS,
            )
            converted = self._convert(rgba[top:bottom, left:right])
            for plane, source in zip(_split(planes), converted.planes, strict=True):
                step = height // plane.shape[0]  # chroma planes are half the size
                pixels = np.frombuffer(source, np.uint8).reshape(-1, source.line_size)
                (y0, y1), (x0, x1) = (
                    [i // step for i in keep] for keep in (rows, columns)
                )
                y, x = top // step, left // step
                plane[y0:y1, x0:x1] = pixels[y0 - y : y1 - y, x0 - x : x1 - x]
        self.last = planes
        return av.VideoFrame.from_numpy_buffer(planes, format="yuv420p")

    def _convert(self, rgba: np.ndarray) -> av.VideoFrame:
        size = rgba.shape[:2]
        if size not in self.reformatters and len(self.reformatters) >= REFORMATTERS:
            self.reformatters.clear()
        reformatter = self.reformatters.setdefault(size, VideoReformatter())
        frame = av.VideoFrame.from_numpy_buffer(rgba, format="rgba")
        # One thread: swscale's own threads only add memory to bands this small.
        return reformatter.reformat(frame, format="yuv420p", threads=1)


def _bands(changed: np.ndarray, width: int) -> list[tuple[int, int, int, int]]:
    """The rectangles to convert, ``(top, bottom, left, right)``: each run of
    blocks with changed columns grown by two blocks, across the columns that
    changed in it grown by two :data:`COLUMNS`."""
    bands = []
    for top, bottom in runs(_grown(changed[:, 0] < changed[:, 1], 2)):
        spans = changed[top // BLOCK : bottom // BLOCK]
        first, end = spans[:, 0].min(), spans[:, 1].max()
        left = max(first // COLUMNS - 2, 0) * COLUMNS
        right = min((-(-end // COLUMNS) + 2) * COLUMNS, width)
        bands.append((top, bottom, left, right))
    return bands


def _grown(blocks: np.ndarray, by: int) -> np.ndarray:
    """``blocks`` and the ``by`` blocks either side of each."""
    grown = np.zeros(len(blocks) + 2 * by, bool)
    for shift in range(2 * by + 1):
        grown[shift : shift + len(blocks)] |= blocks
    return grown[by:-by]


def runs(blocks: np.ndarray) -> list[tuple[int, int]]:
    """The row ranges of the runs of set ``blocks``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], blocks, [0]])))
    return [(a * BLOCK, b * BLOCK) for a, b in edges.reshape(-1, 2)]


def no_change(height: int, width: int) -> np.ndarray:
    """Column spans, ``[first, end)`` for each block of rows, that cover nothing."""
    spans = np.empty((-(-height // BLOCK), 2), np.int64)
    spans[:] = (width, 0)
    return spans


def union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Column spans that cover both ``a`` and ``b``."""
    return np.stack([np.minimum(a[:, 0], b[:, 0]), np.maximum(a[:, 1], b[:, 1])], 1)


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


def open_encoder(
    size: tuple[int, int], fps: Fraction, options: dict[str, str]
) -> tuple[av.container.OutputContainer, av.stream.Stream]:
    """An open libx264 encoder in a container that is never written, whose
    stream parameters the clips copy."""
    template = av.open(io.BytesIO(), "w", format="mp4")
    stream = template.add_stream("libx264", rate=fps, options=options)
    stream.pix_fmt = "yuv420p"
    stream.width, stream.height = size
    stream.codec_context.open()
    return template, stream


_CHECKED: dict[tuple[bytes, Fraction], HeldFrames | str] = {}


def held_frames(
    extradata: bytes, fps: Fraction, picture: av.VideoFrame
) -> HeldFrames | str:
    """The repeats for this encoder's stream once they are checked, or why not.

    The check: a second x264 with the same settings (and the same SPS and PPS)
    codes ``picture`` as an IDR frame; that frame and enough repeats to wrap
    frame_num and the picture order count must decode to one picture, bit for
    bit. Once a process for each stream.
    """
    key = (extradata, fps)
    if key not in _CHECKED:
        try:
            _CHECKED[key] = _checked(HeldFrames.of(extradata), extradata, fps, picture)
        except (NotRepeatable, av.FFmpegError) as error:
            _CHECKED[key] = str(error)
    return _CHECKED[key]


def _checked(
    held: HeldFrames, extradata: bytes, fps: Fraction, picture: av.VideoFrame
) -> HeldFrames | str:
    size = (picture.width, picture.height)
    template, stream = open_encoder(size, fps, codec_options() | {"threads": "1"})
    try:
        encoder = stream.codec_context
        if encoder.extradata != extradata:
            return "a second encoder wrote other parameter sets"
        picture.pts, picture.pict_type = 0, KEY
        packets = [*encoder.encode(picture), *encoder.encode(None)]
    finally:
        template.close()
    packets += [av.Packet(held.packet(k)) for k in range(1, held.cycle + 3)]
    decoder = av.CodecContext.create("h264", "r")
    decoder.extradata = extradata
    first, decoded = None, 0
    for packet in [*packets, None]:
        for frame in decoder.decode(packet):  # one at a time: 3 MB each at 1080p
            pixels = frame.to_ndarray()
            first = pixels if first is None else first
            if frame.is_corrupt or not np.array_equal(pixels, first):
                return "the repeats did not decode to the picture they repeat"
            decoded += 1
    if decoded != len(packets):
        return "the repeats did not decode to the picture they repeat"
    return held


class SceneEncoder:
    """Encodes the frames of consecutive clips on a worker thread.

    ``begin(path)`` starts a clip, ``put(n, frame)`` adds a frame shown for ``n``
    frames (RGBA pixels, or a ready yuv420p :class:`av.VideoFrame`), ``end()``
    closes the clip, and ``join()`` waits for every file and re-raises the
    worker's failure, if any. A frame shown for more than one frame is coded
    once, as an IDR frame, and repeated (:class:`HeldFrames`); when the repeats
    cannot be used, ``warn`` is told why and held frames go to x264 one by one.
    """

    def __init__(
        self,
        width: int,
        height: int,
        fps: Fraction,
        warn: Callable[[str], None] = log.warning,
    ) -> None:
        self.size, self.fps, self.warn = (width, height), fps, warn
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
        fps = self.fps
        template, stream = open_encoder(self.size, fps, codec_options())
        encoder = stream.codec_context
        template.start_encoding()  # fills in the stream parameters the clips copy
        clips: list[tuple[int, av.container.OutputContainer, av.stream.Stream]] = []
        frame_index = 0  # of the output
        coded = 0  # frames given to x264
        given: dict[int, int] = {}  # their pts -> frame index
        repeats: dict[int, int] = {}  # frame index of a held frame -> its repeats
        held: HeldFrames | str | None = None  # checked at the first held frame
        to_yuv = ToYuv()

        def write(packet: av.Packet, pts: int, dts: int) -> None:
            while len(clips) > 1 and pts >= clips[1][0]:
                self._close(clips.pop(0)[1])
            start, container, out = clips[0]
            packet.pts, packet.dts, packet.duration = pts - start, dts - start, 1
            packet.stream = out
            container.mux(packet)

        def mux(packets) -> None:
            for packet in packets:
                pts = given.pop(packet.pts)
                dts = packet.dts + pts - packet.pts
                write(packet, pts, dts)
                for k in range(1, repeats.pop(pts, 0) + 1):
                    repeat = av.Packet(held.packet(k))
                    repeat.time_base = encoder.time_base
                    write(repeat, pts + k, dts + k)

        while (item := self.queue.get()) is not None:
            kind, value = item
            if kind == "begin":
                container = av.open(str(value), "w")
                out = container.add_stream_from_template(stream)
                out.time_base = Fraction(1) / fps
                clips.append((frame_index, container, out))
                self.unfinished.append(value)
                key_frame = True
            elif kind == "frame":
                num_frames, frame = value
                if isinstance(frame, np.ndarray):
                    frame = to_yuv(frame)
                if num_frames > 1 and held is None:
                    held = held_frames(encoder.extradata, fps, frame)
                    if isinstance(held, str):
                        self.warn(f"Held frames are encoded one by one: {held}")
                hold = num_frames > 1 and isinstance(held, HeldFrames)
                if hold:  # x264 codes the picture once, as an IDR frame
                    repeats[frame_index] = num_frames - 1
                for index in range(frame_index, frame_index + num_frames):
                    frame.pts, given[coded] = coded, index
                    coded += 1
                    frame.pict_type = KEY if key_frame or hold else NO_TYPE
                    mux(encoder.encode(frame))
                    # x264 knows nothing of the repeats: what follows starts anew
                    key_frame = hold
                    if hold:
                        break
                frame_index += num_frames
        self.sealed = True
        mux(encoder.encode(None))
        for _, container, _ in clips:
            self._close(container)
        template.close()

    def _close(self, container) -> None:
        container.close()
        self.unfinished.remove(Path(container.name))
