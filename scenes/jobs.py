"""Render jobs: one scene (or title card) at one quality, rendered into place.

Each job runs ``manim`` in a process of its own, under a lock of its output's
folder, writing under a temporary name that is renamed when complete. A job
whose sources, parameters and settings are unchanged is not rendered again.
:func:`run_jobs` runs many in parallel and reports progress; Ctrl-C stops them
all and keeps the finished outputs.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from scenes import params as scene_params
from scenes.catalog import BY_NAME, PACKAGE, SCENES, SceneEntry

# Modules of the output tooling shape no frame: editing them re-renders nothing.
TOOLING = {
    "cli",
    "jobs",
    "lecture",
    "assemble",
    "deck",
    "stills",
    "doctor",
    "framematch",
    "mpl_figure",
}

QUALITIES = {  # name: (manim flag, folder manim writes to, pixel width)
    "low": ("l", "480p15", 854),
    "medium": ("m", "720p30", 1280),
    "high": ("h", "1080p60", 1920),
    "4k": ("k", "2160p60", 3840),
}


class CliError(Exception):
    """A problem the user can fix, said in one line."""


@dataclass(frozen=True)
class Job:
    """One scene, or one title card, to render at one quality."""

    scene: SceneEntry
    quality: str
    media: Path
    overrides: dict
    theme: str | None = None
    still: bool = False
    fps: int | None = None  # None: the quality's
    resolution: tuple[int, int] | None = None  # (width, height); None: the quality's
    card: str | None = None  # the text of a title card (scenes/cards.py)
    format: str = "mp4"  # or webm, gif
    transparent: bool = False  # with an alpha channel (webm, gif)

    @property
    def name(self) -> str:
        """What progress lines and logs call this job."""
        return self.scene.name if self.card is None else f"cards/{self.media_dir.name}"

    @property
    def media_dir(self) -> Path:
        """Where manim writes. manim keeps a scene class's partial movies in one
        folder, and every card is the class ``Card``: each card gets a media
        folder of its own, so that cards render side by side."""
        if self.card is None:
            return self.media
        return self.media / "cards" / re.sub(r"\W+", "_", self.card.lower()).strip("_")

    @property
    def slides_dir(self) -> Path:
        """Where manim-slides writes this render's slides: one folder per size,
        frame rate and format, as slide files of all of them share names."""
        folder = f"{self.size[1]}p{self.frame_rate}{self.variant}"
        return self.media / "slides" / folder

    @property
    def stamp(self) -> Path:
        """The key of the sources and settings that made the output."""
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
            return self.media / "images" / self.scene.name
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
        return variant + ("_alpha" if self.transparent else "")

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        prefix = f"OPTANIM_{self.scene.name.upper()}_"
        env |= {prefix + k.upper(): str(v) for k, v in self.overrides.items()}
        if self.theme:
            env["OPTANIM_THEME"] = self.theme
        # Absolute: manim-slides reads relative slide paths from the folder
        # above the .json, not from the one it wrote them in.
        env["OPTANIM_SLIDES_DIR"] = str(self.slides_dir.absolute())
        if self.card is not None:
            env["OPTANIM_CARD_TEXT"] = self.card
        return env

    def key(self) -> str:
        """What the output depends on: sources, parameters, quality, versions."""
        import manim

        if self.card is None:
            resolved = scene_params.load(self.scene.name, environ=self.env())
            values = dataclasses.asdict(resolved)
        else:
            values = {"card": self.card, "theme": self.theme}
        digest = hashlib.sha256()
        for source in sorted(PACKAGE.glob("*.py")):
            if source.stem not in TOOLING:
                digest.update(source.read_bytes())
        state = [
            values,
            self.quality,
            self.still,
            manim.__version__,
        ]
        if self.fps or self.resolution:
            state += [self.fps, self.resolution]
        if self.format != "mp4" or self.transparent:
            state += [self.format, self.transparent]
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


def pick_scenes(names: list[str]) -> list[SceneEntry]:
    """The entries for ``names`` (all scenes if empty); unknown names are errors."""
    if not names:
        found = [s for s in SCENES if s.exists]
        if not found:
            raise CliError("no scene is built yet")
        return found
    picked = []
    for name in names:
        if name not in BY_NAME:
            close = difflib.get_close_matches(name, BY_NAME, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CliError(f"unknown scene {name!r}{hint} (see 'optanim list')")
        if not BY_NAME[name].exists:
            raise CliError(f"scene {name!r} is not built yet")
        picked.append(BY_NAME[name])
    return picked


def parse_sets(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--set wants KEY=VALUE, got {pair!r}")
        overrides[key.strip()] = value.strip()
    return overrides


@contextmanager
def locked(path: Path):
    """Holds an exclusive lock on ``path``: concurrent renders of one scene wait."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield handle


