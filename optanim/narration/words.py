"""The lecture's words, as data: one TOML file per language in ``words/``.

Each beat of a scene is a table ``[<scene>.<beat>]`` whose ``say`` is a list of
lines written for the ear, and whose optional ``caption`` is the same lines
written for the eye. A line is one unit of speech and one subtitle cue. Numbers
a scene computes are ``str.format`` fields (``{x_g:.3f}``), filled from
:meth:`optanim.lesson.params.SceneParams.narration_values`. Scenes name beats
by id; translators edit the files without touching scene code.

>>> words = load("en")
>>> words.beat("local_minimum", "figure").lines[0].id
'local_minimum.figure.1'
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tomllib

FOLDER = Path(__file__).resolve().parent / "words"
LANGS = ("en", "zh")


class WordsError(ValueError):
    """A words file that cannot be used, said in one line."""


@dataclass(frozen=True)
class Line:
    """One spoken line: its id, what is said, and what the caption shows."""

    id: str
    say: str
    caption: str


@dataclass(frozen=True)
class Beat:
    """The lines of one beat of a scene, in order."""

    scene: str
    id: str
    lines: tuple[Line, ...]

    @property
    def caption(self) -> str:
        """The whole beat as read: a slide's speaker notes."""
        return " ".join(line.caption for line in self.lines)


@dataclass(frozen=True)
class Words:
    """Every beat of every scene in one language, and the lecture's titles."""

    lang: str
    path: Path
    lecture: dict
    titles: dict
    tables: dict  # scene -> beat id -> {"say": [...], "caption": [...]}

    def beat_ids(self, scene: str) -> list[str]:
        return list(self.tables.get(scene, {}))

    def beat(self, scene: str, beat_id: str, values: dict | None = None) -> Beat:
        """The lines of ``scene``'s beat ``beat_id``, their fields filled."""
        try:
            table = self.tables[scene][beat_id]
        except KeyError:
            raise WordsError(
                f"{self.path.name} has no beat {scene}.{beat_id}"
            ) from None
        values = values or {}
        say, caption = table["say"], table.get("caption", table["say"])
        lines = []
        for n, (spoken, shown) in enumerate(zip(say, caption, strict=True), 1):
            line_id = f"{scene}.{beat_id}.{n}"
            try:
                lines.append(
                    Line(line_id, spoken.format(**values), shown.format(**values))
                )
            except (KeyError, ValueError, IndexError) as err:
                raise WordsError(
                    f"{self.path.name}, {line_id}: cannot fill {err} "
                    f"(the scene gives {', '.join(values) or 'no fields'})"
                ) from None
        return Beat(scene, beat_id, tuple(lines))

    def title(self, scene: str) -> str:
        return self.titles[scene]


def fields(text: str) -> set[str]:
    """The ``str.format`` field names in ``text``."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@cache
def load(lang: str) -> Words:
    """The words of ``lang`` (``en`` or ``zh``), checked for shape."""
    if lang not in LANGS:
        raise WordsError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    path = FOLDER / f"{lang}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise WordsError(f"cannot read {path}: {err}") from None
    lecture, titles = data.pop("lecture", {}), data.pop("titles", {})
    data.pop("language", None)
    for scene, beats in data.items():
        for beat_id, table in beats.items():
            say = table.get("say")
            caption = table.get("caption", say)
            where = f"{path.name}, [{scene}.{beat_id}]"
            if not (
                isinstance(say, list) and say and all(isinstance(s, str) for s in say)
            ):
                raise WordsError(f"{where}: say must be a list of lines")
            if not isinstance(caption, list) or len(caption) != len(say):
                raise WordsError(f"{where}: caption must have as many lines as say")
    return Words(lang, path, lecture, titles, data)
