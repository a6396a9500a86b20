"""Build slide decks from scenes rendered with manim-slides.

``manim-slides render`` writes ``slides/<Scene>.json`` and the slide videos
under ``slides/files/``. :func:`build_deck` turns one or more of those into a
deck with ``manim-slides convert``:

- ``html``: a reveal.js page with one background video per slide and the
  speaker notes (press ``S`` for the speaker view). It works with no network:
  reveal.js is copied from ``node_modules/reveal.js`` (filled by ``npm ci``)
  into the deck's assets folder, so ``deck.html`` and ``deck_assets/`` are the
  whole deck.
- ``pptx``: one slide per video, which plays when the slide opens, with the
  notes as PowerPoint speaker notes.
- ``pdf``: the last frame of each slide as a page. A PDF has no place for
  speaker notes, so they are left out.

A slide's notes are those passed to the ``next_slide`` call that *opens* it,
so each beat of a scene starts with ``self.next_slide(notes=caption)``.

The deck is built in a temporary folder beside ``out`` and moved into place
at the end, so a failed build leaves the previous deck as it was.

Examples
--------
>>> from pathlib import Path
>>> out = Path("build/deck.html")
>>> build_deck(["GradientDescent"], Path("slides"), out, "html")  # doctest: +SKIP
PosixPath('build/deck.html')
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from optanim.build.files import CliError
from optanim.build.request import Request, built_scenes
from optanim.build.runner import say
from optanim.narration import words
from optanim.outputs.lecture import build_once, lecture_file

__all__ = ["FORMATS", "REVEAL_DIR", "build_deck", "make_slides"]

FORMATS = ("html", "pptx", "pdf")
"""The deck formats that :func:`build_deck` writes."""

REVEAL_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "reveal.js"
"""reveal.js as ``npm ci`` installs it at the root of the repository."""


def _copy_reveal(reveal_dir: Path, dest: Path) -> None:
    """Copy the browser files of reveal.js, and its licence, into ``dest``."""
    shutil.copytree(
        reveal_dir / "dist",
        dest / "dist",
        ignore=shutil.ignore_patterns("*.mjs", "*.d.ts", "*.map", "utils"),
    )
    shutil.copy2(reveal_dir / "LICENSE", dest / "LICENSE")


def _convert(
    scene_names: list[str], slides_dir: Path, dest: Path, fmt: str, config: dict
) -> None:
    """Run ``manim-slides convert`` with this interpreter."""
    command = [
        sys.executable,
        "-m",
        "manim_slides",
        "convert",
        "--folder",
        str(slides_dir),
        "--to",
        fmt,
        *scene_names,
        str(dest),
        *(f"-c{key}={value}" for key, value in config.items()),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not dest.exists():
        log = (result.stdout + result.stderr).strip()[-3000:]
        raise RuntimeError(
            f"manim-slides convert to {fmt} failed (exit {result.returncode}):\n{log}"
        )


def _replace_dir(src: Path, dst: Path) -> None:
    """Move folder ``src`` to ``dst``, removing what was at ``dst``."""
    old = dst.with_name(f".{dst.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if dst.exists():
        os.replace(dst, old)
    os.replace(src, dst)
    shutil.rmtree(old, ignore_errors=True)


def build_deck(
    scene_names: list[str],
    slides_dir: Path,
    out: Path,
    fmt: str,
    *,
    title: str | None = None,
    reveal_dir: Path = REVEAL_DIR,
) -> Path:
    """Convert rendered slide scenes into one deck.

    Parameters
    ----------
    scene_names : list of str
        The scenes, in presentation order, as rendered by
        ``manim-slides render`` into ``slides_dir``.
    slides_dir : Path
        The folder holding ``<Scene>.json`` and ``files/``.
    out : Path
        The deck to write, such as ``build/deck.html``. An HTML deck also
        writes its videos and reveal.js to ``<out.stem>_assets/`` beside it.
    fmt : {"html", "pptx", "pdf"}
        The deck format.
    title : str or None
        The HTML page title, without ``=`` (manim-slides splits its options
        at ``=``); manim-slides' default when None.
    reveal_dir : Path
        The installed ``reveal.js`` package that HTML decks copy.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValueError
        If ``fmt`` is unknown, no scene is given or ``title`` has a ``=``.
    FileNotFoundError
        If an HTML deck is asked for and reveal.js is not installed.
    RuntimeError
        If ``manim-slides convert`` fails; its log is in the message.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown deck format {fmt!r}; use one of {FORMATS}")
    if not scene_names:
        raise ValueError("no scenes to put in the deck")
    if title is not None and "=" in title:
        raise ValueError(f"a deck title cannot contain '=': {title!r}")
    if fmt == "html" and not (reveal_dir / "dist" / "reveal.js").is_file():
        raise FileNotFoundError(
            f"reveal.js is not installed in {reveal_dir}; "
            "run `npm ci` at the root of the repository"
        )

    out = Path(out)
    assets = f"{out.stem}_assets"
    stage = out.parent / f".{out.name}.part"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        config = {}
        if fmt == "html":
            config = {"assets_dir": assets, "cdn_url": f"{assets}/reveal.js"}
            if title is not None:
                config["title"] = title
        _convert(scene_names, Path(slides_dir), stage / out.name, fmt, config)
        if fmt == "html":
            _copy_reveal(reveal_dir, stage / assets / "reveal.js")
            _replace_dir(stage / assets, out.parent / assets)
        os.replace(stage / out.name, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out


def make_slides(request: Request, to: str) -> None:
    """Builds one deck of every scene, a slide per beat, in format ``to``."""
    jobs = request.scene_jobs(built_scenes())
    for job in jobs:  # slides deleted since their clip was made: render again
        if not (job.slides_dir / f"{job.scene.cls}.json").exists():
            job.stamp.unlink(missing_ok=True)
    request.run(jobs)
    langs = jobs[0].source.langs
    said = words.load(langs[0])
    title = f"{said.lecture['title']}: {said.lecture['subtitle']}"
    stem = lecture_file(request.media, request.quality, langs).stem
    out = request.media / "slides" / f"{stem}.{to}"
    names = [job.scene.cls for job in jobs]

    def build() -> None:
        try:
            build_deck(names, jobs[0].slides_dir, out, to, title=title)
        except (RuntimeError, FileNotFoundError) as err:
            log = request.media / "logs" / "deck.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(str(err))
            first = str(err).splitlines()[0]
            raise CliError(f"{first}; see {log}") from None

    deck_source = Path(__file__).read_text()
    sources = [job.stamp.read_text() for job in jobs] + [title, deck_source]
    assets = [out.with_name(f"{out.stem}_assets")] if to == "html" else []
    outcome = build_once(out, sources, build, also=assets)
    slides = sum(
        len(json.loads((jobs[0].slides_dir / f"{n}.json").read_text())["slides"])
        for n in names
    )
    say(f"deck: {outcome}, {slides} slides from {len(names)} scene(s) -> {out}")
