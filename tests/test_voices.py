"""The narration voices, their pace, recordings, and the speech cache."""

from __future__ import annotations

import re
import threading
import time
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from optanim.narration import voice_base, voices
from optanim.narration.recordings import Recorded
from optanim.narration.speech_cache import SpeechCache, synthesize_all
from optanim.narration.voice_base import Voice, VoiceError
from optanim.narration.voices import Espeak, Piper, Silent, parse_voice

THRESHOLD = 10 ** (-50 / 20)

# Sentences of lecture-like English, about twenty words each; none of them was
# used to choose the voices' settings.
ENGLISH = [
    "The learning rate decides how far each update moves the weights, and a "
    "value that is too large makes training diverge.",
    "Stochastic gradients are noisy estimates of the true gradient, which helps "
    "the optimizer escape shallow basins around poor solutions.",
    "Deep networks stack many layers, so the gradient of the loss is a long "
    "product of matrices that can shrink quickly.",
    "Momentum keeps a running average of past gradients and smooths the path "
    "toward the minimum of the objective function.",
]
MANDARIN = "优化的目标是减少训练误差，而深度学习的目标是减少泛化误差。"

needs_espeak = pytest.mark.skipif(
    voices.shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)


def words_per_minute(texts: list[str], seconds: float) -> float:
    return sum(len(t.split()) for t in texts) / seconds * 60


def assert_edges_trimmed(samples: np.ndarray, rate: int) -> None:
    loud = np.flatnonzero(np.abs(samples) >= THRESHOLD)
    margin = round(voice_base.EDGE_SECONDS * rate)
    assert loud[0] <= margin
    assert samples.size - 1 - loud[-1] <= margin


@pytest.fixture(scope="module")
def piper() -> Piper:
    voice = parse_voice("piper")
    assert isinstance(voice, Piper)
    voice.model()  # loaded once for the whole module
    return voice


# ------------------------------------------------------------------ parsing


def test_parse_known_voices(tmp_path):
    assert parse_voice("piper").name == "piper"
    assert parse_voice(" espeak ").name == "espeak"
    assert parse_voice("none").name == "none"
    recorded = parse_voice(f"recorded:{tmp_path}")
    assert isinstance(recorded, Recorded)
    assert recorded.name == f"recorded:{tmp_path.resolve()}"


@pytest.mark.parametrize("spec", ["festival", "", "piper:fast", "recorded", "PIPER2"])
def test_parse_unknown_voice_lists_the_choices(spec):
    with pytest.raises(VoiceError) as error:
        parse_voice(spec)
    message = str(error.value)
    assert "\n" not in message
    for choice in ("piper", "espeak", "recorded:DIR", "none"):
        assert choice in message


def test_parse_recorded_names_a_missing_or_plain_file(tmp_path):
    with pytest.raises(VoiceError, match="takes.*does not exist"):
        parse_voice(f"recorded:{tmp_path / 'takes'}")
    plain = tmp_path / "take.wav"
    plain.write_bytes(b"")
    with pytest.raises(VoiceError, match="take.wav.*not a directory"):
        parse_voice(f"recorded:{plain}")
    with pytest.raises(VoiceError, match="needs a folder"):
        parse_voice("recorded:")


def test_unknown_language_is_refused():
    with pytest.raises(VoiceError, match="unknown narration language 'fr'"):
        Silent().synthesize("a.b.1", "Bonjour", "fr")


# ------------------------------------------------------------------- espeak


@needs_espeak
def test_espeak_english_pace():
    voice = Espeak()
    samples, rate = voice.synthesize("x.en", ENGLISH[0], "en")
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert_edges_trimmed(samples, rate)
    pace = words_per_minute(ENGLISH[:1], samples.size / rate)
    assert 120 < pace < 200, pace


@needs_espeak
def test_espeak_mandarin_pace():
    samples, rate = Espeak().synthesize("x.zh", MANDARIN, "zh")
    assert_edges_trimmed(samples, rate)
    characters = len(re.findall("[\u4e00-\u9fff]", MANDARIN))
    per_minute = characters / (samples.size / rate) * 60
    assert 170 < per_minute < 280, per_minute


def test_espeak_missing_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(voices.shutil, "which", lambda _name: None)
    with pytest.raises(VoiceError) as error:
        Espeak().synthesize("x", "Hello.", "en")
    assert str(error.value) == "espeak-ng is not installed (apt install espeak-ng)"


# -------------------------------------------------------------------- piper


