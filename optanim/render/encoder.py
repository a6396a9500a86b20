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

A held frame is coded once (:class:`HeldFrames`)
------------------------------------------------

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

import functools
import io
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from queue import Queue

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from optanim.lesson.settings import ENCODER_THREADS

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


# -- Held frames: x264 codes the picture once, the repeats are written here -----
#
# A repeat is a P frame whose one slice skips every macroblock: each decodes to
# a copy of the frame before it, so a held stretch decodes to exactly its first
# picture, at constant frame rate, for some bytes a frame. Each is a reference
# frame, so that frame_num and the picture order count advance as they should.

# ITU-T H.264 Table 9-44: CABAC's rangeTabLPS[pStateIdx][qCodIRangeIdx]
RANGE_LPS = (
    (128, 176, 208, 240), (128, 167, 197, 227), (128, 158, 187, 216),
    (123, 150, 178, 205), (116, 142, 169, 195), (111, 135, 160, 185),
    (105, 128, 152, 175), (100, 122, 144, 166), (95, 116, 137, 158),
    (90, 110, 130, 150), (85, 104, 123, 142), (81, 99, 117, 135),
    (77, 94, 111, 128), (73, 89, 105, 122), (69, 85, 100, 116), (66, 80, 95, 110),
    (62, 76, 90, 104), (59, 72, 86, 99), (56, 69, 81, 94), (53, 65, 77, 89),
    (51, 62, 73, 85), (48, 59, 69, 80), (46, 56, 66, 76), (43, 53, 63, 72),
    (41, 50, 59, 69), (39, 48, 56, 65), (37, 45, 54, 62), (35, 43, 51, 59),
    (33, 41, 48, 56), (32, 39, 46, 53), (30, 37, 43, 50), (29, 35, 41, 48),
    (27, 33, 39, 45), (26, 31, 37, 43), (24, 30, 35, 41), (23, 28, 33, 39),
    (22, 27, 32, 37), (21, 26, 30, 35), (20, 24, 29, 33), (19, 23, 27, 31),
    (18, 22, 26, 30), (17, 21, 25, 28), (16, 20, 23, 27), (15, 19, 22, 25),
    (14, 18, 21, 24), (14, 17, 20, 23), (13, 16, 19, 22), (12, 15, 18, 21),
    (12, 14, 17, 20), (11, 14, 16, 19), (11, 13, 15, 18), (10, 12, 15, 17),
    (10, 12, 14, 16), (9, 11, 13, 15), (9, 11, 12, 14), (8, 10, 12, 14),
    (8, 9, 11, 13), (7, 9, 11, 12), (7, 9, 10, 12), (7, 8, 10, 11),
    (6, 8, 9, 11), (6, 7, 9, 10), (6, 7, 8, 9), (2, 2, 2, 2),
)  # fmt: skip
# Table 9-45: transIdxLPS[pStateIdx] (transIdxMPS is pStateIdx + 1, at most 62)
TRANS_LPS = (
    0, 0, 1, 2, 2, 4, 4, 5, 6, 7, 8, 9, 9, 11, 11, 12, 13, 13, 15, 15, 16, 16,
    18, 18, 19, 19, 21, 21, 22, 22, 23, 24, 24, 25, 26, 26, 27, 27, 28, 29, 29,
    30, 30, 30, 31, 32, 32, 33, 33, 33, 34, 34, 35, 35, 35, 36, 36, 36, 37, 37,
    37, 38, 38, 63,
)  # fmt: skip
SKIP_QP = 51  # the repeats' slice QP: no residual is coded, and skipping is likeliest
HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


class NotRepeatable(ValueError):
    """The stream uses a feature the repeats are not written for."""


