"""Render jobs: one scene or one title card, at one quality, and its cache key.

A job's source is a :class:`SceneSource` (a scene file and its resolved
parameters) or a :class:`CardSource` (a title card's text and theme). Its
output is what ``manim`` writes for it, under ``media/optanim/`` (cards under
``media/cards/``), where a plain ``manim`` run never writes;
:mod:`optanim.build.runner` renders it into place. The key of an output covers
the code that shapes frames (the folders in :data:`FRAME_CODE`, whatever modules
they hold), the parameters and every render setting, so that a job whose key and
file are unchanged is not rendered again.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from optanim.build.files import CliError
from optanim.lesson import params as scene_params
from optanim.lesson import settings
from optanim.lesson.catalog import BY_NAME, SCENES, SCENES_DIR, TITLE_CARD, SceneEntry
from optanim.lesson.params import SceneParams
from optanim.narration.script import Narration, describe, scene_lines
from optanim.narration.script import resolve as resolve_narration
from optanim.narration.words import Line

PACKAGE = Path(__file__).resolve().parents[1]
# The code that shapes frames, and the words that time them: changing any file
# in these folders renders again.
FRAME_CODE = (PACKAGE / "lesson", PACKAGE / "narration", PACKAGE / "render", SCENES_DIR)

OWN = "optanim"  # the folder of the media folder that holds optanim's renders

QUALITIES = {  # name: (manim flag, folder manim writes to, pixel width)
    "low": ("l", "480p15", 854),
    "medium": ("m", "720p30", 1280),
    "high": ("h", "1080p60", 1920),
    "4k": ("k", "2160p60", 3840),
}


@dataclass(frozen=True)
class SceneSource:
    """A lesson scene, with its parameters resolved once, and its narration in
    one or more languages (the first is the one its video carries)."""

    entry: SceneEntry
    params: SceneParams
    narrations: tuple[Narration, ...]

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def langs(self) -> tuple[str, ...]:
        return tuple(n.lang for n in self.narrations)

    def state(self) -> dict:
        # Every line as spoken: a new recording of one line re-renders the scene.
        spoken = [
            [*n.key(), *(n.line_key(line) for line in self.lines(n))]
            for n in self.narrations
        ]
        return dataclasses.asdict(self.params) | {"narration": spoken}

    def lines(self, narration: Narration) -> list[Line]:
        return scene_lines(self.name, self.params, narration.lang)


@dataclass(frozen=True)
class CardSource:
    """A title or section card: its text (heading, then subtitle lines)."""

    text: str
    theme: str
    entry: SceneEntry = TITLE_CARD

    @property
    def name(self) -> str:
        return "cards/" + re.sub(r"\W+", "_", self.text.lower()).strip("_")

    def state(self) -> dict:
        return {"card": self.text, "theme": self.theme}


@dataclass(frozen=True)
class Job:
    """One source to render at one quality, into ``media``."""

    source: SceneSource | CardSource
    quality: str
    media: Path
    still: bool = False
    fps: int | None = None  # None: the quality's
    resolution: tuple[int, int] | None = None  # (width, height); None: the quality's
    format: str = "mp4"  # or webm, gif
    transparent: bool = False  # with an alpha channel (webm, gif)

    @property
    def scene(self) -> SceneEntry:
        return self.source.entry

    @property
    def name(self) -> str:
        """What progress lines and logs call this job."""
        return self.source.name

    @property
    def is_card(self) -> bool:
        return isinstance(self.source, CardSource)

    @property
    def media_dir(self) -> Path:
        """Where manim writes: ``optanim/`` in the media folder, where a plain
        ``manim`` run never writes, so neither overwrites the other's videos or
        partial movies. Every card is the class ``Card``, and manim keeps a
        class's partial movies in one folder: each card gets a media folder of
        its own, so that cards render side by side."""
        return self.media / self.source.name if self.is_card else self.media / OWN

    @property
    def slides_dir(self) -> Path:
        """Where manim-slides writes this render's slides: one folder per size,
        frame rate and format, as slide files of all of them share names."""
        folder = f"{self.size[1]}p{self.frame_rate}{self.variant}"
        return self.media / "slides" / folder

    @property
    def stamp(self) -> Path:
        """What made the output, and the file it wrote (see :func:`stamp_for`)."""
        return self.output.with_suffix(self.output.suffix + ".key")

    @property
    def size(self) -> tuple[int, int]:
        """The frame's (width, height) in pixels."""
        if self.resolution:
            return self.resolution
        width = QUALITIES[self.quality][2]
        return width, int(QUALITIES[self.quality][1].split("p")[0])

    @property
    def frame_rate(self) -> int:
        return self.fps or int(QUALITIES[self.quality][1].split("p")[1])

    @property
    def folder(self) -> Path:
        if self.still:
            return self.media_dir / "images" / self.scene.name
        folder = f"{self.size[1]}p{self.frame_rate}"  # as manim names it
        return self.media_dir / "videos" / self.scene.name / folder

    @property
    def output(self) -> Path:
        suffix = ".png" if self.still else f".{self.format}"
        return self.folder / f"{self.scene.cls}{self.variant}{suffix}"

    @property
    def variant(self) -> str:
        if self.still:
            return f"_{self.quality}"
        variant = "" if self.format == "mp4" else f"_{self.format}"
        langs = self.source.langs if isinstance(self.source, SceneSource) else ()
        if langs and langs != ("en",):  # narrated in other words, timed otherwise
            variant += "_" + "-".join(langs)
        return variant + ("_alpha" if self.transparent else "")

    def env(self, params_file: Path | None = None) -> dict[str, str]:
        """The render's environment: what :meth:`manim_args` does not say."""
        env = dict(os.environ)
        if isinstance(self.source, CardSource):
            env[settings.CARD_TEXT] = self.source.text
            env[settings.THEME] = self.source.theme
        if params_file is not None:
            env[settings.PARAMS] = str(params_file.absolute())
        if isinstance(self.source, SceneSource):
            narrations = self.source.narrations
            env[settings.VOICE], env[settings.LANG] = describe(narrations)
            env[settings.SPEECH_DIR] = str(narrations[0].cache_dir)
        # Absolute: manim-slides reads relative slide paths from the folder
        # above the .json, not from the one it wrote them in.
        env[settings.SLIDES_DIR] = str(self.slides_dir.absolute())
        return env

    def key(self) -> str:
        """What the output depends on: the frame code, the source's state, every
        render setting, and manim's version."""
        import manim

        state = [
            self.source.state(),
            self.quality,
            self.still,
            self.size,
            self.frame_rate,
            self.format,
            self.transparent,
            manim.__version__,
        ]
        digest = hashlib.sha256(code_digest().encode())
        digest.update(json.dumps(state, sort_keys=True).encode())
        return digest.hexdigest()

    def manim_config(self) -> str:
        """manim settings for this render: text caches of its own (manim caches
        a text's SVG where every render reads it, so renders side by side would
        read one another's half-written files), and no asking PyPI for a newer
        manim after every render."""
        cache = self.folder.absolute()
        return (
            f"[CLI]\ntext_dir = {cache / 'texts'}\ntex_dir = {cache / 'Tex'}\n"
            "notify_outdated_version = False\n"
        )

    def command(self, temp_name: str) -> list[str]:
        return [sys.executable, "-m", "manim", *self.manim_args(temp_name)]

    def manim_args(self, temp_name: str) -> list[str]:
        """The arguments of ``manim`` that render this job to ``temp_name``."""
        flag = QUALITIES[self.quality][0]
        cmd = ["render", f"-q{flag}", "--disable_caching"]
        cmd += ["--media_dir", str(self.media_dir), "-o", temp_name]
        cmd += ["-c", str(self.folder / f"{temp_name}.cfg")]  # see manim_config
        if self.fps:
            cmd += ["--fps", str(self.fps)]
        if self.resolution:
            cmd += ["-r", "{},{}".format(*self.resolution)]
        if self.still:
            cmd += ["-s", "--format", "png"]
        elif self.format != "mp4" or self.transparent:
            cmd += ["--format", self.format]
            if self.transparent:
                cmd += ["--transparent"]
        return [*cmd, str(self.scene.path), self.scene.cls]


