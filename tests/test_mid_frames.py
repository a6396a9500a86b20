"""Frames from the middle of each descent: where the ball is, what the readout says.

Each scene renders once to the MP4 a viewer gets, at 320×180 and 5 fps. A
watching subclass of the scene notes the frame at which each descent starts and
ends, the last frame of its slide, and the glyphs its readout holds at each of
those frames. Then the tests:

- run each descent themselves, ``x ← x − η f′(x)``, from the scene's parameters
  with derivatives written here (not the project's ``paths``);
- find the ball in decoded frames by its colour, and measure how far it is from
  its iterate: mapped through the axes box found in that frame and the figure's
  limits (2D), or by matplotlib's own 3D projection into the scene's axes box
  (saddle_3d, which has no spines to find);
- name the readout's glyphs by matching their outlines with DejaVu Sans glyphs
  set anew, and compare its numbers with their own;
- match each row's label with the label it should have, set anew by Typst;
- read the balls' colours in the frames against matplotlib's own C1 and C2.

Timing: manim draws an animation's frames at ``t = 0, 1/fps, …`` and each step
of a descent takes ``seconds_per_step``, so frame ``k`` of a descent shows the
path at step ``s = k / (fps · seconds_per_step)``, between iterates ``⌊s⌋`` and
``⌊s⌋ + 1``; from its end on, the last iterate.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import av
import matplotlib
import numpy as np
import pytest
from manim import MathTypst, Text, config, tempconfig
from matplotlib.backends.backend_agg import FigureCanvasAgg
from mpl_toolkits.mplot3d import proj3d
from scipy import ndimage

from optanim.lesson.figures import FONT, SPECS
from optanim.lesson.params import ESCAPE_Y
from optanim.qa.framematch import Box, axes_box, line_pixels
from optanim.qa.original import draw_original
from optanim.render.figure2d import FigureLayout

WIDTH, HEIGHT, FPS = 320, 180, 5
BALL_PT = 4.5  # a ball's radius, in points of the original figure
FIRST_STEPS = 3  # every frame of a descent's first steps is checked
TOLERANCE_PX = 1.5  # how far a ball may sit from its iterate
CHARS = "0123456789.\u2212"  # what a readout's numbers are made of
# matplotlib's C1 and C2, the colours of the lesson's balls
BALL_RGB = [
    np.array(matplotlib.colors.to_rgb(c)) * 255
    for c in matplotlib.rcParamsDefault["axes.prop_cycle"].by_key()["color"][1:3]
]


# -- the lesson's functions, their derivatives and descents -------------------------
def f(x):
    return x * np.cos(np.pi * x)


def df(x):
    return np.cos(np.pi * x) - np.pi * x * np.sin(np.pi * x)


def g(x):
    return f(x) + 0.2 * np.cos(5 * np.pi * x)


def dg(x):
    return df(x) - np.pi * np.sin(5 * np.pi * x)


def cube(x):
    return x**3


def dcube(x):
    return 3 * x**2


def dtanh(x):
    return 1 / np.cosh(x) ** 2


def d_saddle(p):  # of x² − y²
    return np.array([2 * p[0], -2 * p[1]])


def descent(grad, x0, lr: float, steps: int) -> np.ndarray:
    """``steps`` steps of gradient descent from ``x0``: ``steps + 1`` iterates."""
    xs = [np.asarray(x0, dtype=float)]
    for _ in range(steps):
        xs.append(xs[-1] - lr * grad(xs[-1]))
    return np.array(xs)


@dataclass(frozen=True)
class Expected:
    """One descent as it should look: its iterates, the curve ``(fn, grad)`` its
    ball rests on (none in 3D), and its readout's rows at step ``t`` with the
    decimals and the label (Typst) each shows."""

    path: np.ndarray
    curve: tuple[Callable, Callable] | None
    rows: Callable[[int, np.ndarray], tuple[float, ...]]
    decimals: tuple[int, ...]
    labels: tuple[str, ...]


LABELS_1D = ("t", "x_t", "f'(x_t)")
LABELS_G = ("t", "x_t", "g'(x_t)")


def local_minimum(p) -> list[Expected]:
    def rows(t, x):
        return t, x, df(x)

    return [
        Expected(descent(df, x0, p.lr, p.steps), (f, df), rows, (0, 4, 4), LABELS_1D)
        for x0 in (p.left_start, p.right_start)
    ]


def risk(p) -> list[Expected]:
    on_g = descent(dg, p.start, p.lr, p.steps)
    on_f = descent(df, on_g[-1], p.lr, p.steps)  # on from where g's descent ends
    return [
        Expected(on_g, (g, dg), lambda t, x: (t, x, dg(x)), (0, 4, 4), LABELS_G),
        Expected(on_f, (f, df), lambda t, x: (t, x, df(x)), (0, 4, 4), LABELS_1D),
    ]


def saddle_point(p) -> list[Expected]:
    def rows(t, x):
        return t, x, cube(x), dcube(x)

    stall = descent(dcube, p.start, p.lr, p.steps)
    nudge = descent(dcube, p.nudge_start, p.lr, p.nudge_steps)
    labels = ("t", "x_t", "f(x_t)", "f'(x_t)")
    return [
        Expected(path, (cube, dcube), rows, (0, 4, 4, 4), labels)
        for path in (stall, nudge)
    ]


def vanishing_gradient(p) -> list[Expected]:
    def expected(x0):
        def rows(t, x):
            return t, dtanh(x), abs(x - x0)

        path = descent(dtanh, x0, p.lr, p.steps)
        labels = ("t", "f'(x_t)", "abs(x_t - x_0)")
        return Expected(path, (np.tanh, dtanh), rows, (0, 5, 4), labels)

    return [expected(p.slope_start), expected(p.tail_start)]


def saddle_3d(p) -> list[Expected]:
    def rows(t, xy):
        return t, xy[0], xy[1], np.hypot(*d_saddle(xy))

    stall = descent(d_saddle, (p.start_x, 0.0), p.lr, p.steps)
    escape = [np.array([p.start_x, p.start_y()])]
    while abs(escape[-1][1]) <= ESCAPE_Y:  # it runs until it is off the saddle
        escape.append(escape[-1] - p.lr * d_saddle(escape[-1]))
    paths = (stall, np.array(escape))
    labels = ("t", "x_t", "y_t", "norm(nabla f)")
    return [Expected(path, None, rows, (0, 4, 4, 4), labels) for path in paths]


SCENES = {  # scene module: its class, and how its descents should look
    "local_minimum": ("LocalMinimum", local_minimum),
    "risk": ("Risk", risk),
    "saddle_point": ("SaddlePoint", saddle_point),
    "vanishing_gradient": ("VanishingGradient", vanishing_gradient),
    "saddle_3d": ("Saddle3D", saddle_3d),
}


# -- watching a render --------------------------------------------------------------
@dataclass
class Played:
    """What a render did with one descent: its ball's colour, its first frame,
    the frame after it, the last frame of its slide, its readout's glyph
    outlines at frames of the descent, the frame after it and the slide's last
    (``None`` where the readout was off screen), and the outline and height
    of each row's label as the descent starts."""

    color: str
    start: int
    readout: object
    labels: list[tuple[np.ndarray, float]] = field(default_factory=list)
    end: int | None = None
    slide_end: int | None = None
    glyphs: dict[int, list[list[np.ndarray]] | None] = field(default_factory=dict)