def test_piper_pace_is_150_to_170_words_a_minute(piper):
    seconds = 0.0
    for sentence in ENGLISH:
        samples, rate = piper.synthesize("x", sentence, "en")
        assert samples.dtype == np.float32
        assert rate == 22050
        assert_edges_trimmed(samples, rate)
        seconds += samples.size / rate
    pace = words_per_minute(ENGLISH, seconds)
    assert 150 <= pace <= 170, pace


def test_piper_joins_sentences_with_a_pause(piper):
    samples, rate = piper.synthesize("x", "One short sentence. And another.", "en")
    quiet = np.abs(samples) < THRESHOLD
    # The longest silent run inside the line is the sentence pause.
    edges = np.flatnonzero(np.diff(np.r_[0, quiet.astype(np.int8), 0]))
    longest = max(b - a for a, b in zip(edges[::2], edges[1::2], strict=True))
    assert longest / rate >= piper.sentence_pause


def test_piper_has_no_mandarin(piper):
    with pytest.raises(VoiceError, match="no Mandarin voice.*espeak or recorded"):
        piper.synthesize("x", MANDARIN, "zh")
    with pytest.raises(VoiceError, match="no Mandarin"):
        synthesize_all(SpeechCache(Path("unused")), piper, [("a", "b", "c")], "zh")
    assert not Path("unused").exists()


# --------------------------------------------------------------------- none


def test_none_lasts_as_long_as_reading_the_caption():
    caption = "A saddle point is flat, but it is not a minimum."
    samples, rate = Silent().synthesize("x", caption, "en")
    assert rate == 48000
    assert samples.size == round(len(caption) / 15 * 48000)
    assert not samples.any()
    # Mandarin: CJK characters and full-width marks count 1, the rest 0.5.
    caption = "鞍点处 SGD 也会停下。"
    samples, rate = Silent().synthesize("x", caption, "zh")
    assert samples.size == round((8 + 0.5 * 5) / 7 * 48000)


def test_none_times_the_caption_not_the_speech(tmp_path):
    cache = SpeechCache(tmp_path)
    lines = [("a.b.1", "a long spoken sentence " * 10, "Short caption.")]
    speech = synthesize_all(cache, Silent(), lines, "en")["a.b.1"]
    assert speech.seconds == pytest.approx(len("Short caption.") / 15, abs=1e-4)


# ----------------------------------------------------------------- recorded


