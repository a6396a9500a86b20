"""Every 2D scene's last frame against the lesson's facts and its matplotlib original.

Both images are measured the same way in the axes box's normalized coordinates
(see ``optanim/qa/framematch.py``). Where a scene must be is computed from the
lesson's facts (``figure_facts``), not from the spec the scene reads, so a wrong
spec cannot pass: annotation texts and arrow tips must sit within
``MARK_TOLERANCE`` of where the facts put them, and each curve must be solid or
dashed as the lesson draws it. Curve pixels must also lie within 1.5 % of the
box of the original's, and no ball, readout or formula may be left in the box.
"""

import dataclasses
import importlib
from typing import NamedTuple

import numpy as np
import pytest
from conftest import last_frame
from figure_facts import FIGURES, STYLE
from manim import tempconfig

from optanim.lesson import figures
from optanim.lesson.catalog import BY_NAME
from optanim.lesson.figures import CORRECTED_RISK_LEGEND, SPECS
from optanim.qa import framematch as fm
from optanim.qa.original import draw_original
from optanim.render.theme import BALL_COLORS

CASES = {
    "risk": ("risk", {}),
    "risk-corrected-legend": ("risk", {"OPTANIM_RISK_LEGEND": "corrected"}),
    "local_minimum": ("local_minimum", {}),
    "saddle_point": ("saddle_point", {}),
    "vanishing_gradient": ("vanishing_gradient", {}),
}
WIDTH, HEIGHT = 1280, 720
# In box units. At 1280x720 the scenes' marks lie at most 0.0035 from where the
# facts put them, matplotlib's own at most 0.0087 (its round arrow heads end
# ~0.6 pt short of the arrow's end): a mark moved by 3 % of the box fails.
MARK_TOLERANCE = 0.015
# Scene against matplotlib: at most 0.012 apart, the scene's mitred arrow heads
# reaching ~1.7 pt further than matplotlib's.
MATPLOTLIB_TOLERANCE = 0.02


class Measured(NamedTuple):
    """An image, its axes box and its annotations' marks."""

    pixels: np.ndarray
    box: fm.Box
    marks: list[fm.AnnotationMarks]


def measured(img: np.ndarray, windows) -> Measured:
    box = fm.axes_box(img)
    return Measured(img, box, [fm.annotation_marks(img, box, w) for w in windows])


class Case(NamedTuple):
    facts: dict
    spec: figures.FigureSpec  # what the original was drawn from
    scene: Measured  # the scene's last frame
    original: Measured  # matplotlib's figure, at 300 dpi
    legend: list[fm.Window]  # where the original's legend lies, if it has one


def scene_frame(name: str, media, env=(), spec=None) -> np.ndarray:
    """The last frame of scene ``name`` under environment ``env``, drawn from
    ``spec`` instead of its own if given."""
    entry = BY_NAME[name]
    scene = getattr(importlib.import_module(f"scenes.{name}"), entry.cls)
    with tempconfig({"media_dir": str(media)}), pytest.MonkeyPatch.context() as mp:
        for key, value in dict(env).items():
            mp.setenv(key, value)
        if spec is not None:
            mp.setitem(figures.SPECS, name, spec)
        return last_frame(scene, WIDTH, HEIGHT)


@pytest.fixture(scope="module", params=CASES.values(), ids=CASES.keys())
def case(request, tmp_path_factory) -> Case:
    name, env = request.param
    frame = scene_frame(name, tmp_path_factory.mktemp("media"), env)
    spec = SPECS[name]
    if env:
        spec = spec.with_legend_labels(*CORRECTED_RISK_LEGEND)
    fig = draw_original(spec, dpi=300)
    windows = fm.annotation_windows(fig)  # where to look, in either image
    legend = [fm.legend_window(fig)] if spec.legend else []
    original = measured(fm.figure_rgb(fig), windows)
    return Case(FIGURES[name], spec, measured(frame, windows), original, legend)


# -- where the lesson puts things ---------------------------------------------------


def box_points(facts) -> tuple[float, float]:
    """Width and height of the axes box, in points."""
    (_, _, width, height), (fig_w, fig_h) = facts["box"], facts["figsize"]
    return width * fig_w * 72, height * fig_h * 72


def to_box(facts, x: float, y: float) -> tuple[float, float]:
    """Data coordinates as normalized box coordinates, by the facts' limits."""
    (x0, x1), (y0, y1) = facts["xlim"], facts["ylim"]
    return (x - x0) / (x1 - x0), (y - y0) / (y1 - y0)


