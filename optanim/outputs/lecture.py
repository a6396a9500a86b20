"""The lecture: one video of every scene, between a title card and section cards.

    optanim lecture -q high            media/lecture/high/lecture.mp4 (+ .srt, .vtt)
    optanim lecture --lang zh          media/lecture/high/lecture_zh.mp4
    optanim lecture --lang en,zh       media/lecture/high/lecture_en-zh.mp4, two
                                       narration and subtitle tracks

The lecture is made of :class:`~optanim.build.jobs.Job` renders, so a clip
renders once and serves every output at its quality: the lecture's scene clips
are also the deck's slides. It puts a title card first and a section card before
each scene (``scenes/title_card.py``), rendered by the same command so that all
its clips join by stream copy, with a chapter for each scene. A scene whose file
is not written yet is skipped, and the output says so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path

import av

from optanim.build.files import CliError, locked, written_in_place
from optanim.build.jobs import CardSource, Job, stale_reason, stamp_for
from optanim.build.request import Request, built_scenes
from optanim.build.runner import say
from optanim.lesson.catalog import SCENES
from optanim.narration import subtitles, words
from optanim.outputs.assemble import Joined, Part, captions_path, join_clips


def lecture_file(media: Path, quality: str, langs: tuple[str, ...]) -> Path:
    """``lecture.mp4`` narrated in English; ``lecture_zh.mp4``, ``lecture_en-zh.mp4``
    in other languages."""
    name = "lecture" if langs == ("en",) else "lecture_" + "-".join(langs)
    return media / "lecture" / quality / f"{name}.mp4"


def make_lecture(request: Request) -> None:
    """Renders every scene and card, and joins them into one lecture."""
    started = time.monotonic()
    scenes = built_scenes()
    clips = request.scene_jobs(scenes)
    source = clips[0].source
    langs = source.langs
    said = words.load(langs[0])  # the cards and chapters speak the first language
    theme = source.params.theme

    def card(text: str) -> Job:
        return dataclasses.replace(clips[0], source=CardSource(text, theme))

    title = card(f"{said.lecture['title']}\n{said.lecture['subtitle']}")
    part = said.lecture["part"]
    sections = [
        card(
            said.title(s.name)
            + "\n"
            + part.format(n=SCENES.index(s) + 1, total=len(SCENES))
        )
        for s in scenes
    ]
    request.run([*clips, title, *sections])  # longest first

    # One chapter per scene, from its section card; the first opens on the title.
    chapters = [said.title(s.name) for s in scenes]
    pieces = [(title, Part(title.output, chapters[0]))]
    for n, (section, job) in enumerate(zip(sections, clips, strict=True)):
        pieces.append((section, Part(section.output, chapters[n] if n else None)))
        pieces.append((job, Part.from_clip(job.output)))
    out = lecture_file(request.media, request.quality, langs)
    out.parent.mkdir(parents=True, exist_ok=True)
    outcome, joined = join_lecture(pieces, out)
    with av.open(str(out)) as container:
        seconds = container.duration / av.time_base
        fps = float(container.streams.video[0].guessed_rate)
        tracks = len(container.streams.audio)
    say(
        f"lecture: {outcome}, {seconds:.1f} s, {len(chapters)} chapter(s), "
        f"{tracks} narration track(s), {out.stat().st_size / 1e6:.1f} MB -> {out}; "
        f"{time.monotonic() - started:.1f} s in all"
    )
    for lang, narration in joined.items():
        say(
            f"narration ({lang}): {len(narration.spoken)} lines, "
            f"{narration.lufs:.1f} LUFS, true peak {narration.true_peak:.1f} dBTP"
        )
    for n, lang in enumerate(langs):
        report_captions(out, lang, n == 0, fps)


def join_lecture(
    pieces: list[tuple[Job, Part]], out: Path
) -> tuple[str, dict[str, Joined]]:
    """Joins the parts into ``out``, unless it was joined from these very clips;
    says which, and what was joined (nothing when it was up to date)."""
    joined = {}

    def join() -> None:
        try:
            joined.update(join_clips([part for _, part in pieces], out))
        except (ValueError, OSError) as err:
            raise CliError(f"cannot join the lecture: {err}") from None

    sources = [f"{job.stamp.read_text()} {part.title}" for job, part in pieces]
    langs = next((job.source.langs for job, _ in pieces if not job.is_card), ())
    also = [
        captions_path(out, lang, n == 0, suffix)
        for n, lang in enumerate(langs)
        for suffix in (".srt", ".vtt")
    ]
    return build_once(out, sources, join, also=also), joined


def report_captions(video: Path, lang: str, first: bool, fps: float) -> None:
    """Checks the captions of ``lang`` beside ``video`` against the caption
    rules, and says what it finds."""
    for suffix in (".srt", ".vtt"):
        path = captions_path(video, lang, first, suffix)
        if not path.exists():
            continue
        problems = subtitles.check_file(path, lang, fps)
        if not problems:
            parse = subtitles.parse_vtt if suffix == ".vtt" else subtitles.parse_srt
            cues = parse(path.read_text(encoding="utf-8"))
            say(f"captions: {path.name}: {len(cues)} cues, all within the rules")
            continue
        say(f"captions: {path.name}: {len(problems)} problem(s)")
        for problem in problems[:10]:
            say(f"  {problem}")


def build_once(out: Path, sources: list[str], build, also=()) -> str:
    """Runs ``build()`` to make ``out`` (and ``also``), unless they exist and were
    made from the same ``sources``; says which. One build of ``out`` at a time."""
    key = hashlib.sha256("\n".join(sources).encode()).hexdigest()
    stamp = out.with_name(f"{out.name}.key")
    with locked(out.with_name(f".{out.name}.lock")):
        made = all(path.exists() for path in also)
        if made and stale_reason(out, stamp, key) is None:
            return "up to date"
        build()
        with written_in_place(stamp) as temp:
            temp.write_text(stamp_for(key, out))
    return "built"
