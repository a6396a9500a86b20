"""Renders jobs into place, in processes of their own, side by side.

Each render runs ``manim`` in a process of its own, under a lock of its output's
folder, writing under a temporary name that is renamed when complete and read
back (:func:`undecodable`), so that what optanim stamps, and later joins into a
lecture, decodes. An output whose key and file are unchanged is not rendered
again. A render that fails on a full disk says so, whatever its log kept.
:func:`run_jobs` runs many in parallel and reports progress; Ctrl-C stops them
all and keeps the finished outputs.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from optanim.build.files import (
    CliError,
    free_bytes,
    locked,
    no_space,
    undecodable,
    written_in_place,
)
from optanim.build.jobs import Job, SceneSource, stale_reason, stamp_for
from optanim.lesson import params as scene_params
from optanim.lesson import settings
from optanim.narration.words import LANGS

# What manim and the scene write beside a video, renamed with it.
BESIDE_VIDEO = (
    ".srt",
    ".vtt",
    ".narration.json",
    *(f".{lang}{kind}" for lang in LANGS for kind in (".srt", ".vtt")),
)
_CHILDREN: set[subprocess.Popen] = set()  # renders running now
_STOPPING = threading.Event()  # set on Ctrl-C: no render may finish into place
_PRINT = threading.Lock()  # one progress line at a time


def stopping() -> bool:
    """Whether Ctrl-C is stopping the renders."""
    return _STOPPING.is_set()


def say(line: str) -> None:
    """Prints a progress line whole, in one write, in ASCII where the terminal
    wants it: renders side by side, in this process or another one writing to
    the same terminal, never share a line."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    text = line.replace("…", "...").replace("→", "->") if _ascii(encoding) else line
    text = text.encode(encoding, "replace").decode(encoding) + "\n"
    with _PRINT:
        sys.stdout.write(text)
        sys.stdout.flush()


def _ascii(encoding: str) -> bool:
    try:
        "…".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return True
    return False


def _stop_children() -> None:
    _STOPPING.set()
    for child in list(_CHILDREN):
        child.terminate()


def run_batch(
    batch: list[Job],
    log: Path,
    encoder_threads: int | None = None,
    rerender: bool = False,
    started=None,
) -> list[str]:
    """Renders each job of ``batch`` into place, unless it is up to date (or
    ``rerender``); says which. Several jobs render in one process
    (:func:`optanim.render.internals.render_all`).

    manim writes under a temporary name in the output's folder, renamed when
    complete, so an interrupted render never leaves a half-written file under
    the final name. ``encoder_threads`` caps x264's threads (its own default
    is one and a half per core). ``started(jobs, reasons)`` is called with the
    jobs to render, and why, before their render starts."""
    with ExitStack() as held:
        outcomes, todo, reasons = [], [], []
        for job in batch:
            job.folder.mkdir(parents=True, exist_ok=True)
            # One lock per scene class and folder: manim keeps their partial
            # movies in one place, whatever the format.
            lock = held.enter_context(locked(job.folder / f".{job.scene.cls}.lock"))
            key = job.key()
            reason = (
                "asked to" if rerender else stale_reason(job.output, job.stamp, key)
            )
            if reason is None:
                outcomes.append("up to date")
                continue
            # Under the lock no other render of this output runs: a part file
            # here is what a killed render left.
            for stale in job.folder.glob(f".{job.scene.cls}{job.variant}.*.part*"):
                stale.unlink(missing_ok=True)
            _remove_cut_svgs(job.folder)
            temp = f".{job.scene.cls}{job.variant}.{os.getpid()}.part"
            held.callback(_remove_leftovers, job.folder, temp)
            (job.folder / f"{temp}.cfg").write_text(job.manim_config())
            params_file = None
            if isinstance(job.source, SceneSource):
                params_file = job.folder / f"{temp}.json"
                scene_params.dump(job.source.params, params_file)
            todo.append((job, key, temp, lock, job.env(params_file)))
            reasons.append(reason)
            outcomes.append("rendered")
        if not todo:
            return outcomes
        if started is not None:
            started([job for job, *_ in todo], reasons)
        names = ", ".join(job.name for job, *_ in todo)
        env = dict(todo[0][4])
        if encoder_threads:
            env[settings.ENCODER_THREADS] = str(encoder_threads)
        if len(todo) == 1:
            job, _, temp, _, _ = todo[0]
            command = job.command(temp)
        else:
            renders = [
                {"args": job.manim_args(temp), "env": _changed(job_env)}
                for job, _, temp, _, job_env in todo
            ]
            module = "optanim.render.internals"
            command = [sys.executable, "-m", module, json.dumps(renders)]
        log.parent.mkdir(parents=True, exist_ok=True)
        # The render inherits the locks: if optanim is killed, a second one
        # waits until the orphaned render has ended too.
        returncode = _run_child(command, env, log, [t[3] for t in todo])
        free = free_bytes(todo[0][0].folder)  # before the leftovers are removed
        if _STOPPING.is_set():
            raise CliError(f"rendering {names} was interrupted")
        for job, key, temp, _, _ in todo:
            rendered = job.folder / (temp + job.output.suffix)
            if returncode != 0 or not rendered.exists():
                for other, _, other_temp, _, _ in todo:  # frees the disk first
                    _remove_leftovers(other.folder, other_temp)
                raise CliError(_failure(job, returncode, log, free))
            problem = undecodable(rendered)
            if problem:
                raise CliError(
                    f"rendering {job.name} wrote a file that does not decode "
                    f"({problem}); nothing was replaced; see {log}"
                )
            for suffix in BESIDE_VIDEO:
                made = job.folder / (temp + suffix)
                if made.exists():
                    made.replace(job.output.with_name(job.output.stem + suffix))
            rendered.replace(job.output)
            with written_in_place(job.stamp) as temp_stamp:
                temp_stamp.write_text(stamp_for(key, job.output))
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


