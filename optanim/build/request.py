"""What a command asks of the renders: scenes, quality, folder and settings."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from optanim.build.files import CliError, writable_dir
from optanim.build.jobs import Job, SceneSource, pick_scenes, scene_source
from optanim.build.runner import check_jobs, run_jobs, say, stopping
from optanim.lesson.catalog import SCENES, SceneEntry
from optanim.narration.script import Narration, check_all, speak_all
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
        """Checks the jobs, then renders them while the lines their scenes say
        are spoken: a scene renders once its own lines are, a card at once."""
        check_jobs(jobs, self.force)
        speaking = Speaking(jobs)
        speaking.start()
        try:
            run_jobs(jobs, self.workers, self.force, self.rerender, speaking.wait)
        except BaseException:
            speaking.stop()
            raise
        speaking.finish()


class Speaking:
    """Speaks, on a thread of its own, scene after scene, every line of the
    scenes ``jobs`` render as video, and says how long it took.

    Whatever can be checked (the language, missing recordings) is checked
    here, before anything is spoken or rendered."""

    def __init__(self, jobs: list[Job]) -> None:
        self.todo = [
            (job, [(n, job.source.lines(n)) for n in job.source.narrations])
            for job in jobs
            if isinstance(job.source, SceneSource) and not job.still
        ]
        by_voice: dict[Narration, list] = {}
        for _, parts in self.todo:
            for narration, lines in parts:
                by_voice.setdefault(narration, []).extend(lines)
        for narration, lines in by_voice.items():
            check_all(narration, lines)
        self.caches = {narration: narration.cache for narration in by_voice}
        self.spoken = {id(job): threading.Event() for job, _ in self.todo}
        self.error: Exception | None = None
        self.stopped = False

    def start(self) -> None:
        self.thread = threading.Thread(target=self._speak, name="speech", daemon=True)
        self.thread.start()

    def _speak(self) -> None:
        started = time.monotonic()
        try:
            for job, parts in self.todo:
                for narration, lines in parts:
                    for line in lines:  # a line at a time, to stop between two
                        if self.stopped:
                            return
                        speak_all(narration, [line], self.caches[narration])
                self.spoken[id(job)].set()
            for narration, cache in self.caches.items():
                say(
                    f"speech ({narration.voice.name}, {narration.lang}): "
                    f"{cache.summary()} in {time.monotonic() - started:.1f} s"
                )
        except Exception as error:  # raised again in the caller's thread
            self.error = error
        finally:
            for event in self.spoken.values():
                event.set()

    def wait(self, jobs: list[Job]) -> None:
        """Returns once every line of ``jobs`` is spoken; raises what stopped
        the speech, or :class:`CliError` once the renders are interrupted."""
        for job in jobs:
            while id(job) in self.spoken and not self.spoken[id(job)].wait(0.1):
                if stopping():
                    raise CliError("interrupted while the narration was spoken")
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        """Stops after the line being spoken: the renders stopped."""
        self.stopped = True
        self.thread.join()

    def finish(self) -> None:
        """Waits for the speech to end; raises what stopped it."""
        self.thread.join()
        if self.error is not None:
            raise self.error


def built_scenes(names: list[str] | None = None) -> list[SceneEntry]:
    """The scenes to use, in lesson order: ``names``, or every scene whose file
    exists, saying which are skipped."""
    if names:
        return pick_scenes(names)
    for entry in SCENES:
        if not entry.exists:
            say(f"skipping {entry.name}: not built yet")
    return pick_scenes([])
