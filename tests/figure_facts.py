"""The facts of the lesson's five figures, written down once, by hand.

Every value here is copied from the lesson itself: its plotting code (the
notebook cells of "优化与深度学习", kept in ``/work/shared/seed/``) and the facts
read off its figures (``docs/figures.md``). Nothing is computed and nothing is
imported, least of all ``optanim.lesson.figures.SPECS``: the specs are tested
against this table, so a wrong spec cannot draw the same wrong picture on both
sides of a comparison.

Functions are named as the lesson writes them; ``tests/test_figure_facts.py``
evaluates the names with numpy. Limits and ticks are as matplotlib 3.11 shows
them, to the four decimals of ``docs/figures.md``.
"""

C0 = "#1f77b4"  # matplotlib's first line colour
PURPLE = "#800080"  # c='purple'
RED = "#ff0000"  # 'ro'

# matplotlib's default style, which every figure keeps (docs/figures.md,
# "Shared defaults"); lengths in points.
STYLE = {
    "font": "DejaVu Sans",
    "font_size": 10.0,
    "line_width": 1.5,
    "spine_width": 0.8,
    "tick_length": 3.5,
    "margin": 0.05,  # of the data range, on each side
    "axes_box": (0.125, 0.11, 0.775, 0.77),  # left, bottom, width, height
    "minus": "\u2212",
    "dashed": (3.7, 1.6),  # '--': on and off, in line widths
    "arrow": "->",
}

# Each curve: its function, the samples np.arange(*arange), colour, line style
# ("solid", or "dashed" with its on/off pattern in line widths) and legend label.
# Each annotation: (text, xy of the arrow tip, xytext of the text's left baseline).
FIGURES = {
    "risk": {
        "seed_image": "60.png",
        "figsize": (5, 3),
        "xlabel": "x",
        "ylabel": "risk",
        "curves": (
            {
                "fn": "x*cos(pi*x)",
                "arange": (0.5, 1.5, 0.01),
                "color": C0,
                "style": "solid",
                "dashes": None,
                "label": "train error",
            },
            {
                "fn": "x*cos(pi*x) + 0.2*cos(5*pi*x)",
                "arange": (0.5, 1.5, 0.01),
                "color": PURPLE,
                "style": "dashed",
                "dashes": (3.7, 1.6),
                "label": "test error",
            },
        ),
        "annotations": (
            ("empirical risk", (1.0, -1.2), (0.5, -1.1)),
            ("expected risk", (1.1, -1.05), (0.95, -0.5)),
        ),
        "legend": "upper right",
        # The erratum's fix: the same two words, swapped between f and g.
        "corrected_legend": ("test error", "train error"),
        "box": (0.125, 0.11, 0.775, 0.77),
        "xlim": (0.4505, 1.5395),
        "ylim": (-1.2686, 0.0604),
        "xticks": (0.6, 0.8, 1.0, 1.2, 1.4),
        "yticks": (-1.2, -1.0, -0.8, -0.6, -0.4, -0.2, 0.0),
    },
    "local_minimum": {
        "seed_image": "61.png",
        "figsize": (4.5, 2.5),
        "xlabel": "x",
        "ylabel": "f(x)",
        "curves": (
            {
                "fn": "x*cos(pi*x)",
                "arange": (-1.0, 2.0, 0.1),  # the last sample is 1.9
                "color": C0,
                "style": "solid",
                "dashes": None,
                "label": None,
            },
        ),
        "annotations": (
            ("local minimum", (-0.3, -0.25), (-0.77, -1.0)),
            ("global minimum", (1.1, -0.95), (0.6, 0.8)),
        ),
        "legend": None,
        "box": (0.125, 0.11, 0.775, 0.77),
        "xlim": (-1.145, 2.045),
        "ylim": (-1.1888, 1.9497),
        "xticks": (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0),
        "yticks": (-1.0, 0.0, 1.0),
    },
    "saddle_point": {
        "seed_image": "62.png",
        "figsize": (4.5, 2.5),  # kept from the figure before it
        "xlabel": "x",
        "ylabel": "f(x)",
        "curves": (
            {
                "fn": "x**3",
                "arange": (-2.0, 2.0, 0.1),
                "color": C0,
                "style": "solid",
                "dashes": None,
                "label": None,
            },
        ),
        "annotations": (("saddle point", (0, -0.2), (-0.52, -5.0)),),
        "legend": None,
        "box": (0.125, 0.11, 0.775, 0.77),
        "xlim": (-2.195, 2.095),
        "ylim": (-8.743, 7.602),
        "xticks": (-2.0, -1.0, 0.0, 1.0, 2.0),
        "yticks": (-5.0, 0.0, 5.0),
    },
    "saddle_3d": {
        "seed_image": "64.png",
        "figsize": (6, 4),
        "xlabel": "x",
        "ylabel": "y",
        "surface": {
            "fn": "x**2 - y**2",
            "mgrid": (-1, 1, 31),  # np.mgrid[-1:1:31j, -1:1:31j]
            "stride": 2,  # rstride=2, cstride=2: 16 lines each way
            "lines": 16,
            "color": C0,
        },
        "marker": {"at": (0, 0, 0), "color": RED, "style": "o", "size": 10},
        "view": {"elev": 30, "azim": -60},  # matplotlib's default camera
        "ticks": (-1, 0, 1),  # on x, y and z
        "box": (0.2558, 0.11, 0.5133, 0.77),
        "xlim": (-1.1458, 1.1458),  # y as x
        "zlim": (-1.0417, 1.0417),
    },
    "vanishing_gradient": {
        "seed_image": "65.png",
        "figsize": (6, 4),  # kept from the figure before it
        "xlabel": "x",
        "ylabel": "f(x)",
        "curves": (
            {
                "fn": "tanh(x)",
                "arange": (-2.0, 5.0, 0.01),
                "color": C0,
                "style": "solid",
                "dashes": None,
                "label": None,
            },
        ),
        "annotations": (("vanishing gradient", (4, 1), (2, 0.0)),),
        "legend": None,
        "box": (0.125, 0.11, 0.775, 0.77),
        "xlim": (-2.3495, 5.3395),
        "ylim": (-1.0622, 1.0981),
        "xticks": (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0),
        "yticks": (-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0),
    },
}