def watched(scene_cls, breaks: Callable | None = None):
    """A subclass of ``scene_cls`` that notes its descents in ``played``.

    ``breaks(n, path, values)`` may hand the ``n``-th descent another path or
    other readout values: the negative controls.
    """

    class Watched(scene_cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.played: list[Played] = []
            self.watching: Played | None = None
            add_frame = self.renderer.add_frame

            def watching_add_frame(frame, num_frames=1):
                if self.watching is not None:
                    played = self.watching
                    played.glyphs[self.frame()] = self.shown(played.readout)
                    if played.end is not None:  # the frame after it: done
                        self.watching = None
                add_frame(frame, num_frames)

            self.renderer.add_frame = watching_add_frame

        def shown(self, readout) -> list[list[np.ndarray]] | None:
            """The points of each glyph slot of each row of ``readout``, or None
            when it is off screen."""
            if readout not in self.mobjects:
                return None
            return [[s.points[:, :2].copy() for s in row] for row in readout.numbers]

        def frame(self) -> int:
            """The index in the video of the next frame written."""
            return round(self.time * config.frame_rate)

        def descend(self, ball, path, place, readout=None, values=None):
            if breaks is not None:
                path, values = breaks(len(self.played), path, values)
            color = ball.get_fill_color().to_hex().lower()
            self.watching = Played(color, self.frame(), readout)
            if readout is not None:
                self.watching.labels = [
                    (outline(name), name.get_center()[1]) for name in readout.names
                ]
            self.played.append(self.watching)
            super().descend(ball, path, place, readout, values)
            self.played[-1].end = self.frame()

        def next_slide(self, *args, **kwargs):
            last = self.frame() - 1
            for played in self.played:
                if played.end is not None and played.slide_end is None:
                    played.slide_end = last
                    played.glyphs[last] = self.shown(played.readout)
            super().next_slide(*args, **kwargs)

    Watched.__name__ = scene_cls.__name__
    return Watched


@dataclass
class Render:
    """A rendered scene: its parameters, its descents and the frames decoded."""

    module: str
    params: object
    played: list[Played]
    written: int  # frames the scene wrote
    count: int = 0  # frames in the video
    frames: dict[int, np.ndarray] = field(default_factory=dict)


def render(folder, module: str, breaks=None) -> Render:
    """Renders ``scenes/<module>.py`` in ``folder`` as ``manim`` would, and
    decodes the frames the checks look at."""
    cls_name, _ = SCENES[module]
    scene_cls = getattr(importlib.import_module(f"scenes.{module}"), cls_name)
    options = {
        "pixel_width": WIDTH,
        "pixel_height": HEIGHT,
        "frame_rate": FPS,
        "media_dir": str(folder / "media"),
        "disable_caching": True,
        "verbosity": "ERROR",
        "progress_bar": "none",
    }
    with pytest.MonkeyPatch.context() as mp, tempconfig(options):
        mp.chdir(folder)
        for key in [k for k in os.environ if k.startswith("OPTANIM_")]:
            mp.delenv(key)
        mp.setenv("OPTANIM_VOICE", "espeak")
        scene = watched(scene_cls, breaks)()
        scene.render()
        movie = scene.renderer.file_writer.movie_file_path
        result = Render(module, scene.params, scene.played, scene.frame())
    wanted = set()
    for _, played, expected in descents(result):
        wanted.update(checked_frames(played, expected, result.params))
    with av.open(str(movie)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                result.frames[index] = frame.to_ndarray(format="rgb24")
            result.count = index + 1
    return result


def descents(render: Render) -> list[tuple[int, Played, Expected]]:
    """Each descent's number, what the render did with it, how it should look."""
    expected = SCENES[render.module][1](render.params)
    pairs = zip(render.played, expected, strict=True)
    return [(n, played, exp) for n, (played, exp) in enumerate(pairs)]


# -- when a frame shows what --------------------------------------------------------
def play_frames(steps: int, seconds_per_step: float) -> int:
    """How many frames a descent of ``steps`` steps plays."""
    return len(np.arange(0, steps * seconds_per_step, 1 / FPS))


def step_at(k: int, steps: int, seconds_per_step: float) -> float:
    """The step that frame ``k`` of a descent shows."""
    if k >= play_frames(steps, seconds_per_step):
        return float(steps)
    return k / (FPS * seconds_per_step)


def position(path: np.ndarray, s: float) -> np.ndarray:
    """The point at step ``s``: linear between two iterates."""
    t = min(int(s), len(path) - 2)
    return path[t] + (path[t + 1] - path[t]) * (s - t)


def checked_frames(played: Played, expected: Expected, params) -> list[int]:
    """Every frame of the first steps, the frames a quarter, half and three
    quarters in, the frame after the descent and the last of its slide."""
    n = play_frames(len(expected.path) - 1, params.seconds_per_step)
    first = math.ceil(FIRST_STEPS * FPS * params.seconds_per_step)
    ks = {*range(min(first, n) + 1), n // 4, n // 2, 3 * n // 4, n}
    return sorted({played.start + k for k in ks} | {played.slide_end})


# -- pixels -------------------------------------------------------------------------
def find_ball(frame: np.ndarray, color: str) -> tuple[np.ndarray, int]:
    """The centre ``(column, row)`` of the biggest patch of ``color``, and how many
    patches there are of at least a third its size."""
    mask = line_pixels(frame, color, tol=0.25)  # at 0.35, grey text passes for green
    labels, count = ndimage.label(mask)
    if count == 0:
        return np.array([np.nan, np.nan]), 0
    sizes = ndimage.sum(mask, labels, range(1, count + 1))
    row, col = ndimage.center_of_mass(mask, labels, int(np.argmax(sizes)) + 1)
    return np.array([col, row]), int((sizes >= sizes.max() / 3).sum())


def on_curve(box: Box, spec, curve, x: float) -> np.ndarray:
    """Pixel ``(column, row)`` of a ball resting on ``curve = (fn, grad)`` at
    ``x``: on the curve's normal, a radius above it."""
    fn, grad = curve
    (x0, x1), (y0, y1) = spec.xlim, spec.ylim
    sx, sy = box.width / (x1 - x0), box.height / (y1 - y0)  # pixels per unit
    point = np.array(box.pixels((x - x0) / (x1 - x0), (fn(x) - y0) / (y1 - y0)))
    normal = np.array([-sy * grad(x), -sx])  # rows grow downwards
    radius = BALL_PT / 72 * box.width / spec.box_inches[0]
    return point + radius * normal / np.linalg.norm(normal)


@cache
def matplotlib_axes3d(name: str):
    """The original 3D axes, as matplotlib draws them, at the figure's view."""
    spec = SPECS[name]
    fig = draw_original(spec)
    ax = fig.axes[0]
    ax.view_init(spec.view3d.elev, spec.view3d.azim)
    FigureCanvasAgg(fig).draw()  # settles the limits
    return ax


def scene_box(spec) -> Box:
    """The axes box the scene lays out, in pixels of the frame."""
    lo, hi = FigureLayout.fit(spec).box

    def pixel(p):  # pixel (i, j) has its centre at (i, j), as in the arrays
        col = (p[0] / config.frame_width + 0.5) * WIDTH - 0.5
        return col, (0.5 - p[1] / config.frame_height) * HEIGHT - 0.5

    (x0, y1), (x1, y0) = pixel(lo), pixel(hi)
    return Box(x0, y0, x1, y1)


def on_surface(name: str, xy) -> np.ndarray:
    """Pixel ``(column, row)`` of the surface point above ``xy``, projected by
    matplotlib into the scene's axes box."""
    ax = matplotlib_axes3d(name)
    x, y = xy
    px, py, _ = proj3d.proj_transform(x, y, x * x - y * y, ax.get_proj())
    u, v = ax.transAxes.inverted().transform(ax.transData.transform((px, py)))
    return np.array(scene_box(SPECS[name]).pixels(u, v))


# -- glyphs -------------------------------------------------------------------------
def _shape(points: np.ndarray) -> np.ndarray:
    """An outline moved to its centre and scaled to a mean radius of 1."""
    p = points[:, :2] - points[:, :2].mean(axis=0)
    return p / np.sqrt((p**2).sum(axis=1).mean())


@cache
def fresh_glyphs() -> dict[str, np.ndarray]:
    """The readout's characters, set anew in DejaVu Sans."""
    text = Text(CHARS, font=FONT)
    return {c: _shape(glyph.points) for c, glyph in zip(CHARS, text, strict=True)}


def read_glyph(points: np.ndarray) -> str:
    """The character whose outline ``points`` draw, or ``?``."""
    shape = _shape(points)
    for char, fresh in fresh_glyphs().items():
        if len(fresh) == len(shape) and np.abs(fresh - shape).max() < 0.05:
            return char
    return "?"


def outline(mobject) -> np.ndarray:
    """The points of every part of ``mobject`` that draws something."""
    return np.concatenate([m.points for m in mobject.family_members_with_points()])


@cache
def fresh_label(label: str) -> np.ndarray:
    """The outline of a readout label, ``label =``, set anew by Typst."""
    return _shape(outline(MathTypst(label + " =")))


def read_row(slots: list[np.ndarray]) -> str:
    """The text of one readout row: its drawn slots, left to right."""
    drawn = sorted((s for s in slots if len(s)), key=lambda s: s[:, 0].min())
    return "".join(map(read_glyph, drawn)).replace("\u2212", "-")


# -- the checks ---------------------------------------------------------------------
class Miss(NamedTuple):
    """A readout row that shows other than the descent computed here."""

    descent: int
    frame: int
    t: int
    row: int
    shown: str
    value: float


def ball_errors(render: Render) -> list[tuple[int, int, float]]:
    """``(descent, frame, pixels from the ball to its iterate)`` at every checked
    frame; ``inf`` where the ball is missing or doubled."""
    sps = render.params.seconds_per_step
    found = []
    for n, played, expected in descents(render):
        for index in checked_frames(played, expected, render.params):
            frame = render.frames[index]
            s = step_at(index - played.start, len(expected.path) - 1, sps)
            point = position(expected.path, s)
            if expected.curve is None:
                want = on_surface(render.module, point)
            else:
                spec = SPECS[render.module]
                want = on_curve(axes_box(frame), spec, expected.curve, point)
            centre, balls = find_ball(frame, played.color)
            error = np.hypot(*(centre - want)) if balls == 1 else np.inf
            found.append((n, index, float(error)))
    return found


def readout_misses(render: Render) -> list[Miss]:
    """Readout rows that are wrong, or off screen, at the frames of whole steps,
    the frame after the descent and the last of its slide. A row shows its
    number rounded to its decimals."""
    sps = render.params.seconds_per_step
    found = []
    for n, played, expected in descents(render):
        for index, glyphs in sorted(played.glyphs.items()):
            s = step_at(index - played.start, len(expected.path) - 1, sps)
            if abs(s - round(s)) > 1e-9:
                continue
            t = round(s)
            if glyphs is None:  # off screen, which it may be once its slide is over
                if index != played.slide_end:
                    found.append(Miss(n, index, t, -1, "off screen", math.nan))
                continue
            values = expected.rows(t, expected.path[t])
            texts = [read_row(row) for row in glyphs]
            for row, (text, value, decimals) in enumerate(
                zip(texts, values, expected.decimals, strict=True)
            ):
                try:
                    close = abs(float(text) - value) <= 0.5 * 10**-decimals + 1e-12
                except ValueError:  # not a number
                    close = False
                if not close or len(text.partition(".")[2]) != decimals:
                    found.append(Miss(n, index, t, row, text, float(value)))
    return found


def label_misses(render: Render) -> list[tuple[int, int, str]]:
    """``(descent, row, label)`` of each readout row whose label is not the one
    its number calls for, or does not sit beside that number."""
    found = []
    for n, played, expected in descents(render):
        heights = [
            np.concatenate([s for s in row if len(s)])[:, 1].mean()
            for row in played.glyphs[played.start]
        ]
        for row, (label, (drawn, height)) in enumerate(
            zip(expected.labels, played.labels, strict=True)
        ):
            shape, fresh = _shape(drawn), fresh_label(label)
            same = shape.shape == fresh.shape and np.abs(shape - fresh).max() < 0.05
            beside = np.argmin(np.abs(np.subtract(heights, height))) == row
            if not (same and beside):
                found.append((n, row, label))
    return found


def ball_colors(render: Render) -> list[tuple[int, np.ndarray]]:
    """``(descent, RGB)`` of each ball as it starts: the median of the nine
    pixels at its centre in the decoded frame."""
    found = []
    for n, played, _ in descents(render):
        frame = render.frames[played.start]
        (col, row), _ = find_ball(frame, played.color)
        col, row = round(col), round(row)
        patch = frame[row - 1 : row + 2, col - 1 : col + 2].reshape(-1, 3)
        found.append((n, np.median(patch, axis=0)))
    return found


def timing_misses(render: Render) -> list[str]:
    """Descents that do not last ``steps × seconds_per_step``, to the frame, and
    a video without every frame the scene wrote."""
    sps = render.params.seconds_per_step
    found = []
    for n, played, expected in descents(render):
        frames = played.end - played.start
        want = play_frames(len(expected.path) - 1, sps)
        if frames != want:
            found.append(f"descent {n}: {frames} frames, not {want}")
    if render.count != render.written:
        found.append(f"{render.count} frames in the video, not {render.written}")
    return found


# -- the scenes ---------------------------------------------------------------------
def test_the_derivatives_written_here_are_derivatives():
    x, h = np.linspace(-2, 5, 71), 1e-6
    for fn, grad in ((f, df), (g, dg), (cube, dcube), (np.tanh, dtanh)):
        slope = (fn(x + h) - fn(x - h)) / (2 * h)
        np.testing.assert_allclose(grad(x), slope, atol=1e-6)


@pytest.fixture(scope="module", params=list(SCENES))
def rendered(request, tmp_path_factory) -> Render:
    return render(tmp_path_factory.mktemp(request.param), request.param)


def test_the_ball_sits_where_the_descent_is(rendered):
    errors = ball_errors(rendered)
    worst = max(error for _, _, error in errors)
    print(f"{rendered.module}: {len(errors)} frames, at most {worst:.2f} px off")
    assert worst <= TOLERANCE_PX, [e for e in errors if e[2] > TOLERANCE_PX]


def test_the_readout_shows_the_descent(rendered):
    assert readout_misses(rendered) == []


def test_each_descent_lasts_its_steps(rendered):
    assert timing_misses(rendered) == []


def test_each_readout_row_is_labelled_with_what_it_shows(rendered):
    assert label_misses(rendered) == []


def test_the_balls_are_matplotlibs_c1_and_c2(rendered):
    for n, rgb in ball_colors(rendered):
        off = min(np.abs(rgb - want).max() for want in BALL_RGB)
        assert off <= 40, (n, rgb)  # C3, the next colour, lies 88 from C1


# -- negative controls: local_minimum, broken on its way to the screen --------------
def broken_descents(n, path, values):
    """The left descent starts with its first iterate twice: its ball runs one
    step late, and one step longer. The right descent stops one iterate early,
    and its readout shows f(x) where f'(x) belongs."""
    if n == 0:
        return np.concatenate([path[:1], path]), values
    return path[:-1], lambda t, x: (t, x, f(x))


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Render:
    folder = tmp_path_factory.mktemp("broken")
    return render(folder, "local_minimum", broken_descents)


def test_a_ball_one_step_late_is_caught(broken):
    errors = ball_errors(broken)
    assert max(e for n, _, e in errors if n == 0) > 3 * TOLERANCE_PX
    # The right descent's missing step is far below a pixel: the pixels cannot
    # tell, its readout does (below).
    assert max(e for n, _, e in errors if n == 1) <= TOLERANCE_PX


def test_a_descent_one_step_too_long_is_caught(broken):
    steps, sps = broken.params.steps, broken.params.seconds_per_step
    longer, right = play_frames(steps + 1, sps), play_frames(steps, sps)
    assert f"descent 0: {longer} frames, not {right}" in timing_misses(broken)


def test_a_descent_stopped_one_iterate_early_is_caught(broken):
    steps = broken.params.steps
    misses = [m for m in readout_misses(broken) if (m.descent, m.row) == (1, 0)]
    # its count of steps once it stops
    assert {(m.t, m.shown) for m in misses} == {(steps, str(steps - 1))}


def test_a_readout_showing_f_instead_of_its_derivative_is_caught(broken):
    misses = [m for m in readout_misses(broken) if (m.descent, m.row) == (1, 2)]
    assert {m.t for m in misses} >= {0, 5, broken.params.steps}
    right = local_minimum(broken.params)[1].path
    for m in misses:  # what it shows is f(x_t)
        assert abs(float(m.shown) - f(right[m.t])) <= 0.5e-4 + 1e-12
    assert {m.row for m in readout_misses(broken) if m.descent == 1} == {0, 2}
