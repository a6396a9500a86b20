"""``optanim``: render the lesson's scenes for lecturers and presenters.

    optanim list                      the scenes, in lesson order
    optanim params [SCENE]            their parameters and defaults
    optanim render [SCENE ...] -q low one MP4 (and .srt) per scene
    optanim stills [SCENE ...]        last frames beside the rebuilt originals

Scenes render in parallel processes, one per core. A clip whose sources,
parameters and quality are unchanged is not rendered again.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import hashlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scenes import params as scene_params
from scenes.catalog import BY_NAME, PACKAGE, SCENES, SceneEntry

QUALITIES = {  # name: (manim flag, folder manim writes to, pixel width)
    "low": ("l", "480p15", 854),
    "medium": ("m", "720p30", 1280),
    "high": ("h", "1080p60", 1920),
    "4k": ("k", "2160p60", 3840),
}


class CliError(Exception):
    """A problem the user can fix, said in one line."""


class Parser(argparse.ArgumentParser):
    """Usage errors are one line on stderr and exit status 2, with no usage dump."""

    def error(self, message: str):
        self.exit(2, f"optanim: error: {message}\n")


@dataclass(frozen=True)
class Job:
    """One scene to render at one quality."""

    scene: SceneEntry
    quality: str
    media: Path
    overrides: dict
    theme: str | None = None
    still: bool = False

    @property
    def folder(self) -> Path:
        if self.still:
            return self.media / "images" / self.scene.name
        return self.media / "videos" / self.scene.name / QUALITIES[self.quality][1]

    @property
    def output(self) -> Path:
        suffix = ".png" if self.still else ".mp4"
        return self.folder / f"{self.scene.cls}{self._variant}{suffix}"

    @property
    def _variant(self) -> str:
        return f"_{self.quality}" if self.still else ""

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        prefix = f"OPTANIM_{self.scene.name.upper()}_"
        env |= {prefix + k.upper(): str(v) for k, v in self.overrides.items()}
        if self.theme:
            env["OPTANIM_THEME"] = self.theme
        env["OPTANIM_SLIDES_DIR"] = str(self.media / "slides")
        return env

    def key(self) -> str:
        """What the output depends on: sources, parameters, quality, versions."""
        import manim

        resolved = scene_params.load(self.scene.name, environ=self.env())
        digest = hashlib.sha256()
        for source in sorted(PACKAGE.glob("*.py")):
            digest.update(source.read_bytes())
        state = [
            dataclasses.asdict(resolved),
            self.quality,
            self.still,
            manim.__version__,
        ]
        digest.update(json.dumps(state, sort_keys=True).encode())
        return digest.hexdigest()

    def command(self, temp_name: str) -> list[str]:
        flag = QUALITIES[self.quality][0]
        cmd = [
            sys.executable,
            "-m",
            "manim",
            "render",
            f"-q{flag}",
            "--disable_caching",
        ]
        cmd += ["--media_dir", str(self.media), "-o", temp_name]
        if self.still:
            cmd += ["-s", "--format", "png"]
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
        yield


def run_job(job: Job, log: Path) -> str:
    """Renders ``job`` into place, unless it is up to date; says which."""
    job.folder.mkdir(parents=True, exist_ok=True)
    stamp = job.output.with_suffix(job.output.suffix + ".key")
    with locked(job.folder / f".{job.scene.cls}{job._variant}.lock"):
        key = job.key()
        if job.output.exists() and stamp.exists() and stamp.read_text() == key:
            return "up to date"
        temp = f".{job.scene.cls}{job._variant}.{os.getpid()}.part"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w") as out:
            done = subprocess.run(
                job.command(temp), env=job.env(), stdout=out, stderr=out
            )
        rendered = job.folder / (temp + job.output.suffix)
        try:
            if done.returncode != 0 or not rendered.exists():
                raise CliError(
                    f"rendering {job.scene.name} failed (exit {done.returncode}); "
                    f"see {log} — 'optanim doctor' checks the system"
                )
            subtitles = rendered.with_suffix(".srt")
            if subtitles.exists():
                subtitles.replace(job.output.with_suffix(".srt"))
            rendered.replace(job.output)
            stamp.write_text(key)
        finally:
            for leftover in job.folder.glob(temp + ".*"):
                leftover.unlink()
    return "rendered"


def run_jobs(jobs: list[Job], workers: int) -> None:
    """Runs ``jobs`` in parallel, reporting each as it starts and ends."""
    for job in jobs:  # fail fast, before any process starts
        scene_params.load(job.scene.name, environ=job.env())
    total, started = len(jobs), time.monotonic()
    finished = []

    def one(job: Job) -> None:
        begin = time.monotonic()
        print(f"  … {job.scene.name}: rendering at {job.quality}", flush=True)
        log = job.media / "logs" / f"{job.scene.name}_{job.quality}.log"
        outcome = run_job(job, log)
        finished.append(job)
        print(
            f"[{len(finished)}/{total}] {job.scene.name}: {outcome} "
            f"in {time.monotonic() - begin:.1f} s -> {job.output}",
            flush=True,
        )

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for future in [pool.submit(one, job) for job in jobs]:
            future.result()
    print(f"done: {total} scene(s) in {time.monotonic() - started:.1f} s", flush=True)


# -- commands ------------------------------------------------------------------
def cmd_list(args) -> None:
    for s in SCENES:
        state = "" if s.exists else "  (not built yet)"
        print(f"{s.name:20} {s.title}{state}")


def cmd_params(args) -> None:
    for entry in pick_scenes(args.scenes):
        values = dataclasses.asdict(scene_params.load(entry.name))
        print(entry.name + ": " + ", ".join(f"{k}={v}" for k, v in values.items()))


def _jobs(args, still: bool = False) -> list[Job]:
    overrides = parse_sets(args.set)
    scenes = pick_scenes(args.scenes)
    if overrides and len(scenes) != 1:
        raise CliError("--set needs exactly one scene")
    media = Path(args.media_dir)
    return [Job(s, args.quality, media, overrides, args.theme, still) for s in scenes]


def cmd_render(args) -> None:
    run_jobs(_jobs(args), args.jobs)


def cmd_stills(args) -> None:
    from scenes.stills import write_stills

    jobs = _jobs(args, still=True)
    run_jobs(jobs, args.jobs)
    sheet = write_stills(jobs, QUALITIES[args.quality][2])
    print(f"side-by-side sheet -> {sheet}")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="optanim", description=__doc__.split("\n")[0].split(": ", 1)[1]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the scenes, in lesson order").set_defaults(
        func=cmd_list
    )
    p = sub.add_parser("params", help="parameters and their current values")
    p.add_argument("scenes", nargs="*")
    p.set_defaults(func=cmd_params)
    for name, func, default_q, text in (
        ("render", cmd_render, "high", "render scenes to MP4 with subtitles"),
        ("stills", cmd_stills, "high", "last frames beside the originals"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("scenes", nargs="*", metavar="SCENE", help="default: all")
        p.add_argument("-q", "--quality", choices=QUALITIES, default=default_q)
        p.add_argument("--theme", choices=scene_params.THEMES)
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a scene parameter (see 'optanim params')",
        )
        p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
        p.add_argument("--media-dir", default="media")
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (CliError, scene_params.ParamError) as err:
        print(f"optanim: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("optanim: interrupted; finished outputs are intact", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
