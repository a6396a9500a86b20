"""The recording script: every line of the lecture, for a lecturer to record.

    optanim script --lang en       media/script/en.md and media/script/en.csv

Each line has its id (the file name ``recorded:DIR`` looks for), its words and
caption, and the length to aim for: the voice's own length where it has spoken
the line, else an estimate at the narration's pace.
"""

from __future__ import annotations

import csv
import io

from optanim.build.files import written_in_place
from optanim.build.jobs import pick_scenes, scene_source
from optanim.build.request import Request
from optanim.build.runner import say
from optanim.narration.script import recording_script
from optanim.narration.words import load


def write_script(request: Request) -> None:
    """Writes the script as Markdown and CSV under ``media/script``."""
    for narration in request.narrations():
        _write_script(request, narration)


def _write_script(request: Request, narration) -> None:
    words = load(narration.lang)
    folder = request.media / "script"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    markdown = [f"# {words.lecture.get('title', '')}: recording script\n"]
    markdown.append(
        f"Language: {narration.lang}. Record one file per line, named by its id "
        "(`<id>.wav`, `.flac`, `.mp3` or `.m4a`), and render with "
        "`--voice recorded:DIR`.\n"
    )
    for entry in pick_scenes([]):
        source = scene_source(entry, narrations=(narration,))
        markdown.append(f"\n## {words.title(entry.name)}\n")
        markdown.append("| id | say | caption | aim for |\n|---|---|---|---|")
        for timed in recording_script(narration, source.lines(narration)):
            line = timed.line
            rows.append([line.id, line.say, line.caption, f"{timed.seconds:.1f}"])
            shown = "" if line.caption == line.say else line.caption
            markdown.append(
                f"| `{line.id}` | {line.say} | {shown} | {timed.seconds:.1f} s |"
            )
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["id", "say", "caption", "seconds"])
    writer.writerows(rows)
    for suffix, text in (
        (".md", "\n".join(markdown) + "\n"),
        (".csv", table.getvalue()),
    ):
        out = folder / f"{narration.lang}{suffix}"
        with written_in_place(out) as temp:
            temp.write_text(text, encoding="utf-8")
    total = sum(float(row[3]) for row in rows)
    say(
        f"script: {len(rows)} lines, {total / 60:.1f} min of speech -> "
        f"{folder / narration.lang}.md (+ .csv)"
    )