_CODE_DIGEST: list[str] = []


def code_digest() -> str:
    """A hash of every file in the folders of :data:`FRAME_CODE`."""
    if not _CODE_DIGEST:
        digest = hashlib.sha256()
        for folder in FRAME_CODE:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    digest.update(str(path.relative_to(folder.parent)).encode())
                    digest.update(path.read_bytes())
        _CODE_DIGEST.append(digest.hexdigest())
    return _CODE_DIGEST[0]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def stamp_for(key: str, output: Path) -> str:
    """The stamp of ``output`` made under ``key``: the key, and the file's size,
    modification time and content hash as it was written."""
    info = output.stat()
    return json.dumps(
        {
            "key": key,
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
            "sha256": file_digest(output),
        }
    )


def stale_reason(output: Path, stamp: Path, key: str) -> str | None:
    """Why ``output`` must be made again, or None if it is up to date: its
    ``stamp`` holds ``key``, and the file is the very one that was stamped."""
    if not output.exists():
        return "not rendered yet"
    try:
        made = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return "not rendered by optanim"
    if made.get("key") != key:
        return "its sources or settings changed"
    info = output.stat()
    if (info.st_size, info.st_mtime_ns) != (made.get("size"), made.get("mtime_ns")):
        return "changed since it was rendered"
    if file_digest(output) != made.get("sha256"):
        return "changed since it was rendered"
    return None


def pick_scenes(names: list[str]) -> list[SceneEntry]:
    """The entries for ``names`` (all scenes if empty); unknown names are errors."""
    if not names:
        found = [s for s in SCENES if s.exists]
        if not found:
            raise CliError("no scene is built yet")
        return found
    picked = []
    for name in dict.fromkeys(names):  # once each
        if name not in BY_NAME:
            close = difflib.get_close_matches(name, BY_NAME, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CliError(f"unknown scene {name!r}{hint} (see 'optanim list')")
        if not BY_NAME[name].exists:
            raise CliError(f"scene {name!r} is not built yet")
        picked.append(BY_NAME[name])
    return picked


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``--set KEY=VALUE`` pairs as a dict."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--set wants KEY=VALUE, got {pair!r}")
        overrides[key.strip()] = value.strip()
    return overrides


def scene_source(
    entry: SceneEntry,
    overrides: dict | None = None,
    narrations: tuple[Narration, ...] | None = None,
) -> SceneSource:
    """``entry`` with its parameters resolved, the descents not yet run, and its
    narrations (by default, as the environment and config file say)."""
    params = scene_params.resolve(entry.name, overrides, dynamics=False)
    return SceneSource(entry, params, narrations or resolve_narration())