class _Reader:
    """Reads the fields of an RBSP: u(n), ue(v) and se(v)."""

    def __init__(self, rbsp: bytes) -> None:
        self.bits, self.left = int.from_bytes(rbsp, "big"), 8 * len(rbsp)

    def u(self, n: int) -> int:
        self.left -= n
        if self.left < 0:
            raise NotRepeatable("a parameter set ends early")
        return (self.bits >> self.left) & ((1 << n) - 1)

    def ue(self) -> int:
        zeros = 0
        while not self.u(1):
            zeros += 1
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code % 2 else -(code // 2)


class _Writer:
    """Writes the fields of an RBSP."""

    def __init__(self) -> None:
        self.bits, self.size = 0, 0

    def u(self, n: int, value: int) -> None:
        self.bits, self.size = (self.bits << n) | value, self.size + n

    def ue(self, value: int) -> None:
        self.u(2 * (value + 1).bit_length() - 1, value + 1)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align(self, bit: int) -> None:
        while self.size % 8:
            self.u(1, bit)

    def bytes(self) -> bytes:
        return self.bits.to_bytes(self.size // 8, "big")


def _nal_units(annex_b: bytes) -> dict[int, bytes]:
    """The RBSP of each NAL unit type in an Annex B byte stream (the last one)."""
    units = {}
    for unit in annex_b.split(b"\x00\x00\x01"):
        unit = unit.rstrip(b"\x00")
        if unit:
            units[unit[0] & 0x1F] = unit[1:].replace(b"\x00\x00\x03", b"\x00\x00")
    return units


def _escaped(rbsp: bytes) -> bytes:
    """``rbsp`` with the emulation prevention bytes a NAL unit needs."""
    out, zeros = bytearray(), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _all_skipped_cabac(macroblocks: int, qp: int = SKIP_QP) -> bytes:
    """CABAC slice data that skips ``macroblocks`` macroblocks, ending the slice
    (H.264 9.3.4): mb_skip_flag 1 and end_of_slice_flag for each, then the
    flush, whose last bit is the rbsp_stop_one_bit, and zeros to a byte."""
    # mb_skip_flag's context 11 at cabac_init_idc 0 (Table 9-13, 9.3.1.1): when
    # every macroblock is skipped, no neighbour moves it to context 12 or 13.
    m, n = 23, 33
    state = min(max(((m * min(max(qp, 0), 51)) >> 4) + n, 1), 126)
    state, skip_likelier = (state - 64, True) if state > 63 else (63 - state, False)
    low, span, pending, first = 0, 510, 0, True
    bits: list[int] = []

    def put(bit: int) -> None:
        nonlocal pending, first
        if not first:
            bits.append(bit)
        first = False
        bits.extend([1 - bit] * pending)
        pending = 0

    def renormalize() -> None:
        nonlocal low, span, pending
        while span < 256:
            if low < 256:
                put(0)
            elif low >= 512:
                low -= 512
                put(1)
            else:
                low -= 256
                pending += 1
            span, low = span << 1, low << 1

    for macroblock in range(macroblocks):
        lps = RANGE_LPS[state][(span >> 6) & 3]  # mb_skip_flag = 1:
        span -= lps
        if skip_likelier:  # the most probable symbol
            state = min(state + 1, 62)
        else:
            low, span = low + span, lps
            skip_likelier = state == 0
            state = TRANS_LPS[state]
        renormalize()
        span -= 2  # end_of_slice_flag, a terminating bin
        if macroblock < macroblocks - 1:
            renormalize()  # 0: not yet
    low, span = low + span, 2  # 1: the flush
    renormalize()
    put((low >> 9) & 1)
    bits += [(low >> 8) & 1, 1]
    bits += [0] * (-len(bits) % 8)
    return int("".join(map(str, bits)), 2).to_bytes(len(bits) // 8, "big")


@dataclass(frozen=True)
class HeldFrames:
    """The repeats of a held picture in the stream of an encoder's ``extradata``
    (its SPS and PPS, in Annex B form, as x264 gives them)."""

    pps_id: int
    chroma: bool  # ChromaArrayType != 0
    log2_frame_num: int
    poc_type: int
    log2_poc_lsb: int
    macroblocks: int
    cabac: bool
    bottom_poc: bool
    weighted: bool
    init_qp: int
    deblocking_control: bool
    redundant_pic_cnt: bool

    @classmethod
    def of(cls, extradata: bytes) -> HeldFrames:
        """Reads what the repeats must match from the SPS and PPS (7.3.2.1 and
        7.3.2.2); raises :class:`NotRepeatable` on what they are not written for."""
        units = _nal_units(extradata)
        if 7 not in units or 8 not in units:
            raise NotRepeatable("no SPS and PPS in the extradata")
        sps = _Reader(units[7])
        profile, _, sps_id = sps.u(8), sps.u(16), sps.ue()
        chroma_format, separate_planes = 1, 0
        if profile in HIGH_PROFILES:
            chroma_format = sps.ue()
            if chroma_format == 3:
                separate_planes = sps.u(1)
            sps.ue(), sps.ue(), sps.u(1)  # bit depths, lossless
            if sps.u(1):
                raise NotRepeatable("scaling matrices")
        log2_frame_num, poc_type = sps.ue() + 4, sps.ue()
        if poc_type == 1:
            raise NotRepeatable("picture order count type 1")
        log2_poc_lsb = sps.ue() + 4 if poc_type == 0 else 0
        sps.ue(), sps.u(1)  # max_num_ref_frames, gaps_in_frame_num_value_allowed
        macroblocks = (sps.ue() + 1) * (sps.ue() + 1)
        if not sps.u(1):
            raise NotRepeatable("interlaced coding")
        pps = _Reader(units[8])
        pps_id = pps.ue()
        if pps.ue() != sps_id:
            raise NotRepeatable("a PPS of another SPS")
        cabac, bottom_poc = pps.u(1), pps.u(1)
        if pps.ue():
            raise NotRepeatable("slice groups")
        pps.ue(), pps.ue()  # num_ref_idx_l0/l1_default_active_minus1
        weighted, _ = pps.u(1), pps.u(2)
        init_qp = 26 + pps.se()
        pps.se(), pps.se()  # pic_init_qs, chroma_qp_index_offset
        deblocking_control, _, redundant = pps.u(1), pps.u(1), pps.u(1)
        return cls(
            pps_id, bool(chroma_format and not separate_planes), log2_frame_num,
            poc_type, log2_poc_lsb, macroblocks, bool(cabac), bool(bottom_poc),
            bool(weighted), init_qp, bool(deblocking_control), bool(redundant),
        )  # fmt: skip

    @property
    def cycle(self) -> int:
        """Repeats after which frame_num and the picture order count wrap."""
        return max(1 << self.log2_frame_num, (1 << self.log2_poc_lsb) // 2)

    def packet(self, k: int) -> bytes:
        """The ``k``-th repeat (from 1) after an IDR frame: one access unit in
        Annex B form, a P slice that skips every macroblock (7.3.3, 7.3.4)."""
        header = _Writer()
        header.ue(0)  # first_mb_in_slice
        header.ue(5)  # slice_type: P, as every slice of the picture
        header.ue(self.pps_id)
        header.u(self.log2_frame_num, k % (1 << self.log2_frame_num))
        if self.poc_type == 0:
            header.u(self.log2_poc_lsb, 2 * k % (1 << self.log2_poc_lsb))
            if self.bottom_poc:
                header.se(0)  # delta_pic_order_cnt_bottom
        if self.redundant_pic_cnt:
            header.ue(0)
        header.u(1, 1)  # num_ref_idx_active_override_flag: one reference,
        header.ue(0)  # the frame before
        header.u(1, 0)  # ref_pic_list_modification_flag_l0
        if self.weighted:  # pred_weight_table: no weights
            header.ue(0)
            if self.chroma:
                header.ue(0)
            header.u(1, 0)
            if self.chroma:
                header.u(1, 0)
        header.u(1, 0)  # adaptive_ref_pic_marking_mode_flag: a sliding window
        if self.cabac:
            header.ue(0)  # cabac_init_idc
        header.se(SKIP_QP - self.init_qp)  # slice_qp_delta
        if self.deblocking_control:
            header.ue(1)  # disable_deblocking_filter_idc: nothing to filter
        if self.cabac:
            header.align(1)  # cabac_alignment_one_bit
            rbsp = header.bytes() + _cabac_data(self.macroblocks)
        else:
            header.ue(self.macroblocks)  # mb_skip_run
            header.u(1, 1)  # rbsp_stop_one_bit
            header.align(0)
            rbsp = header.bytes()
        return b"\x00\x00\x00\x01\x41" + _escaped(rbsp)  # nal_ref_idc 2, non-IDR


@functools.cache
def _cabac_data(macroblocks: int) -> bytes:
    return _all_skipped_cabac(macroblocks)


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