def write_tone(path: Path, rate: int, channels: int = 1) -> None:
    """0.5 s of silence, 1 s of a 440 Hz tone at -12 dBFS, 0.3 s of silence."""
    codec = {".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame"}
    t = np.arange(rate) / rate
    tone = 0.25 * np.sin(2 * np.pi * 440 * t)
    signal = np.concatenate([np.zeros(rate // 2), tone, np.zeros(rate * 3 // 10)])
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec[path.suffix], rate=rate)
        stream.layout = layout
        planes = np.tile(signal.astype(np.float32), (channels, 1))
        for start in range(0, signal.size, 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planes[:, start : start + 1024]),
                format="fltp",
                layout=layout,
            )
            frame.rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


@pytest.mark.parametrize(
    ("name", "rate", "channels", "tolerance"),
    [
        ("a.b.1.wav", 44100, 1, 0.002),
        ("a.b.2.wav", 16000, 2, 0.002),
        ("a.b.3.flac", 44100, 1, 0.002),
        ("a.b.4.flac", 16000, 1, 0.002),
        ("a.b.5.mp3", 44100, 1, 0.03),
        ("a.b.6.mp3", 16000, 1, 0.03),
    ],
)
def test_recorded_decodes_and_trims(tmp_path, name, rate, channels, tolerance):
    write_tone(tmp_path / name, rate, channels)
    voice = parse_voice(f"recorded:{tmp_path}")
    line_id = name.rsplit(".", 1)[0]
    samples, got_rate = voice.synthesize(line_id, "ignored", "en")
    assert got_rate == rate
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert_edges_trimmed(samples, rate)
    # The tone and 20 ms either side; the half-second lead-in is gone.
    assert samples.size / rate == pytest.approx(1.04, abs=tolerance)
    assert np.abs(samples).max() == pytest.approx(0.25, abs=0.02)


def test_missing_recordings_are_reported_together(tmp_path):
    write_tone(tmp_path / "lesson.intro.1.wav", 16000)
    voice = parse_voice(f"recorded:{tmp_path}")
    ids = ["lesson.intro.1"] + [f"lesson.intro.{i}" for i in range(2, 9)]
    assert voice.missing_recordings(ids) == ids[1:]
    cache = SpeechCache(tmp_path / "cache")
    lines = [(i, "say", "caption") for i in ids]
    with pytest.raises(VoiceError) as error:
        synthesize_all(cache, voice, lines, "en")
    message = str(error.value)
    assert "\n" not in message
    assert "no recording for 7 lines" in message
    assert "lesson.intro.2, lesson.intro.3" in message
    assert "lesson.intro.6 and 2 more" in message
    assert "lesson.intro.7" not in message
    assert cache.synthesized == cache.reused == 0


def test_two_recordings_of_one_line_are_refused(tmp_path):
    write_tone(tmp_path / "a.b.1.wav", 16000)
    write_tone(tmp_path / "a.b.1.flac", 16000)
    with pytest.raises(VoiceError, match=r"several recordings.*a\.b\.1\.wav"):
        parse_voice(f"recorded:{tmp_path}").synthesize("a.b.1", "", "en")


# -------------------------------------------------------------------- cache


@needs_espeak
def test_cache_reuses_what_it_spoke(tmp_path):
    voice = Espeak()
    lines = [("a.b.1", "First line.", "c"), ("a.b.2", "Second line.", "c")]
    first = synthesize_all(SpeechCache(tmp_path), voice, lines, "en")
    cache = SpeechCache(tmp_path)
    again = synthesize_all(cache, voice, lines, "en")
    assert (cache.synthesized, cache.reused) == (0, 2)
    assert cache.summary() == "synthesized 0 lines, reused 2"
    assert again == first
    with wave.open(str(again["a.b.1"].path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        assert wav.getnframes() / wav.getframerate() == again["a.b.1"].seconds
    # Same text, another line: the same audio serves both.
    cache.get(voice, "a.b.9", "First line.", "en")
    assert cache.reused == 3


@needs_espeak
def test_cache_key_follows_text_language_and_settings(tmp_path, piper):
    cache = SpeechCache(tmp_path)
    base = cache.key(Espeak(), "a.b.1", "Hello.", "en")
    assert cache.key(Espeak(), "a.b.2", "Hello.", "en") == base
    assert cache.key(Espeak(), "a.b.1", "Hello!", "en") != base
    assert cache.key(Espeak(), "a.b.1", "Hello.", "zh") != base
    assert cache.key(Espeak(en_speed=150), "a.b.1", "Hello.", "en") != base
    assert cache.key(piper, "a.b.1", "Hello.", "en") != base
    slower = cache.key(Piper(length_scale=1.5), "a.b.1", "Hello.", "en")
    assert slower != cache.key(piper, "a.b.1", "Hello.", "en")
    assert "length_scale 1.35" in piper.key()
    assert "en=en-us@143 zh=cmn-latn-pinyin@175" in Espeak().key()


def test_cache_key_follows_the_recording(tmp_path):
    folder = tmp_path / "takes"
    folder.mkdir()
    take = folder / "a.b.1.wav"
    write_tone(take, 16000)
    voice = parse_voice(f"recorded:{folder}")
    cache = SpeechCache(tmp_path / "cache")
    first = cache.get(voice, "a.b.1", "say", "en")
    assert cache.get(voice, "a.b.1", "say", "en") == first
    assert (cache.synthesized, cache.reused) == (1, 1)
    # A new take of the line replaces the old one, in this process and the next.
    write_tone(take, 44100)
    second = cache.get(voice, "a.b.1", "say", "en")
    assert second.path != first.path
    assert second.rate == 44100
    later = SpeechCache(tmp_path / "cache")
    assert later.get(voice, "a.b.1", "say", "en") == second
    assert (later.synthesized, later.reused) == (0, 1)
    assert (tmp_path / "cache" / "digests.json").is_file()


class SlowNoise(Voice):
    """Different audio on every call, slowly: what piper does, exaggerated."""

    name = "slow-noise"

    def key(self, line_id=None):
        return "slow-noise 1"

    def synthesize(self, line_id, text, lang):
        time.sleep(0.05)
        size = int(np.random.default_rng().integers(1000, 5000))
        return np.full(size, 0.5, dtype=np.float32), 8000


def test_concurrent_writers_agree_on_one_file(tmp_path):
    results = []

    def speak():
        # Each thread has its own cache object, like separate processes.
        results.append(SpeechCache(tmp_path).get(SlowNoise(), "a", "same", "en"))

    threads = [threading.Thread(target=speak) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    with wave.open(str(results[0].path)) as wav:
        assert wav.getnframes() / 8000 == results[0].seconds
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [
        results[0].path.name
    ]
