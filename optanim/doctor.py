"""``optanim doctor``: checks the system pieces that rendering needs.

Each check prints one line: ``ok``, ``FAIL`` (rendering needs it) or ``warn``
(only the browser test of the decks needs it), and every failure names the
exact command that fixes it. Nothing here imports manim, so the doctor runs
even where manim itself cannot be imported.

>>> [c.name for c in CHECKS][:3]
['cairo', 'pango', 'DejaVu fonts']
"""

from __future__ import annotations

import io
import shutil
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
        return text if self.ok else f"{text}; fix: {self.check.fix}"


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
    Check("chromium", _chromium, f"{APT} chromium", optional=True),
    Check(
        "playwright-core",
        _playwright,
        f"cd {ROOT} && npm ci (needs package-lock.json)",
        optional=True,
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
