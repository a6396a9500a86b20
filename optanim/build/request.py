"""What a command asks of the renders: scenes, quality, folder and settings."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from optanim.build.files import CliError, writable_dir
from optanim.build.jobs import Job, SceneSource, pick_scenes, scene_source
from optanim.build.runner import check_jobs, run_jobs, say
from optanim.lesson.catalog import SCENES, SceneEntry
from optanim.narration.script import Narration, speak_all
from optanim.narration.script import resolve as resolve_narration


@dataclass
class Request:
    """The render settings every output command shares."""

    quality: str
    media: Path
    workers: int = 1
    force: bool = False  # render what the up-front estimate calls absurd
    rerender: bool = False  # render what is up to date
    fps: int | None = None
    resolution: tuple[int, int] | None = None
    theme: str | None = None
    voice: str | None = None  # None: the config file's, else the language's default
    lang: str | None = None

    def narrations(self) -> tuple[Narration, ...]:
        return resolve_narration(voice=self.voice, lang=self.lang, media=self.media)

    def scene_jobs(
        self, scenes: list[SceneEntry], overrides: dict | None = None, **kwargs
    ) -> list[Job]:
        """A job for each of ``scenes``, its parameters resolved once, here."""
        overrides = dict(overrides or {})
        if self.theme and overrides.setdefault("theme", self.theme) != self.theme:
            raise CliError(
                f"--theme {self.theme} and --set theme={overrides['theme']} "
                "disagree; give one"
            )
        media = writable_dir(self.media)
        narrations = self.narrations()
        video = {"fps": self.fps, "resolution": self.resolution} | kwargs
        return [
            Job(scene_source(s, overrides, narrations), self.quality, media, **video)
            for s in scenes
        ]

    def run(self, jobs: list[Job]) -> None:
        """Checks the jobs, speaks every line their scenes say, then renders them."""
        check_jobs(jobs, self.force)
        speak(jobs)
        run_jobs(jobs, self.workers, self.force, self.rerender)


def speak(jobs: list[Job]) -> None:
    """Synthesizes, before any render, every line of the scenes ``jobs`` render
    as video, and says how long it took."""
    by_voice: dict = {}
    for job in jobs:
        if isinstance(job.source, SceneSource) and not job.still:
            for narration in job.source.narrations:
                lines = job.source.lines(narration)
                by_voice.setdefault(narration, []).extend(lines)
    for narration, lines in by_voice.items():
        started = time.monotonic()
        cache = speak_all(narration, list({line.id: line for line in lines}.values()))
        say(
            f"speech ({narration.voice.name}, {narration.lang}): {cache.summary()} "
            f"in {time.monotonic() - started:.1f} s"
        )


def built_scenes(names: list[str] | None = None) -> list[SceneEntry]:
    """The scenes to use, in lesson order: ``names``, or every scene whose file
    exists, saying which are skipped."""
    if names:
        return pick_scenes(names)
    for entry in SCENES:
        if not entry.exists:
            say(f"skipping {entry.name}: not built yet")
    return pick_scenes([])
