"""Build slide decks from scenes rendered with manim-slides, narrated.

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

Given each scene's ``.narration.json``, a deck speaks. Slide ``k`` of a scene
is its beat ``k``, from the beat's start to the next one's; before converting,
the speech of the lines that start in it (first language) is placed on the
slide's clock, normalized to -16 LUFS with true peaks at most -2 dBTP, and
muxed into the slide's video as AAC, in place, once (a ``.narration.key``
stamp beside each file says what it carries). An HTML deck also shows the
captions: browsers ignore subtitle tracks inside an MP4, so each slide's
video gets a ``<track>`` per language, the first the default, holding the
cues of the scene's ``.vtt`` that start in the slide. Chromium refuses
``.vtt`` files from a deck opened from disk (``file:`` URLs are unique
origins), so the tracks are ``data:`` URLs in the page. In the page:

- the first slide starts muted, as browsers allow sound only after the viewer
  does something; the first key press or click turns the sound on for every
  slide, and the slide on screen plays again from its start, with sound;
- ``C`` shows the captions of the next language, then none (``?`` lists it).

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

import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from optanim.build.files import CliError, locked
from optanim.build.request import Request, built_scenes
from optanim.build.runner import say
from optanim.narration import subtitles, words
from optanim.narration.cues import Cue
from optanim.outputs.lecture import build_once, lecture_file
from optanim.outputs.slide_sound import NarratedSlide, narrated_slides, speak_slides

__all__ = [
    "FORMATS",
    "REVEAL_DIR",
    "NarratedSlide",
    "build_deck",
    "make_slides",
    "narrated_slides",
    "speak_slides",
]

FORMATS = ("html", "pptx", "pdf")
"""The deck formats that :func:`build_deck` writes."""

REVEAL_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "reveal.js"
"""reveal.js as ``npm ci`` installs it at the root of the repository."""

LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
"""What the caption menu calls each language."""


# -- captions and sound in the HTML deck -----------------------------------------
# Runs after manim-slides' own script. reveal.js makes each background <video>
# from data-background-video when its slide comes near: the tracks are added to
# every video it makes. The first slide's video starts muted (the template says
# so, and browsers allow no sound before the viewer does something).
_PLAYER_JS = (Path(__file__).with_name("deck_player.js")).read_text(encoding="utf-8")

_BACKGROUND_VIDEO = re.compile(r'data-background-video="[^"]*"')


def _vtt_data_url(cues: list[Cue]) -> str:
    return "data:text/vtt;charset=utf-8," + quote(subtitles.format_vtt(cues), safe="")


def _add_captions(page: Path, slides: Sequence[NarratedSlide | None]) -> None:
    """Give each slide of the HTML deck ``page`` its captions, a
    ``data-captions-<lang>`` attribute per language, and the script that plays
    them and turns the sound on."""
    text = page.read_text(encoding="utf-8")
    found = _BACKGROUND_VIDEO.findall(text)
    if len(found) != len(slides):
        raise RuntimeError(
            f"the deck has {len(found)} slide videos, the scenes {len(slides)} slides"
        )
    langs = list(dict.fromkeys(lang for s in slides if s for lang in s.cues))
    pieces = iter(slides)

    def with_captions(match: re.Match) -> str:
        slide = next(pieces)
        if slide is None:
            return match[0]
        attributes = "".join(
            f' data-captions-{lang}="{html.escape(_vtt_data_url(cues))}"'
            for lang, cues in slide.cues.items()
        )
        return match[0] + attributes

    text = _BACKGROUND_VIDEO.sub(with_captions, text)
    menu = [{"lang": lang, "label": LANGUAGE_NAMES.get(lang, lang)} for lang in langs]
    config = json.dumps(menu, ensure_ascii=False).replace("</", "<\\/")
    script = f"<script>{_PLAYER_JS.replace('LANGUAGES_JSON', config)}</script>\n"
    body = text.rfind("</body>")
    if body < 0:
        raise RuntimeError("the deck's page has no </body>")
    page.write_text(text[:body] + script + text[body:], encoding="utf-8")


# -- converting -----------------------------------------------------------------
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
    narrations: Sequence[Path | None] | None = None,
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
    narrations : sequence of Path or None, optional
        Each scene's ``.narration.json`` (None for a silent scene). HTML and
        PPTX slides then speak their beat (:func:`speak_slides`, which writes
        into the slide files in ``slides_dir``), and HTML slides show its
        captions.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValueError
        If ``fmt`` is unknown, no scene is given, ``title`` has a ``=``, or
        ``narrations`` does not match the scenes or their slides.
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
    if narrations is not None and len(narrations) != len(scene_names):
        raise ValueError(
            f"{len(narrations)} narrations given for {len(scene_names)} scenes"
        )
    if fmt == "html" and not (reveal_dir / "dist" / "reveal.js").is_file():
        raise FileNotFoundError(
            f"reveal.js is not installed in {reveal_dir}; "
            "run `npm ci` at the root of the repository"
        )

    slides_dir = Path(slides_dir)
    narrated: list[NarratedSlide | None] = []
    if narrations is not None and fmt != "pdf":  # a PDF is silent pictures
        for name, narration in zip(scene_names, narrations, strict=True):
            presentation = slides_dir / f"{name}.json"
            if narration is None:
                slides = json.loads(presentation.read_text())["slides"]
                narrated += [None] * len(slides)
                continue
            # Under the scene's render lock, as the runner takes it: no render
            # writes these slide files again while they are given their sound.
            narration = Path(narration)
            with locked(narration.parent / f".{name}.lock"):
                scene = narrated_slides(presentation, narration)
                speak_slides(scene)
            narrated += scene

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
        _convert(scene_names, slides_dir, stage / out.name, fmt, config)
        if fmt == "html":
            if any(narrated):
                _add_captions(stage / out.name, narrated)
            _copy_reveal(reveal_dir, stage / assets / "reveal.js")
            _replace_dir(stage / assets, out.parent / assets)
        os.replace(stage / out.name, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out


def make_slides(request: Request, to: str) -> None:
    """Builds one deck of every scene, a slide per beat, in format ``to``: its
    slides speak the first language, and an HTML deck shows every language's
    captions."""
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
    narrations = [
        job.output.with_name(job.output.stem + ".narration.json") for job in jobs
    ]

    def build() -> None:
        try:
            build_deck(
                names,
                jobs[0].slides_dir,
                out,
                to,
                title=title,
                narrations=[n if n.is_file() else None for n in narrations],
            )
        except (RuntimeError, FileNotFoundError, ValueError) as err:
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
    spoken = "" if to == "pdf" else f", speaking {langs[0]}"
    shown = f", captions {','.join(langs)}" if to == "html" else ""
    say(
        f"deck: {outcome}, {slides} slides from {len(names)} scene(s)"
        f"{spoken}{shown} -> {out}"
    )
