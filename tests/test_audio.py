"""Narration audio: decoding, WAV output, BS.1770 loudness against FFmpeg, timing."""

from __future__ import annotations

import math
from fractions import Fraction

import av
import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from optanim.narration import audio

RATES = [48000, 44100, 22050, 16000]


# --- helpers -----------------------------------------------------------------


def ffmpeg_ebur128(x: np.ndarray, rate: int) -> tuple[float, float]:
    """FFmpeg's own meter: integrated loudness (LUFS) and true peak (dBTP).

    Runs the ``ebur128`` filter (``peak=true``) in a PyAV filter graph and reads
    the running summary from the metadata of the last frame it outputs.
    """
    graph = av.filter.Graph()
    src = graph.add_abuffer(
        sample_rate=rate, format="flt", layout="mono", time_base=Fraction(1, rate)
    )
    meter = graph.add("ebur128", "peak=true:metadata=1")
    sink = graph.add("abuffersink")
    src.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    meta: dict[str, str] = {}

    def drain():
        while True:
            try:
                frame = sink.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            meta.update(frame.metadata)

    step = 4096
    for i in range(0, x.size, step):
        chunk = np.ascontiguousarray(x[None, i : i + step], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
        frame.sample_rate = rate
        frame.time_base = Fraction(1, rate)
        frame.pts = i
        src.push(frame)
        drain()
    src.push(None)
    drain()
    # The peak is linear, with three decimals: only meaningful for loud signals.
    return float(meta["lavfi.r128.I"]), 20 * math.log10(
        float(meta["lavfi.r128.true_peak"])
    )


def band_noise(n: int, rate: int, seed: int, top: float = 0.4) -> np.ndarray:
    """Unit-variance noise low-passed at ``top`` times the rate, like real audio."""
    w = np.random.default_rng(seed).standard_normal(n)
    y = sosfilt(butter(8, 2 * top, output="sos"), w)
    return y / y.std()


def faded(x: np.ndarray, rate: int, seconds: float = 0.02) -> np.ndarray:
    n = round(seconds * rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    x = x.copy()
    x[:n] *= ramp
    x[-n:] *= ramp[::-1]
    return x


def bursts(rate: int, seed: int, level: float = 0.5, seconds: float = 3.0):
    """Noise bursts of different levels separated by silence."""
    n = round(seconds * rate)
    envelope = np.zeros(n)
    for start, end, gain in [(0.3, 1.1, 0.8), (1.5, 1.9, 0.1), (2.2, 2.9, 0.6)]:
        envelope[round(start * rate) : round(end * rate)] = gain
    return (band_noise(n, rate, seed) * envelope * level).astype(np.float32)


def tone(freq: float, rate: int, amplitude: float, seconds: float = 2.0):
    t = np.arange(round(seconds * rate)) / rate
    x = amplitude * np.sin(2 * np.pi * freq * t + 0.3)
    return faded(x, rate).astype(np.float32)


def speechlike(rate: int, level: float, spikes: int = 0, seed: int = 0):
    """Band-passed noise with a syllable-rate envelope, pauses, optional clicks."""
    rng = np.random.default_rng(seed)
    n = round(4.0 * rate)
    t = np.arange(n) / rate
    band = sosfilt(
        butter(4, [100 / (rate / 2), 4000 / (rate / 2)], "band", output="sos"),
        rng.standard_normal(n),
    )
    envelope = np.sin(2 * np.pi * 2.5 * t) ** 2
    for start, end in [(0.0, 0.2), (1.4, 1.8), (2.5, 2.9), (3.8, 4.0)]:
        envelope[round(start * rate) : round(end * rate)] = 0
    x = band / band.std() * envelope * level
    for _ in range(spikes):
        i = round(rng.uniform(0.3, 3.7) * rate)
        x[i : i + 20] += 0.9 * np.hanning(20) * rng.choice([-1, 1])
    return x.astype(np.float32)


def encode(path, x: np.ndarray, rate: int, codec: str, fmt: str, layout: str):
    """Write ``x`` (mono) with PyAV, duplicated to every channel of ``layout``."""
    channels = av.AudioLayout(layout).nb_channels
    planar = av.AudioFormat(fmt).is_planar
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.codec_context.layout = layout
        stream.codec_context.format = fmt
        data = np.tile(x, (channels, 1))
        if not planar:
            data = data.T.reshape(1, -1)
        if fmt.startswith("s16"):
            data = np.round(data * 32767).astype(np.int16)
        else:
            data = data.astype(np.float32)
        frame = av.AudioFrame.from_ndarray(data, format=fmt, layout=layout)
        frame.sample_rate = rate
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


# --- loudness and true peak ---------------------------------------------------


def test_k_weighting_at_48k_is_the_standards_table():
    sos = audio._k_weighting(48000)
    expected = [
        [1.53512485958697, -2.69169618940638, 1.19839281085285],
        [1.0, -1.69065929318241, 0.73248077421585],
        [1.0, -2.0, 1.0],
        [1.0, -1.99004745483398, 0.99007225036621],
    ]
    got = [sos[0, :3], sos[0, 3:], sos[1, :3], sos[1, 3:]]
    np.testing.assert_allclose(got, expected, atol=1e-9)


@pytest.mark.parametrize("rate", [48000, 44100])
def test_full_scale_997_hz_sine_reads_minus_3_01_lufs(rate):
    x = tone(997, rate, 1.0, seconds=3.0)
    assert audio.integrated_loudness(x, rate) == pytest.approx(-3.01, abs=0.02)
    assert audio.true_peak(x, rate) == pytest.approx(0.0, abs=0.01)
    # -20 dBFS reads 20 LU lower.
    assert audio.integrated_loudness(x * 0.1, rate) == pytest.approx(-23.01, abs=0.02)


SIGNALS = {
    "bursts": lambda rate: bursts(rate, seed=rate),
    "quiet bursts": lambda rate: bursts(rate, seed=rate + 1, level=0.003),
    "tone 997 Hz": lambda rate: tone(997, rate, 0.5),
    "tone 5 kHz": lambda rate: tone(5000, rate, 0.7),
    "tone 0.41 fs": lambda rate: tone(0.41 * rate, rate, 0.4),
}


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("name", SIGNALS)
def test_loudness_and_true_peak_match_ffmpeg_ebur128(name, rate):
    x = SIGNALS[name](rate)
    ours_i, ours_tp = audio.integrated_loudness(x, rate), audio.true_peak(x, rate)
    ff_i, ff_tp = ffmpeg_ebur128(x, rate)
    assert ours_i == pytest.approx(ff_i, abs=0.1)
    if ff_tp > -12:  # FFmpeg reports the peak with too few digits below that
        assert ours_tp == pytest.approx(ff_tp, abs=0.2)


def test_true_peak_sees_between_samples():
    # A quarter-rate sine sampled at +-45 degrees peaks 3 dB above its samples.
    rate = 48000
    x = np.sin(2 * np.pi * 12000 * np.arange(rate) / rate + np.pi / 4)
    x = faded(x, rate).astype(np.float32)
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-3.01, abs=0.01)
    assert audio.true_peak(x, rate) == pytest.approx(0.0, abs=0.05)


def test_silence_and_short_signals():
    assert audio.integrated_loudness(np.zeros(48000), 48000) == -math.inf
    assert audio.true_peak(np.zeros(48000), 48000) == -math.inf
    assert audio.integrated_loudness(np.zeros(0), 48000) == -math.inf
    assert audio.integrated_loudness(np.full(48000, 1e-5), 48000) == -math.inf
    # Shorter than one 400 ms block: measured as one block.
    short = tone(997, 48000, 1.0, seconds=0.3)
    assert audio.integrated_loudness(short, 48000) == pytest.approx(-3.2, abs=0.3)


def test_gating_ignores_silence_and_quiet_parts():
    rate = 48000
    loud = band_noise(2 * rate, rate, seed=5) * 0.2
    # Long silences weigh no more than short ones (the absolute gate); with
    # whole 100 ms steps of silence the blocks over the edges are the same.
    short = np.concatenate([np.zeros(rate // 2), loud, np.zeros(rate // 2)])
    padded = np.concatenate([np.zeros(3 * rate), loud, np.zeros(rate)])
    expected = audio.integrated_loudness(short, rate)
    assert audio.integrated_loudness(padded, rate) == pytest.approx(expected, abs=0.01)
    # A part 30 dB down counts no more than silence (the relative gate); only
    # the blocks straddling the change, mostly loud, pass.
    quiet = band_noise(2 * rate, rate, seed=6) * 0.2 * 10 ** (-30 / 20)
    mixed = audio.integrated_loudness(np.concatenate([loud, quiet]), rate)
    hushed = audio.integrated_loudness(np.concatenate([loud, 0 * quiet]), rate)
    assert mixed == pytest.approx(hushed, abs=0.02)
    ungated = -0.691 + 10 * np.log10(np.mean(audio._block_energies(padded, rate)))
    assert mixed > ungated + 3


# --- normalize ----------------------------------------------------------------


@pytest.mark.parametrize("rate", [48000, 44100, 22050])
@pytest.mark.parametrize(
    ("level", "spikes"), [(0.1, 0), (0.003, 0), (0.6, 0), (0.05, 5), (0.02, 3)]
)
def test_normalize_reaches_target_under_peak(rate, level, spikes):
    x = speechlike(rate, level, spikes, seed=spikes)
    y = audio.normalize(x, rate)
    assert y.dtype == np.float32
    assert y.shape == x.shape
    loudness, peak = audio.integrated_loudness(y, rate), audio.true_peak(y, rate)
    assert loudness == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0
    ff_loudness, ff_peak = ffmpeg_ebur128(y, rate)
    assert ff_loudness == pytest.approx(-16.0, abs=0.5)
    assert ff_peak <= -1.0


def test_normalize_limits_when_plain_gain_would_clip():
    rate = 48000
    x = speechlike(rate, 0.02, spikes=4, seed=9)
    plain = audio.true_peak(x, rate) - 16.0 - audio.integrated_loudness(x, rate)
    assert plain > 10  # plain gain would put the clicks far above 0 dBTP
    y = audio.normalize(x, rate, lufs=-18.0, peak=-2.0)
    assert audio.integrated_loudness(y, rate) == pytest.approx(-18.0, abs=0.1)
    assert audio.true_peak(y, rate) <= -2.0
    # Away from the clicks (after 0.3 s) the limiter leaves a plain gain.
    i = round(0.25 * rate)
    gain = np.dot(y[:i], x[:i]) / np.dot(x[:i], x[:i])
    np.testing.assert_allclose(y[:i], gain * x[:i], atol=1e-5)


def test_normalize_keeps_silence():
    assert not audio.normalize(np.zeros(48000, np.float32), 48000).any()
    assert audio.normalize(np.zeros(0, np.float32), 48000).size == 0


# --- reading and writing ------------------------------------------------------

FORMATS = {
    "wav": ("pcm_s16le", "s16", "mono"),
    "flac": ("flac", "s16", "stereo"),
    "mp3": ("libmp3lame", "fltp", "stereo"),
    "m4a": ("aac", "fltp", "mono"),
}


@pytest.mark.parametrize("rate", [44100, 22050])
@pytest.mark.parametrize("ext", FORMATS)
def test_read_decodes_and_resamples_to_exact_length(tmp_path, ext, rate):
    x = audio.place(
        [(0.2, 0.5 * band_noise(round(0.5 * rate), rate, 1, top=0.2))], 1.2345, rate
    )
    path = tmp_path / f"speech.{ext}"
    encode(path, x, rate, *FORMATS[ext])
    y, got_rate = audio.read(path, rate=48000)
    assert got_rate == 48000
    assert y.dtype == np.float32
    assert y.ndim == 1
    assert abs(y.size - x.size / rate * 48000) <= 48000 * 0.001
    assert np.abs(y).max() <= 1.0
    [(start, end)] = audio.speech_spans(y, 48000)
    assert start == pytest.approx(0.2, abs=0.015)
    assert end == pytest.approx(0.7, abs=0.015)
    native, native_rate = audio.read(path)
    assert native_rate == rate
    assert abs(native.size - x.size) <= rate * 0.001


def test_read_averages_channels_of_packed_stereo(tmp_path):
    rate = 16000
    x = tone(440, rate, 0.5, seconds=0.5)
    path = tmp_path / "stereo.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=rate)
        stream.codec_context.layout = "stereo"
        stream.codec_context.format = "s16"
        packed = np.stack([x, np.zeros_like(x)], axis=1).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(
            np.round(packed * 32767).astype(np.int16), format="s16", layout="stereo"
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    y, _ = audio.read(path)
    np.testing.assert_allclose(y, x / 2, atol=1e-4)


@pytest.mark.parametrize("content", [None, b"", b"not audio at all\n" * 20])
def test_read_rejects_unreadable_files_naming_them(tmp_path, content):
    path = tmp_path / "narration take 1.mp3"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(audio.AudioError) as info:
        audio.read(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


def test_read_rejects_a_video_without_audio(tmp_path):
    path = tmp_path / "silent.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width = stream.height = 32
        stream.pix_fmt = "yuv420p"
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(
                np.zeros((32, 32, 3), np.uint8), format="rgb24"
            )
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(audio.AudioError, match="no audio stream") as info:
        audio.read(path)
    assert str(path) in str(info.value)


def test_write_wav_round_trips_and_replaces_atomically(tmp_path, monkeypatch):
    rate = 22050
    x = tone(300, rate, 0.9, seconds=0.5)
    path = tmp_path / "line.wav"
    path.write_bytes(b"old")
    audio.write_wav(path, x, rate)
    y, got_rate = audio.read(path)
    assert got_rate == rate
    np.testing.assert_allclose(y, x, atol=0.5 / 32768)
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.name == "pcm_s16le"
    assert [p.name for p in tmp_path.iterdir()] == ["line.wav"]

    before = path.read_bytes()

    def broken(fh, rate, data):
        fh.write(b"RIFF half a header")
        raise KeyboardInterrupt

    monkeypatch.setattr(audio.wavfile, "write", broken)
    with pytest.raises(KeyboardInterrupt):
        audio.write_wav(path, x * 0.5, rate)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["line.wav"]


def test_write_wav_clips_to_full_scale(tmp_path):
    path = tmp_path / "loud.wav"
    audio.write_wav(path, np.array([2.0, -2.0, 0.5, 0.0]), 8000)
    y, _ = audio.read(path)
    np.testing.assert_allclose(y, [1.0, -1.0, 0.5, 0.0], atol=1e-4)


# --- timing -------------------------------------------------------------------


def test_speech_spans_finds_placed_bursts_within_10_ms():
    rate = 44100
    rng = np.random.default_rng(3)
    placed = [(0.237, 0.41), (1.003, 0.61), (2.5191, 0.333)]  # (start, seconds)
    levels = [0.5, 0.02, 0.2]  # within 40 dB of each other
    segments = [
        (start, level * rng.standard_normal(round(length * rate)))
        for (start, length), level in zip(placed, levels, strict=True)
    ]
    x = audio.place(segments, 3.5, rate)
    spans = audio.speech_spans(x, rate)
    assert len(spans) == len(placed)
    for (start, end), (true_start, length) in zip(spans, placed, strict=True):
        assert isinstance(start, float)
        assert start == pytest.approx(true_start, abs=0.01)
        assert end == pytest.approx(true_start + length, abs=0.01)


def test_speech_spans_merges_short_gaps_and_drops_blips():
    rate = 16000
    noise = np.random.default_rng(4).standard_normal(rate) * 0.3
    x = audio.place(
        [
            (0.5, noise[: round(0.3 * rate)]),
            (0.88, noise[: round(0.3 * rate)]),  # 80 ms gap: merged
            (1.6, noise[: round(0.3 * rate)]),  # 420 ms gap: separate
            (2.5, noise[: round(0.02 * rate)]),  # 20 ms blip: dropped
        ],
        3.0,
        rate,
    )
    spans = audio.speech_spans(x, rate)
    assert [(round(a, 2), round(b, 2)) for a, b in spans] == [(0.5, 1.18), (1.6, 1.9)]
    assert audio.speech_spans(x, rate, min_silence=0.05, min_speech=0.01)[-1] == (
        pytest.approx(2.5, abs=0.01),
        pytest.approx(2.52, abs=0.01),
    )
    assert audio.speech_spans(np.zeros(rate), rate) == []
    assert audio.speech_spans(np.zeros(0), rate) == []


def test_silence_and_place():
    rate = 8000
    assert audio.silence(0.5, rate).shape == (4000,)
    assert audio.silence(0.5, rate).dtype == np.float32
    assert not audio.silence(0.5, rate).any()
    one = np.full(1000, 0.6, np.float32)
    track = audio.place([(0.1, one), (0.2, one), (0.9, one)], 1.0, rate)
    assert track.shape == (8000,)
    assert track.dtype == np.float32
    assert track[799] == 0
    assert track[800] == pytest.approx(0.6)
    assert track[1700] == pytest.approx(1.0)  # 0.6 + 0.6, clipped
    assert track[1900] == pytest.approx(0.6)
    assert track[7199] == 0
    assert track[7999] == pytest.approx(0.6)  # cut at 1 s
    with pytest.raises(ValueError, match="before 0"):
        audio.place([(-0.1, one)], 1.0, rate)