LOW_SPACE = 32 * 1024**2  # a render that fails with less free has filled the disk
NO_SPACE = ("No space left on device", "[Errno 28]", "ENOSPC", "Disk quota exceeded")


def _failure(job: Job, returncode: int, log: Path, free: int) -> str:
    """One line on a failed render: a full disk said as such (the log, on the
    same disk, may have been cut before the cause), else where the log is."""
    try:
        with open(log, "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 65536))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        tail = ""
    if free < LOW_SPACE or any(text in tail for text in NO_SPACE):
        with contextlib.suppress(OSError), open(log, "a") as out:
            out.write(f"\noptanim: {free:,} bytes were free when the render ended\n")
        return f"rendering {job.name} failed: {no_space(job.folder)} (log: {log})"
    return (
        f"rendering {job.name} failed (exit {returncode}); "
        f"see {log}; 'optanim doctor' checks the system"
    )


def _changed(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if os.environ.get(k) != v}


def _remove_cut_svgs(folder: Path) -> None:
    """Removes the text and formula SVGs a killed render left half-written in
    the render's own caches (see ``Job.manim_config``): manim reuses an SVG it
    finds there, whole or not, and then fails to parse it."""
    for svg in [*folder.glob("texts/*.svg"), *folder.glob("Tex/*.svg")]:
        with open(svg, "rb") as handle:
            handle.seek(max(0, svg.stat().st_size - 64))
            whole = b"</svg>" in handle.read()
        if not whole:
            svg.unlink(missing_ok=True)


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
    seconds = scene_params.video_seconds(job.source.params)
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


def check_jobs(jobs: list[Job], force: bool = False) -> None:
    """Checks every request before any work: the estimate of
    :func:`check_budget` unless ``force``, then the descents, which may diverge."""
    for job in jobs:
        if isinstance(job.source, SceneSource):
            if not job.still:
                check_budget(job, force)
            _ = job.source.params.paths


def run_jobs(
    jobs: list[Job],
    workers: int,
    force: bool = False,
    rerender: bool = False,
    ready: Callable[[list[Job]], None] | None = None,
) -> None:
    """Runs ``jobs`` in parallel, reporting each as it starts and ends.

    Every request is checked first (:func:`check_jobs`); Ctrl-C stops every
    render. ``rerender`` renders even what is up to date. ``ready(batch)``
    returns once what a batch of jobs needs is there (their speech)."""
    check_jobs(jobs, force)
    _STOPPING.clear()
    total, started = len(jobs), time.monotonic()
    finished = []
    # Renders side by side share the cores, and x264's threads beyond a render's
    # share only add switching.
    threads = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None

    def one(batch: list[Job]) -> None:
        if ready is not None:
            ready(batch)
        begin, first = time.monotonic(), batch[0]

        def starting(todo: list[Job], reasons: list[str]) -> None:
            if first.is_card and len(todo) > 1:
                name = f"{len(todo)} cards"
            else:
                name = ", ".join(job.name for job in todo)
            why = f" ({reasons[0]})" if len(set(reasons)) == 1 else ""
            say(f"  … {name}: rendering at {first.quality}{why}")

        variant = "" if first.still else first.variant
        log_name = first.name
        if len(batch) > 1:
            log_name = "cards" if first.is_card else "last_frames"
        log = first.media / "logs" / f"{log_name}_{first.quality}{variant}.log"
        outcomes = run_batch(batch, log, threads, rerender, starting)
        for job, outcome in zip(batch, outcomes, strict=True):
            finished.append(job)
            say(
                f"[{len(finished)}/{total}] {job.name}: {outcome} "
                f"in {time.monotonic() - begin:.1f} s -> {job.output}"
            )

    # Starting manim costs a second or two of CPU time, as much as a card or a
    # last frame: the cards render in one process (see run_batch), first,
    # beside a scene, and the last frames in one process per worker.
    cards = [job for job in jobs if job.is_card]
    stills = [job for job in jobs if job.still and not job.is_card]
    batches = [cards] if cards else []
    batches += [stills[i :: max(1, workers)] for i in range(min(workers, len(stills)))]
    batches += [[job] for job in jobs if not job.is_card and not job.still]
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
    say(f"done: {total} output(s) in {time.monotonic() - started:.1f} s")
