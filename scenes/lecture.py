"""The lesson's outputs: one lecture video, one deck, embeddable clips, previews.

    optanim lecture -q high        media/lecture/high/lecture.mp4 (+ .srt)
    optanim slides --to html       media/slides/lecture.html (+ lecture_assets/)
    optanim clips --format webm -t media/clips/medium/<scene>_alpha.webm
    optanim preview                media/previews/contact_sheet.png

Each is made of :class:`~scenes.jobs.Job` renders, so a clip renders once and
serves every output at its quality: the lecture's scene clips are also the
deck's slides. The lecture puts a title card first and a section card before
each scene (``scenes/cards.py``), rendered by the same command so that all its
clips join by stream copy. A scene whose file is not written yet is skipped,
and the output says so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
from pathlib import Path

import av

from scenes import params as scene_params
from scenes.assemble import Part, join_clips
from scenes.catalog import SCENES, SceneEntry
from scenes.cli import add_render_options
from scenes.deck import FORMATS, build_deck
from scenes.jobs import (
    CliError,
    Job,
    locked,
    pick_scenes,
    run_jobs,
    writable_dir,
    written_in_place,
)

TITLE = "Optimization and Deep Learning: the challenges"
CARD = SceneEntry("cards", "Card", "Title and section cards")
CLIP_FORMATS = ("mp4", "webm", "gif")


def built_scenes(names: list[str] | None = None) -> list[SceneEntry]:
    """The scenes to use, in lesson order: ``names``, or every scene whose file
    exists, saying which are skipped."""
    if names:
        return pick_scenes(names)
    for entry in SCENES:
        if not entry.exists:
            print(f"skipping {entry.name}: not built yet", flush=True)
    return pick_scenes([])


def scene_jobs(args, scenes: list[SceneEntry], **kwargs) -> list[Job]:
    media = writable_dir(Path(args.media_dir))
    video = {"fps": args.fps, "resolution": args.resolution} | kwargs
    return [Job(s, args.quality, media, {}, args.theme, **video) for s in scenes]


# -- the lecture ----------------------------------------------------------------
def cmd_lecture(args) -> None:
    started = time.monotonic()
    scenes = built_scenes()
    clips = scene_jobs(args, scenes)
    theme = args.theme or scene_params.load(scenes[0].name).theme

    def card(text: str) -> Job:
        return dataclasses.replace(clips[0], scene=CARD, theme=theme, card=text)

    title = card(TITLE.replace(": ", "\n"))
    sections = [
        card(f"{s.title}\nPart {SCENES.index(s) + 1} of {len(SCENES)}") for s in scenes
    ]
    run_jobs([*clips, title, *sections], args.jobs, force=args.force)  # longest first

    # One chapter per scene, from its section card; the first opens on the title.
    pieces = [(title, Part(title.output, scenes[0].title))]
    for n, (section, job) in enumerate(zip(sections, clips, strict=True)):
        pieces.append((section, Part(section.output, job.scene.title if n else None)))
        pieces.append((job, Part.from_clip(job.output)))
    out = Path(args.media_dir) / "lecture" / args.quality / "lecture.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    outcome = join_lecture(pieces, out)
    with av.open(str(out)) as container:
        seconds = container.duration / av.time_base
        chapters = len(container.chapters())
    srt = out.with_suffix(".srt")
    print(
        f"lecture: {outcome}, {seconds:.1f} s, {chapters} chapter(s), "
        f"{out.stat().st_size / 1e6:.1f} MB -> {out}"
        + (f" (+ {srt.name})" if srt.exists() else "")
        + f"; {time.monotonic() - started:.1f} s in all",
        flush=True,
    )


def join_lecture(pieces: list[tuple[Job, Part]], out: Path) -> str:
    """Joins the parts into ``out``, unless it was joined from these very clips."""

    def join() -> None:
        try:
            join_clips([part for _, part in pieces], out)
        except ValueError as err:
            raise CliError(f"cannot join the lecture: {err}") from None

    sources = [f"{job.stamp.read_text()} {part.title}" for job, part in pieces]
    return build_once(out, sources, join)


def build_once(out: Path, sources: list[str], build, also=()) -> str:
    """Runs ``build()`` to make ``out`` (and ``also``), unless they exist and were
    made from the same ``sources``; says which. One build of ``out`` at a time."""
    key = hashlib.sha256("\n".join(sources).encode()).hexdigest()
    stamp = out.with_name(f"{out.name}.key")
    with locked(out.with_name(f".{out.name}.lock")):
        made = all(path.exists() for path in (out, stamp, *also))
        if made and stamp.read_text() == key:
            return "up to date"
        build()
        with written_in_place(stamp) as temp:
            temp.write_text(key)
    return "built"


# -- the deck -------------------------------------------------------------------
def cmd_slides(args) -> None:
    jobs = scene_jobs(args, built_scenes())
    for job in jobs:  # slides deleted since their clip was made: render again
        if not (job.slides_dir / f"{job.scene.cls}.json").exists():
            job.stamp.unlink(missing_ok=True)
    run_jobs(jobs, args.jobs, force=args.force)
    out = Path(args.media_dir) / "slides" / f"lecture.{args.to}"
    names = [job.scene.cls for job in jobs]

    def build() -> None:
        try:
            build_deck(names, jobs[0].slides_dir, out, args.to, title=TITLE)
        except (RuntimeError, FileNotFoundError) as err:
            log = Path(args.media_dir) / "logs" / "deck.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(str(err))
            first = str(err).splitlines()[0]
            raise CliError(f"{first}; see {log}") from None

    deck_source = (Path(__file__).parent / "deck.py").read_text()
    sources = [job.stamp.read_text() for job in jobs] + [TITLE, deck_source]
    assets = [out.with_name(f"{out.stem}_assets")] if args.to == "html" else []
    outcome = build_once(out, sources, build, also=assets)
    slides = sum(
        len(json.loads((jobs[0].slides_dir / f"{n}.json").read_text())["slides"])
        for n in names
    )
    print(
        f"deck: {outcome}, {slides} slides from {len(names)} scene(s) -> {out}",
        flush=True,
    )


# -- clips to embed -------------------------------------------------------------
def cmd_clips(args) -> None:
    if args.transparent and args.format == "mp4":
        raise CliError("an MP4 has no alpha channel: use --format webm or gif")
    args.quality = args.quality or ("low" if args.format == "gif" else "medium")
    options = {"format": args.format, "transparent": args.transparent}
    jobs = scene_jobs(args, built_scenes(args.scenes), **options)
    run_jobs(jobs, args.jobs, force=args.force)
    folder = Path(args.media_dir) / "clips" / args.quality
    folder.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        alpha = "_alpha" if args.transparent else ""
        clip = folder / f"{job.scene.name}{alpha}.{args.format}"
        with written_in_place(clip) as temp:
            shutil.copyfile(job.output, temp)
        print(f"clip: {clip.stat().st_size / 1e6:.1f} MB -> {clip}", flush=True)


# -- previews for CI ------------------------------------------------------------
def contact_sheet(tiles: list, labels: list[str], columns: int = 3):
    """``tiles`` (PIL images of one size) in a grid, each over its label."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = tiles[0].size
    scale = min(1.0, 480 / width)
    width, height = round(width * scale), round(height * scale)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 16)
    except OSError:
        font = ImageFont.load_default()
    rows = -(-len(tiles) // columns)
    pad, band = 8, 26
    sheet = Image.new(
        "RGB",
        (columns * (width + pad) + pad, rows * (height + band + pad) + pad),
        "#e5e5e5",
    )
    draw = ImageDraw.Draw(sheet)
    for n, (tile, label) in enumerate(zip(tiles, labels, strict=True)):
        x = pad + (n % columns) * (width + pad)
        y = pad + (n // columns) * (height + band + pad)
        draw.text((x, y + 4), label, fill="#000000", font=font)
        sheet.paste(tile.convert("RGB").resize((width, height)), (x, y + band))
    return sheet


def cmd_preview(args) -> None:
    from PIL import Image

    started = time.monotonic()
    args.quality, args.fps = "low", None
    scenes = built_scenes(args.scenes)
    jobs = scene_jobs(args, scenes, still=True)  # last frames only: manim -s
    run_jobs(jobs, args.jobs, force=args.force)
    folder = Path(args.media_dir) / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    frames = [Image.open(job.output) for job in jobs]
    for scene, frame in zip(scenes, frames, strict=True):
        with written_in_place(folder / f"{scene.name}.png") as temp:
            frame.save(temp, format="PNG")
    labels = [f"{SCENES.index(s) + 1}. {s.title}" for s in scenes]
    sheet = folder / "contact_sheet.png"
    with written_in_place(sheet) as temp:
        contact_sheet(frames, labels).save(temp, format="PNG")
    print(
        f"preview: {len(frames)} last frame(s) in "
        f"{time.monotonic() - started:.1f} s -> {sheet}",
        flush=True,
    )


# -- the command line -----------------------------------------------------------
def add_commands(sub) -> None:
    """Adds ``lecture``, ``slides``, ``clips`` and ``preview`` to ``optanim``."""
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
            p.add_argument("--format", choices=CLIP_FORMATS, default="mp4")
            p.add_argument(
                "-t", "--transparent", action="store_true", help="webm or gif"
            )
        if name == "slides":
            p.add_argument("--to", choices=FORMATS, default="html")
        # Previews are last frames at low quality; clips pick theirs by format.
        quality = None if name == "clips" else "high"
        add_render_options(p, quality, video=name != "preview")
        p.set_defaults(func=func)
