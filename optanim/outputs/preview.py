"""Previews for CI: each scene's last frame at low quality, on one contact sheet.

optanim preview                media/previews/contact_sheet.png
"""

from __future__ import annotations

import dataclasses
import time

from optanim.build.files import written_in_place
from optanim.build.request import Request, built_scenes
from optanim.build.runner import say
from optanim.lesson.catalog import SCENES


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


def make_preview(request: Request, names: list[str]) -> None:
    """Writes each scene's last frame at low quality, and a contact sheet of them."""
    from PIL import Image

    started = time.monotonic()
    request = dataclasses.replace(request, quality="low", fps=None)
    scenes = built_scenes(names)
    jobs = request.scene_jobs(scenes, still=True)  # last frames only: manim -s
    request.run(jobs)
    folder = request.media / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    frames = [Image.open(job.output) for job in jobs]
    for scene, frame in zip(scenes, frames, strict=True):
        with written_in_place(folder / f"{scene.name}.png") as temp:
            frame.save(temp, format="PNG")
    labels = [f"{SCENES.index(s) + 1}. {s.title}" for s in scenes]
    sheet = folder / "contact_sheet.png"
    with written_in_place(sheet) as temp:
        contact_sheet(frames, labels).save(temp, format="PNG")
    say(
        f"preview: {len(frames)} last frame(s) in "
        f"{time.monotonic() - started:.1f} s -> {sheet}"
    )
