"""``optanim``: render the lesson's scenes for lecturers and presenters.

    optanim list                      the scenes, in lesson order
    optanim params [SCENE]            their parameters and defaults
    optanim render [SCENE ...] -q low one MP4 (and .srt) per scene
    optanim stills [SCENE ...]        last frames beside the rebuilt originals
    optanim doctor                    checks cairo, pango, fonts, Typst, H.264
    optanim lecture -q high           one MP4 of all scenes, chapters, subtitles
    optanim slides --to html          one deck of all scenes, a slide per beat
    optanim clips --format webm -t    embeddable clips (gif, webm, mp4)
    optanim preview                   quick last frames on a contact sheet (CI)

Scenes render in parallel processes, one per core. A clip whose sources,
parameters and quality are unchanged is not rendered again. Each output is
written under a temporary name and renamed when complete; Ctrl-C stops every
render and keeps the finished outputs. A request estimated at over 20 minutes
of video, 100,000 frames or 120 fps is refused unless ``--force``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading
from pathlib import Path

from scenes import params as scene_params
from scenes.catalog import SCENES
from scenes.jobs import (
    QUALITIES,
    CliError,
    Job,
    parse_sets,
    pick_scenes,
    run_jobs,
    writable_dir,
)


class Parser(argparse.ArgumentParser):
    """Usage errors are one line on stderr and exit status 2, with no usage dump."""

    def error(self, message: str):
        self.exit(2, f"optanim: error: {message}\n")


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
    if overrides:  # named as the user typed them, before they become variables
        scene_params.load(scenes[0].name, overrides, dynamics=False)
    media = writable_dir(Path(args.media_dir))
    video = {"fps": args.fps, "resolution": args.resolution}
    return [
        Job(s, args.quality, media, overrides, args.theme, still, **video)
        for s in scenes
    ]


def cmd_render(args) -> None:
    run_jobs(_jobs(args), args.jobs, force=args.force)


def cmd_doctor(args) -> int:
    from scenes import doctor

    return doctor.report(Path(args.media_dir))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.partition(",")
    try:
        return _positive_int(width), _positive_int(height)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"wants WIDTH,HEIGHT, got {text!r}") from None


def cmd_stills(args) -> None:
    from scenes.stills import write_stills

    jobs = _jobs(args, still=True)
    run_jobs(jobs, args.jobs)
    sheet = write_stills(jobs, QUALITIES[args.quality][2])
    print(f"side-by-side sheet -> {sheet}")


def add_render_options(p, quality: str | None = "high", video: bool = True) -> None:
    """The options every rendering command shares. ``quality=None`` means the
    command picks its default; ``video=False`` leaves out quality and frame rate
    for commands that only take last frames."""
    if video:
        p.add_argument(
            "-q",
            "--quality",
            choices=QUALITIES,
            default=quality,
            help=f"default: {quality}" if quality else None,
        )
        p.add_argument("--fps", type=_positive_int, help="default: the quality's")
    p.add_argument("--resolution", type=_size, help=argparse.SUPPRESS)
    p.add_argument("--theme", choices=scene_params.THEMES)
    p.add_argument("-j", "--jobs", type=_positive_int, default=os.cpu_count() or 1)
    p.add_argument("--media-dir", default="media")
    p.add_argument(
        "--force",
        action="store_true",
        help="render even what the up-front estimate calls absurd",
    )


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
    for name, func, text in (
        ("render", cmd_render, "render scenes to MP4 with subtitles"),
        ("stills", cmd_stills, "last frames beside the originals"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("scenes", nargs="*", metavar="SCENE", help="default: all")
        add_render_options(p)
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a scene parameter (see 'optanim params')",
        )
        p.set_defaults(func=func)
    from scenes import lecture  # the lecture's outputs: lecture, slides, clips, preview

    lecture.add_commands(sub)
    p = sub.add_parser("doctor", help="check the system pieces rendering needs")
    p.add_argument("--media-dir", default="media")
    p.set_defaults(func=cmd_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = None  # a plain kill stops the renders as Ctrl-C does
    if threading.current_thread() is threading.main_thread():
        handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        status = args.func(args)
    except (CliError, scene_params.ParamError) as err:
        print(f"optanim: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("optanim: interrupted; finished outputs are intact", file=sys.stderr)
        return 130
    except ImportError as err:
        print(
            f"optanim: error: {err}; 'optanim doctor' checks the system",
            file=sys.stderr,
        )
        return 1
    except OSError as err:
        print(f"optanim: error: {err}", file=sys.stderr)
        return 1
    finally:
        if handler is not None:
            signal.signal(signal.SIGTERM, handler)
    return status if isinstance(status, int) else 0  # doctor's, or success


def _interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