_CHILDREN: set[subprocess.Popen] = set()  # renders running now
_STOPPING = threading.Event()  # set on Ctrl-C: no render may finish into place


def _stop_children() -> None:
    _STOPPING.set()
    for child in list(_CHILDREN):
        child.terminate()


@contextmanager
def written_in_place(path: Path):
    """Yields a temporary name beside ``path`` to write to: renamed to ``path``
    when the block succeeds, removed when it fails, so that ``path`` is always
    either the old file or the whole new one."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def run_job(job: Job, log: Path, encoder_threads: int | None = None) -> str:
    """Renders ``job`` into place, unless it is up to date; says which.

    manim writes under a temporary name in the output's folder, renamed when
    complete, so an interrupted render never leaves a half-written file under
    the final name. ``encoder_threads`` caps x264's threads (its own default
    is one and a half per core)."""
    return run_batch([job], log, encoder_threads)[0]


def run_batch(
    batch: list[Job], log: Path, encoder_threads: int | None = None
) -> list[str]:
    """Renders each job of ``batch`` as :func:`run_job` does, all of them in one
    process (``python -m scenes.cards``): a title card is two seconds of video,
    and starting manim for it costs about as much CPU time again."""
    with ExitStack() as held:
        outcomes, todo = [], []
        for job in batch:
            job.folder.mkdir(parents=True, exist_ok=True)
            # One lock per scene class and folder: manim keeps their partial
            # movies in one place, whatever the format.
            lock = held.enter_context(locked(job.folder / f".{job.scene.cls}.lock"))
            key = job.key()
            stamp = job.stamp
            if job.output.exists() and stamp.exists() and stamp.read_text() == key:
                outcomes.append("up to date")
                continue
            # Under the lock no other render of this output runs: a part file
            # here is what a killed render left.
            for stale in job.folder.glob(f".{job.scene.cls}{job.variant}.*.part*"):
                stale.unlink(missing_ok=True)
            temp = f".{job.scene.cls}{job.variant}.{os.getpid()}.part"
            held.callback(_remove_leftovers, job.folder, temp)
            (job.folder / f"{temp}.cfg").write_text(job.manim_config())
            todo.append((job, key, temp, lock))
            outcomes.append("rendered")
        if not todo:
            return outcomes
        names = ", ".join(job.name for job, *_ in todo)
        env = todo[0][0].env()
        if encoder_threads:
            env[scene_params.ENCODER_THREADS] = str(encoder_threads)
        if len(todo) == 1:
            job, _, temp, _ = todo[0]
            command = job.command(temp)
        else:
            renders = [
                {"args": job.manim_args(temp), "env": _changed(job.env())}
                for job, _, temp, _ in todo
            ]
            command = [sys.executable, "-m", "scenes.cards", json.dumps(renders)]
        log.parent.mkdir(parents=True, exist_ok=True)
        # The render inherits the locks: if optanim is killed, a second one
        # waits until the orphaned render has ended too.
        returncode = _run_child(command, env, log, [lock for *_, lock in todo])
        if _STOPPING.is_set():
            raise CliError(f"rendering {names} was interrupted")
        for job, key, temp, _ in todo:
            rendered = job.folder / (temp + job.output.suffix)
            if returncode != 0 or not rendered.exists():
                raise CliError(
                    f"rendering {job.name} failed (exit {returncode}); "
                    f"see {log} — 'optanim doctor' checks the system"
                )
            subtitles = rendered.with_suffix(".srt")
            if subtitles.exists():
                subtitles.replace(job.output.with_suffix(".srt"))
            rendered.replace(job.output)
            with written_in_place(job.stamp) as temp_stamp:
                temp_stamp.write_text(key)
    return outcomes


def _run_child(command: list[str], env: dict, log: Path, locks: list) -> int:
    """Runs a render to its end, or until Ctrl-C stops every render."""
    with (
        open(log, "w") as out,
        subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=out,
            pass_fds=[lock.fileno() for lock in locks],
        ) as child,
    ):
        _CHILDREN.add(child)
        if _STOPPING.is_set():
            child.terminate()
        try:
            return child.wait()
        finally:
            _CHILDREN.discard(child)


def _changed(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if os.environ.get(k) != v}


def _remove_leftovers(folder: Path, temp: str) -> None:
    for leftover in folder.glob(temp + ".*"):
        leftover.unlink()


MAX_VIDEO_S = 20 * 60  # beyond these a render is refused without --force
MAX_FRAMES = 100_000
MAX_FPS = 120


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:,.1f} h"


def check_budget(job: Job, force: bool = False) -> None:
    """Refuses up front a video whose estimate is absurd: over 20 minutes,
    100,000 frames or 120 fps. ``force`` lets it through."""
    params = scene_params.load(job.scene.name, environ=job.env(), dynamics=False)
    seconds = scene_params.video_seconds(job.scene.name, params)
    frames = math.ceil(seconds * job.frame_rate)
    limits = (
        (seconds > MAX_VIDEO_S, f"over {MAX_VIDEO_S // 60} min of video"),
        (frames > MAX_FRAMES, f"over {MAX_FRAMES:,} frames"),
        (job.frame_rate > MAX_FPS, f"over {MAX_FPS} fps"),
    )
    reasons = [text for over, text in limits if over]
    if reasons and not force:
        width, height = job.size
        raise CliError(
            f"{job.scene.name}: refusing an estimated {frames:,} frames "
            f"({_duration(seconds)} at {job.frame_rate} fps, {width}x{height}): "
            f"{' and '.join(reasons)}; pass --force to render it anyway"
        )


def run_jobs(jobs: list[Job], workers: int, force: bool = False) -> None:
    """Runs ``jobs`` in parallel, reporting each as it starts and ends.

    Every request is checked first (parameters, divergence, and the estimate
    of :func:`check_budget` unless ``force``); Ctrl-C stops every render."""
    for job in jobs:  # fail fast, before any process starts
        if job.card is not None:  # a card has no parameters
            continue
        if not job.still:
            check_budget(job, force)
        scene_params.load(job.scene.name, environ=job.env())
    _STOPPING.clear()
    total, started = len(jobs), time.monotonic()
    finished = []
    # Renders side by side share the cores, and x264's threads beyond a render's
    # share only add switching.
    threads = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None

    def one(batch: list[Job]) -> None:
        begin, first = time.monotonic(), batch[0]
        name = first.name if len(batch) == 1 else f"{len(batch)} cards"
        print(f"  … {name}: rendering at {first.quality}", flush=True)
        variant = "" if first.still else first.variant
        log_name = first.name if len(batch) == 1 else "cards"
        log = first.media / "logs" / f"{log_name}_{first.quality}{variant}.log"
        outcomes = run_batch(batch, log, threads)
        for job, outcome in zip(batch, outcomes, strict=True):
            finished.append(job)
            print(
                f"[{len(finished)}/{total}] {job.name}: {outcome} "
                f"in {time.monotonic() - begin:.1f} s -> {job.output}",
                flush=True,
            )

    # The cards render in one process (see run_batch), first, beside a scene.
    cards = [job for job in jobs if job.card is not None]
    batches = ([cards] if cards else []) + [[job] for job in jobs if job.card is None]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(one, batch) for batch in batches]
        try:
            for future in futures:
                future.result()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            _stop_children()
            raise
    print(f"done: {total} output(s) in {time.monotonic() - started:.1f} s", flush=True)


def writable_dir(path: Path) -> Path:
    """``path``, created if need be; one that cannot be written to is an error."""
    if path.exists() and not path.is_dir():
        raise CliError(f"output directory {path} is not writable: it is a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise CliError(f"output directory {path} is not writable: {reason}") from None
    return path