def mark_deviations(image: Measured, facts) -> dict[str, tuple[float, float]]:
    """For each annotation, how far its text origin and its arrow tip lie from
    where the facts put them: the larger of the u and v differences, in box units.
    """
    found = {}
    for (text, xy, xytext), marks in zip(
        facts["annotations"], image.marks, strict=True
    ):
        ink = marks.text
        centre = ((ink.u0 + ink.u1) / 2, (ink.v0 + ink.v1) / 2)
        tip = fm.arrow_end(to_box(facts, *xy), centre, box_points(facts))
        origin = to_box(facts, *xytext)
        found[text] = (
            float(np.abs(np.subtract(marks.origin, origin)).max()),
            float(np.abs(np.subtract(marks.tip, tip)).max()),
        )
    return found


# -- the scene against the facts -----------------------------------------------------


def test_annotations_sit_where_the_lesson_puts_them(case):
    ours = mark_deviations(case.scene, case.facts)
    theirs = mark_deviations(case.original, case.facts)
    for text, (origin, tip) in ours.items():
        mpl_origin, mpl_tip = theirs[text]
        print(f"{text}: text {origin:.4f}, tip {tip:.4f} ", end="")
        print(f"(matplotlib's: text {mpl_origin:.4f}, tip {mpl_tip:.4f})")
        assert origin < MARK_TOLERANCE, f"{text!r} text is {origin:.3f} off"
        assert tip < MARK_TOLERANCE, f"{text!r} arrow tip is {tip:.3f} off"
    # The control: matplotlib's original passes the same check.
    assert max(max(d) for d in theirs.values()) < MARK_TOLERANCE


def test_curves_are_solid_or_dashed_as_in_the_lesson(case):
    points = box_points(case.facts)[0]
    for curve in case.facts["curves"]:
        # A dashed line repeats every on + off line widths; a solid one is
        # held to matplotlib's own dash period, which it must not show.
        pattern = curve["dashes"] or STYLE["dashed"]
        period_pt = sum(pattern) * STYLE["line_width"]
        for who, image in (("scene", case.scene), ("matplotlib", case.original)):
            pieces = fm.dashes(
                image.pixels, image.box, curve["color"], exclude=case.legend
            )
            period = period_pt * image.box.width / points
            style = fm.line_style(pieces, period)
            assert style == curve["style"], (
                f"{who}: the {curve['color']} curve looks {style}: "
                f"{pieces.gaps} gaps {pieces.spacing:.1f} px apart "
                f"(a dash period is {period:.1f} px), coverage {pieces.coverage:.2f}"
            )


@pytest.fixture(scope="module")
def moved_marks(tmp_path_factory):
    """local_minimum's frame with its first arrow tip 3 % of the box lower and its
    second text 3 % of the box to the right, and the deviations measured in it."""
    name, facts = "local_minimum", FIGURES["local_minimum"]
    spec = SPECS[name]
    (x0, x1), (y0, y1) = facts["xlim"], facts["ylim"]
    first, second = spec.annotations
    x, y = first.xy
    first = dataclasses.replace(first, xy=(x, y - 0.03 * (y1 - y0)))
    x, y = second.xytext
    second = dataclasses.replace(second, xytext=(x + 0.03 * (x1 - x0), y))
    moved = dataclasses.replace(spec, annotations=(first, second))
    frame = scene_frame(name, tmp_path_factory.mktemp("media"), spec=moved)
    windows = fm.annotation_windows(draw_original(spec, dpi=300))
    return mark_deviations(measured(frame, windows), facts)


def test_an_annotation_moved_by_3_percent_fails(moved_marks):
    (text_0, tip_0), (text_1, tip_1) = moved_marks.values()
    print(f"moved: tip {tip_0:.4f}, text {text_1:.4f}; kept: {text_0:.4f}, {tip_1:.4f}")
    assert tip_0 > MARK_TOLERANCE + 0.005
    assert text_1 > MARK_TOLERANCE + 0.005
    assert max(text_0, tip_1) < MARK_TOLERANCE  # what stayed still passes


# -- the scene against matplotlib's original ----------------------------------------


def test_curves_lie_on_the_originals(case):
    for curve in case.facts["curves"]:
        distance = fm.mean_curve_distance(
            fm.curve_points(case.scene.pixels, case.scene.box, curve["color"]),
            fm.curve_points(case.original.pixels, case.original.box, curve["color"]),
        )
        assert distance < 0.015, curve["color"]


def test_annotations_sit_where_matplotlib_puts_them(case):
    assert len(case.scene.marks) == len(case.facts["annotations"])
    for (text, *_), ours, theirs in zip(
        case.facts["annotations"], case.scene.marks, case.original.marks, strict=True
    ):
        assert ours.deviation(theirs) < MATPLOTLIB_TOLERANCE, text


def test_nothing_but_the_figure_is_left(case):
    frame, original = case.scene.pixels, case.original.pixels
    for color in BALL_COLORS:
        assert not fm.line_pixels(frame, color, 0.1).any()
    # A single leftover readout row moves the ink by more than this.
    ink = fm.mean_curve_distance(fm.ink_points(frame), fm.ink_points(original))
    assert ink < 0.005
