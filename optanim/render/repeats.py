"""The repeats of a held picture, written as H.264 P frames that skip every
macroblock.

A repeat is a P frame whose one slice skips every macroblock: each decodes to
a copy of the frame before it, so a held stretch decodes to exactly its first
picture, at constant frame rate, for some bytes a frame. Each is a reference
frame, so that frame_num and the picture order count advance as they should.
:class:`HeldFrames` reads what it needs from the encoder's SPS and PPS, and
writes each repeat's slice header and its CABAC-coded slice data by ITU-T H.264.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

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
