"""``optanim``: render the lesson's scenes for lecturers and presenters.

    optanim list                      the scenes, in lesson order
    optanim params [SCENE]            their parameters and current values
    optanim render [SCENE ...] -q low one MP4 (and .srt) per scene
    optanim stills [SCENE ...]        last frames beside the rebuilt originals
    optanim lecture -q high           one MP4 of all scenes, chapters, subtitles
    optanim slides --to html          one deck of all scenes, a slide per beat
    optanim clips --format webm -t    embeddable clips (gif, webm, mp4)
    optanim preview                   quick last frames on a contact sheet (CI)
    optanim script --lang en          the recording script, for recorded:DIR
    optanim doctor                    checks cairo, pango, fonts, Typst, H.264

Scenes render in parallel processes, one per core. A clip whose sources,
parameters and quality are unchanged, and whose file is the one optanim wrote,
is not rendered again; ``--rerender`` renders it anyway. Each output is written
under a temporary name and renamed when complete; Ctrl-C stops every render and
keeps the finished outputs. A request estimated at over 20 minutes of video,
100,000 frames or 120 fps is refused unless ``--force``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
import threading
from pathlib import Path

from optanim import __version__
from optanim.build.files import CliError, disk_full, no_space
from optanim.build.jobs import QUALITIES, parse_sets, pick_scenes
from optanim.build.request import Request
from optanim.lesson import params as scene_params
from optanim.lesson.catalog import SCENES
from optanim.narration import words


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
        values = dataclasses.asdict(scene_params.resolve(entry.name))
        print(entry.name + ": " + ", ".join(f"{k}={v}" for k, v in values.items()))


def _request(args) -> Request:
    """The render settings given on the command line."""
    return Request(
        quality=getattr(args, "quality", None) or "low",
        media=Path(args.media_dir),
        workers=args.jobs,
        force=args.force,
        rerender=args.rerender,
        fps=getattr(args, "fps", None),
        resolution=args.resolution,
        theme=args.theme,
        voice=getattr(args, "voice", None),
        lang=getattr(args, "lang", None),
    )


def _scene_jobs(args, still: bool = False):
    overrides = parse_sets(args.set)
    scenes = pick_scenes(args.scenes)
    if overrides and len(scenes) != 1:
        raise CliError("--set needs exactly one scene")
    return _request(args).scene_jobs(scenes, overrides, still=still)


def cmd_render(args) -> None:
    _request(args).run(_scene_jobs(args))


def cmd_stills(args) -> None:
    from optanim.outputs.stills import write_stills

    jobs = _scene_jobs(args, still=True)
    _request(args).run(jobs)
    sheet = write_stills(jobs, QUALITIES[args.quality][2])
    print(f"side-by-side sheet -> {sheet}")


def cmd_lecture(args) -> None:
    from optanim.outputs.lecture import make_lecture

    make_lecture(_request(args))


def cmd_slides(args) -> None:
    from optanim.outputs.deck import make_slides

    make_slides(_request(args), args.to)


def cmd_clips(args) -> None:
    from optanim.outputs.clips import make_clips

    quality = args.quality or ("low" if args.format == "gif" else "medium")
    settings = dataclasses.replace(_request(args), quality=quality)
    make_clips(settings, args.scenes, args.format, args.transparent, args.mute)


def cmd_preview(args) -> None:
    from optanim.outputs.preview import make_preview

    make_preview(_request(args), args.scenes)


def cmd_doctor(args) -> int:
    from optanim import doctor

    return doctor.report(Path(args.media_dir))


# -- options -------------------------------------------------------------------
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


QUALITY_HELP = ", ".join(f"{name} {q[1]}" for name, q in QUALITIES.items())


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
            help=f"{QUALITY_HELP} (default: {quality or 'low for gif, else medium'})",
        )
        p.add_argument(
            "--fps",
            type=_positive_int,
            help="frames per second (default: the quality's)",
        )
    p.add_argument(
        "--resolution",
        type=_size,
        metavar="WIDTH,HEIGHT",
        help="frame size in pixels (default: the quality's)",
    )
    p.add_argument(
        "--theme",
        choices=scene_params.THEME_NAMES,
        help="colours of the figures (default: the config file's, else light)",
    )
    cores = os.cpu_count() or 1
    p.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        default=cores,
        help=f"renders side by side (default: {cores}, the cores)",
    )
    add_media_dir(p)
    if video:
        add_narration_options(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="render even what the up-front estimate calls absurd (default: off)",
    )
    p.add_argument(
        "--rerender",
        action="store_true",
        help="render again even what is up to date (default: off)",
    )


def add_media_dir(p) -> None:
    p.add_argument(
        "--media-dir",
        default="media",
        metavar="DIR",
        help="where outputs go (default: media)",
    )


def add_narration_options(p) -> None:
    p.add_argument(
        "--voice",
        metavar="VOICE",
        help="piper, espeak, recorded:DIR or none (default: the config file's, "
        "else piper for en and espeak for zh)",
    )
    p.add_argument(
        "--lang",
        metavar="LANG",
        help=f"the narration's language, {' or '.join(words.LANGS)}, or several, "
        "as en,zh: one timeline, a narration track each (default: the config "
        "file's, else en)",
    )


def cmd_script(args) -> None:
    from optanim.outputs.script import write_script

    settings = Request(quality="low", media=Path(args.media_dir))
    settings.voice, settings.lang = args.voice, args.lang
    write_script(settings)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="optanim", description=__doc__.split("\n")[0].split(": ", 1)[1]
    )
    parser.add_argument("--version", action="version", version=f"optanim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the scenes, in lesson order").set_defaults(
        func=cmd_list
    )
    text = "parameters and their current values"
    p = sub.add_parser("params", help=text, description=text)
    p.add_argument("scenes", nargs="*", metavar="SCENE", help="default: all")
    p.set_defaults(func=cmd_params)
    for name, func, text in (
        ("render", cmd_render, "render scenes to MP4 with subtitles"),
        ("stills", cmd_stills, "last frames beside the originals"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("scenes", nargs="*", metavar="SCENE", help="default: all")
        add_render_options(p)
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a scene parameter, once per parameter (see 'optanim "
            "params'; default: none)",
        )
        p.set_defaults(func=func)
    for name, func, text in (
        ("lecture", cmd_lecture, "one MP4 of every scene, with chapters and .srt"),
        ("slides", cmd_slides, "one deck of every scene, a slide per beat"),
        ("clips", cmd_clips, "short clips of each scene to embed in slides"),
        ("preview", cmd_preview, "last frames at low quality on a contact sheet"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        if name in ("clips", "preview"):
            p.add_argument("scenes", nargs="*", metavar="SCENE", help="default: all")
        if name == "clips":
            p.add_argument(
                "--format",
                choices=("mp4", "webm", "gif"),
                default="mp4",
                help="the clips' format (default: mp4)",
            )
            p.add_argument(
                "-t",
                "--transparent",
                action="store_true",
                help="with an alpha channel, in webm or gif (default: off)",
            )
            p.add_argument(
                "--mute",
                action="store_true",
                help="without the narration (default: an MP4 clip speaks; "
                "WebM and GIF clips are always silent)",
            )
        if name == "slides":
            p.add_argument(
                "--to",
                choices=("html", "pptx", "pdf"),
                default="html",
                help="the deck's format (default: html)",
            )
        # Previews are last frames at low quality; clips pick theirs by format.
        quality = None if name == "clips" else "high"
        add_render_options(p, quality, video=name != "preview")
        p.set_defaults(func=func)
    text = "the recording script: each line's id, words and length to aim for"
    p = sub.add_parser("script", help=text, description=text)
    add_narration_options(p)
    add_media_dir(p)
    p.set_defaults(func=cmd_script)
    text = "check the system pieces rendering needs"
    p = sub.add_parser("doctor", help=text, description=text)
    add_media_dir(p)
    p.set_defaults(func=cmd_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    if getattr(sys.stdout, "errors", None) == "strict":  # as PYTHONIOENCODING=ascii
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.reconfigure(errors="replace")  # a "?" rather than a crash
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = None  # a plain kill stops the renders as Ctrl-C does
    if threading.current_thread() is threading.main_thread():
        handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        status = args.func(args)
    except (CliError, scene_params.ParamError, words.WordsError) as err:
        print(f"optanim: error: {_said(err, args)}", file=sys.stderr)
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
        print(f"optanim: error: {_said(err, args)}", file=sys.stderr)
        return 1
    finally:
        if handler is not None:
            signal.signal(signal.SIGTERM, handler)
    return status if isinstance(status, int) else 0  # doctor's, or success


def _said(err: Exception, args) -> str:
    """The one line an error gets: a full disk, wherever it surfaced, says so."""
    full = disk_full(err)
    if full is None or "no space left on " in str(err):
        return str(err)
    where = os.fsdecode(full.filename) if full.filename else None
    return no_space(Path(where or getattr(args, "media_dir", ".")))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
