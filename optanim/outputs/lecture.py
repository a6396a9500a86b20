"""The lecture: one video of every scene, between a title card and section cards.

    optanim lecture -q high        media/lecture/high/lecture.mp4 (+ .srt, .vtt)

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
from optanim.narration import captions
from optanim.outputs.assemble import Joined, Part, join_clips

TITLE = "Optimization and Deep Learning: the challenges"


def make_lecture(request: Request) -> None:
    """Renders every scene and card, and joins them into one lecture."""
    started = time.monotonic()
    scenes = built_scenes()
    clips = request.scene_jobs(scenes)
    theme = clips[0].source.params.theme

    def card(text: str) -> Job:
        return dataclasses.replace(clips[0], source=CardSource(text, theme))

    title = card(TITLE.replace(": ", "\n"))
    sections = [
        card(f"{s.title}\nPart {SCENES.index(s) + 1} of {len(SCENES)}") for s in scenes
    ]
    request.run([*clips, title, *sections])  # longest first

    # One chapter per scene, from its section card; the first opens on the title.
    pieces = [(title, Part(title.output, scenes[0].title))]
    for n, (section, job) in enumerate(zip(sections, clips, strict=True)):
        pieces.append((section, Part(section.output, job.scene.title if n else None)))
        pieces.append((job, Part.from_clip(job.output)))
    out = request.media / "lecture" / request.quality / "lecture.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    outcome, joined = join_lecture(pieces, out)
    with av.open(str(out)) as container:
        seconds = container.duration / av.time_base
        chapters = len(container.chapters())
        fps = float(container.streams.video[0].guessed_rate)
    beside = [p.name for p in (out.with_suffix(".srt"), out.with_suffix(".vtt"))]
    say(
        f"lecture: {outcome}, {seconds:.1f} s, {chapters} chapter(s), "
        f"{out.stat().st_size / 1e6:.1f} MB -> {out}"
        + (f" (+ {', '.join(beside)})" if out.with_suffix(".srt").exists() else "")
        + f"; {time.monotonic() - started:.1f} s in all"
    )
    if joined is not None and joined.spoken:
        say(
            f"narration: {len(joined.spoken)} lines, {joined.lufs:.1f} LUFS, "
            f"true peak {joined.true_peak:.1f} dBTP"
        )
    report_captions(out, clips[0].source.narration.lang, fps)


def join_lecture(
    pieces: list[tuple[Job, Part]], out: Path
) -> tuple[str, Joined | None]:
    """Joins the parts into ``out``, unless it was joined from these very clips;
    says which, and what was joined."""
    joined = []

    def join() -> None:
        try:
            joined.append(join_clips([part for _, part in pieces], out))
        except (ValueError, OSError) as err:
            raise CliError(f"cannot join the lecture: {err}") from None

    sources = [f"{job.stamp.read_text()} {part.title}" for job, part in pieces]
    also = [out.with_suffix(".srt"), out.with_suffix(".vtt")]
    narrated = any(part.narration for _, part in pieces)
    outcome = build_once(out, sources, join, also=also if narrated else ())
    return outcome, joined[0] if joined else None


def report_captions(video: Path, lang: str, fps: float) -> None:
    """Checks the subtitle files beside ``video`` against the caption rules,
    and says what it finds."""
    for path in (video.with_suffix(".srt"), video.with_suffix(".vtt")):
        if not path.exists():
            continue
        problems = captions.check_file(path, lang, fps)
        if not problems:
            parse = captions.parse_vtt if path.suffix == ".vtt" else captions.parse_srt
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
