"""Stills: each scene's last frame beside its original, rebuilt by matplotlib.

``optanim stills`` renders the last frames; :func:`write_stills` puts the
matplotlib original beside each and composes a side-by-side sheet, with each
pair's measured distance printed under it.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.image
import numpy as np
from matplotlib.figure import Figure

from optanim.build.files import written_in_place
from optanim.lesson.figures import SPECS, FigureSpec
from optanim.qa import framematch
from optanim.qa.original import draw_original


def measure(spec: FigureSpec, frame: np.ndarray, original: np.ndarray) -> str:
    """How far ``frame`` is from ``original``, measured from their pixels, or
    why it cannot be (a frame too small to find its axes in, say)."""
    try:
        return _distance(spec, frame, original)
    except ValueError as err:
        return f"not measured: {err}"


def _distance(spec: FigureSpec, frame: np.ndarray, original: np.ndarray) -> str:
    if spec.view3d is not None:
        a = framematch.line_pixels(frame, framematch.C0)
        b = framematch.line_pixels(original, framematch.C0)
        return f"wireframe overlap {framematch.wireframe_overlap(a, b):.3f}"
    box_a, box_b = framematch.axes_box(frame), framematch.axes_box(original)
    distance = max(
        framematch.mean_curve_distance(
            framematch.curve_points(frame, box_a, c.color),
            framematch.curve_points(original, box_b, c.color),
        )
        for c in spec.curves
    )
    return f"mean curve distance {100 * distance:.2f} % of the axes box"


def original_rgb(spec: FigureSpec, width_px: int) -> np.ndarray:
    """The original as the lesson shows it, as RGB: drawn at ``width_px``
    pixels for its figure size, then cropped to what it draws, every label
    included, as the notebook's inline backend saves it (``bbox_inches="tight"``).
    """
    fig = draw_original(spec, dpi=width_px / spec.figsize[0])
    png = io.BytesIO()
    fig.savefig(png, format="png", bbox_inches="tight", facecolor="white")
    png.seek(0)
    rgba = matplotlib.image.imread(png, format="png")
    return (rgba[..., :3] * 255).round().astype(np.uint8)


def write_stills(jobs, width_px: int) -> Path:
    """Writes each job's original beside its still, and one sheet of all pairs.

    ``jobs`` are the finished still jobs of the command-line tool; each has
    ``scene``, ``output`` (the still's path) and ``media``. Each original's
    figure is drawn ``width_px`` wide (the quality's frame width), then cropped
    to its labels.
    """
    rows = []
    for job in jobs:
        spec = SPECS[job.scene.name]
        frame = matplotlib.image.imread(job.output)[..., :3]
        frame = (frame * 255).round().astype(np.uint8)
        original = original_rgb(spec, width_px)
        beside = job.output.with_name(job.output.stem + "_original.png")
        with written_in_place(beside) as temp:
            matplotlib.image.imsave(temp, original, format="png")
        light = frame[0, 0].mean() > 127  # the comparison reads a white page
        caption = (
            measure(spec, frame, original) if light else "dark theme: not measured"
        )
        rows.append((job.scene.title, frame, original, caption))

    sheet = Figure(figsize=(12, 4 * len(rows)), dpi=100, layout="constrained")
    axes = sheet.subplots(len(rows), 2, squeeze=False)
    for (title, frame, original, caption), (left, right) in zip(
        rows, axes, strict=True
    ):
        left.imshow(frame)
        right.imshow(original)
        left.set_title(f"{title}: last frame", fontsize=10)
        right.set_title("original, rebuilt", fontsize=10)
        left.set_xlabel(caption, fontsize=10)
        for ax in (left, right):
            ax.set_xticks([])
            ax.set_yticks([])
    folder = jobs[0].media / "stills"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"side_by_side_{jobs[0].quality}.png"
    with written_in_place(out) as temp:
        sheet.savefig(temp, format="png")
    return out
