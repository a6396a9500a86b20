"""The figure specs hold the lesson's facts, field by field.

``figure_facts`` is the lesson's own word, written down by hand. Everything in
``optanim.lesson.figures`` that both renderers read is held against it here: a
spec that moves an arrow, drops a dash or recolours a curve fails with the name
of the field, what the spec says and what the lesson says.
"""

import dataclasses

import matplotlib
import numpy as np
import pytest
from figure_facts import FIGURES, STYLE

from optanim.lesson import figures, landscapes
from optanim.lesson.figures import CORRECTED_RISK_LEGEND, SPECS
from optanim.qa.original import draw_original

LIMITS_ATOL = 6e-5  # docs/figures.md gives limits to four decimals


def lesson_fn(name: str):
    """The function a fact names, such as ``"x*cos(pi*x)"``, as numpy code."""
    names = {"__builtins__": {}, "cos": np.cos, "pi": np.pi, "tanh": np.tanh}
    return lambda *args: eval(name, names, dict(zip("xy", args, strict=False)))


def _show(value) -> str:
    """A value for a message: long arrays by their shape and ends."""
    if isinstance(value, np.ndarray) and value.size > 9:
        first, last = value.flat[0], value.flat[-1]
        return f"{value.shape} values {first:.6g} ... {last:.6g}"
    if isinstance(value, np.ndarray | tuple):
        return repr(tuple(np.round(np.asarray(value, dtype=float), 6).tolist()))
    return repr(value)


def mismatches(spec: figures.FigureSpec, facts: dict) -> list[str]:
    """Every field of ``spec`` that differs from ``facts``, as a sentence."""
    found = []

    def check(field, got, want, atol=0.0):
        if isinstance(want, str) or want is None or isinstance(got, str):
            same = got == want
        else:
            same = np.shape(got) == np.shape(want) and np.allclose(
                got, want, rtol=0, atol=atol
            )
        if not same:
            found.append(
                f"{spec.name}: {field} is {_show(got)}, the lesson has {_show(want)}"
            )

    def check_fn(field, fn, name, *samples):
        got, want = fn(*samples), lesson_fn(name)(*samples)
        if not np.allclose(got, want, rtol=1e-12, atol=1e-12):
            i = np.unravel_index(np.argmax(np.abs(got - want)), np.shape(got))
            at = ", ".join(f"{s[i]:.6g}" for s in samples)
            found.append(
                f"{spec.name}: {field} is not {name}: "
                f"{got[i]:.6g} instead of {want[i]:.6g} at ({at})"
            )

    for field in ("figsize", "xlabel", "ylabel", "box"):
        check(field, getattr(spec, field), facts[field], atol=1e-12)
    if "surface" in facts:
        check_view3d(spec, facts, check, check_fn)
        return found
    check("number of curves", len(spec.curves), len(facts["curves"]))
    for i, (curve, want) in enumerate(zip(spec.curves, facts["curves"], strict=False)):
        name = f"curve {i} ({want['label'] or want['fn']})"
        check(f"{name} samples arange", curve.grid, want["arange"], atol=1e-12)
        check(f"{name} samples", curve.x, np.arange(*want["arange"]), atol=1e-12)
        # on its samples, and between them
        check_fn(f"{name} function", curve.fn, want["fn"], curve.x)
        check_fn(f"{name} function", curve.fn, want["fn"], np.linspace(-3, 6, 91))
        check(f"{name} colour", curve.color.lower(), want["color"])
        style = "solid" if curve.dashes is None else "dashed"
        check(f"{name} line style", style, want["style"])
        if want["dashes"] is not None and curve.dashes is not None:
            check(f"{name} dash pattern", curve.dashes, want["dashes"], atol=1e-12)
        check(f"{name} legend label", curve.label, want["label"])
    check("legend", spec.legend, facts["legend"])
    check("number of annotations", len(spec.annotations), len(facts["annotations"]))
    for ann, (text, xy, xytext) in zip(
        spec.annotations, facts["annotations"], strict=False
    ):
        check(f"annotation {text!r} text", ann.text, text)
        check(f"annotation {text!r} xy", ann.xy, xy, atol=1e-12)
        check(f"annotation {text!r} xytext", ann.xytext, xytext, atol=1e-12)
    check("xlim", spec.xlim, facts["xlim"], atol=LIMITS_ATOL)
    check("ylim", spec.ylim, facts["ylim"], atol=LIMITS_ATOL)
    check("xticks", spec.xticks, facts["xticks"], atol=1e-9)
    check("yticks", spec.yticks, facts["yticks"], atol=1e-9)
    return found


def check_view3d(spec, facts, check, check_fn) -> None:
    view, surface, marker = spec.view3d, facts["surface"], facts["marker"]
    if view is None:
        check("3D view", None, "a wireframe")
        return
    lo, hi, n = surface["mgrid"]
    want_x, want_y = np.mgrid[lo : hi : complex(0, n), lo : hi : complex(0, n)]
    x, y, _ = view.mesh()
    check("surface grid x", x, want_x, atol=1e-12)
    check("surface grid y", y, want_y, atol=1e-12)
    check_fn("surface function", view.fn, surface["fn"], want_x, want_y)
    check("surface stride", view.stride, surface["stride"])
    check("surface lines", len(range(0, view.grid, view.stride)), surface["lines"])
    check("curves", len(spec.curves), 0)
    check("marker", view.marker, marker["at"], atol=1e-12)
    check("marker colour", view.marker_color.lower(), marker["color"])
    check("marker size", view.marker_size, marker["size"])
    check("elevation", view.elev, facts["view"]["elev"])
    check("azimuth", view.azim, facts["view"]["azim"])
    check("ticks", view.ticks, facts["ticks"])
    check("xlim", view.xlim, facts["xlim"], atol=LIMITS_ATOL)
    check("zlim", view.zlim, facts["zlim"], atol=LIMITS_ATOL)


@pytest.mark.parametrize("name", FIGURES)
def test_spec_holds_the_lessons_facts(name):
    assert name in SPECS, f"no spec for the lesson's figure {name}"
    found = mismatches(SPECS[name], FIGURES[name])
    assert not found, "\n".join(found)


def test_every_spec_is_a_figure_of_the_lesson():
    assert sorted(SPECS) == sorted(FIGURES)


def test_shared_style_is_the_lessons():
    got = {
        "font": figures.FONT,
        "font_size": figures.FONT_SIZE,
        "line_width": figures.LINE_WIDTH,
        "spine_width": figures.SPINE_WIDTH,
        "tick_length": figures.TICK_LENGTH,
        "margin": figures.MARGIN,
        "axes_box": figures.AXES_BOX,
        "minus": figures.MINUS,
    }
    assert got == {key: STYLE[key] for key in got}
    colours = (figures.C0, figures.PURPLE, figures.RED)
    assert [c.lower() for c in colours] == ["#1f77b4", "#800080", "#ff0000"]


def test_corrected_legend_swaps_the_original_words():
    assert FIGURES["risk"]["corrected_legend"] == CORRECTED_RISK_LEGEND
    original = [c["label"] for c in FIGURES["risk"]["curves"]]
    assert list(CORRECTED_RISK_LEGEND) == original[::-1]
    corrected = SPECS["risk"].with_legend_labels(*CORRECTED_RISK_LEGEND)
    assert [c.label for c in corrected.curves] == list(CORRECTED_RISK_LEGEND)


def test_style_facts_are_matplotlibs_defaults():
    """The table itself against the library the lesson drew with."""
    rc = matplotlib.rcParamsDefault
    assert STYLE["font"] == rc["font.sans-serif"][0]
    assert STYLE["font_size"] == rc["font.size"]
    assert STYLE["line_width"] == rc["lines.linewidth"]
    assert STYLE["spine_width"] == rc["axes.linewidth"]
    assert STYLE["tick_length"] == rc["xtick.major.size"] == rc["ytick.major.size"]
    assert STYLE["margin"] == rc["axes.xmargin"] == rc["axes.ymargin"]
    assert list(STYLE["dashed"]) == list(rc["lines.dashed_pattern"])
    left, bottom, width, height = STYLE["axes_box"]
    assert (left, bottom) == (rc["figure.subplot.left"], rc["figure.subplot.bottom"])
    assert left + width == pytest.approx(rc["figure.subplot.right"])
    assert bottom + height == pytest.approx(rc["figure.subplot.top"])
    first = matplotlib.colors.to_hex(rc["axes.prop_cycle"].by_key()["color"][0])
    assert first == FIGURES["local_minimum"]["curves"][0]["color"]


@pytest.mark.parametrize("name", [n for n in FIGURES if "curves" in FIGURES[n]])
def test_matplotlib_original_shows_the_facts(name):
    """The reference the end frames are held against draws what the lesson drew."""
    facts = FIGURES[name]
    fig = draw_original(SPECS[name])
    ax = fig.axes[0]
    assert tuple(fig.get_size_inches()) == facts["figsize"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == (facts["xlabel"], facts["ylabel"])
    for line, want in zip(ax.get_lines(), facts["curves"], strict=True):
        assert matplotlib.colors.to_hex(line.get_color()) == want["color"]
        assert line.get_linestyle() == {"solid": "-", "dashed": "--"}[want["style"]]
        np.testing.assert_allclose(line.get_xdata(), np.arange(*want["arange"]))
        ys = lesson_fn(want["fn"])(line.get_xdata())
        np.testing.assert_allclose(line.get_ydata(), ys, atol=1e-12)
    annotations = [(t.get_text(), t.xy, t.xyann) for t in ax.texts]
    np.testing.assert_equal(annotations, [list(a) for a in facts["annotations"]])
    for t in ax.texts:
        assert t.arrow_patch.get_arrowstyle().__class__.__name__ == "CurveB"  # "->"
        assert (t.get_ha(), t.get_va()) == ("left", "baseline")
    legend = ax.get_legend()
    labels = [c["label"] for c in facts["curves"] if c["label"]]
    shown = [t.get_text() for t in legend.get_texts()] if legend else []
    assert shown == labels


# -- the check fails when a fact changes ------------------------------------------


def _ann(spec, i, **changes):
    anns = list(spec.annotations)
    anns[i] = dataclasses.replace(anns[i], **changes)
    return dataclasses.replace(spec, annotations=tuple(anns))


def _curve(spec, i, **changes):
    curves = list(spec.curves)
    curves[i] = dataclasses.replace(curves[i], **changes)
    return dataclasses.replace(spec, curves=tuple(curves))


def _view(spec, **changes):
    return dataclasses.replace(spec, view3d=dataclasses.replace(spec.view3d, **changes))


def _figure(spec, **changes):
    return dataclasses.replace(spec, **changes)


# name: (figure, the field the sentence must name, the change)
CHANGES = {
    # the measured defects: an arrow tip 6 % and 12 % of the box too low
    "tip at -0.45": ("local_minimum", "xy", lambda s: _ann(s, 0, xy=(-0.3, -0.45))),
    "tip at -0.65": ("local_minimum", "xy", lambda s: _ann(s, 0, xy=(-0.3, -0.65))),
    "text moved": ("saddle_point", "xytext", lambda s: _ann(s, 0, xytext=(-0.5, -5))),
    "words": ("vanishing_gradient", "text", lambda s: _ann(s, 0, text="vanishing")),
    "test error solid": ("risk", "line style", lambda s: _curve(s, 1, dashes=None)),
    "other dashes": ("risk", "dash pattern", lambda s: _curve(s, 1, dashes=(6, 6))),
    "blue test error": ("risk", "colour", lambda s: _curve(s, 1, color=figures.C0)),
    "legend words": ("risk", "legend label", lambda s: _curve(s, 0, label="train")),
    "finer": ("local_minimum", "arange", lambda s: _curve(s, 0, grid=(-1, 2, 0.05))),
    "g for f": ("local_minimum", "function", lambda s: _curve(s, 0, fn=landscapes.g)),
    "figsize": ("saddle_point", "figsize", lambda s: _figure(s, figsize=(5, 3))),
    "ylabel": ("saddle_point", "ylabel", lambda s: _figure(s, ylabel="y")),
    "no legend": ("risk", "legend", lambda s: _figure(s, legend=None)),
    "azimuth": ("saddle_3d", "azimuth", lambda s: _view(s, azim=-30.0)),
    "elevation": ("saddle_3d", "elevation", lambda s: _view(s, elev=20.0)),
    "stride": ("saddle_3d", "stride", lambda s: _view(s, stride=3)),
    "coarser grid": ("saddle_3d", "grid", lambda s: _view(s, grid=21)),
    "marker": ("saddle_3d", "marker colour", lambda s: _view(s, marker_color="#00f")),
}  # fmt: skip


@pytest.mark.parametrize("change", CHANGES)
def test_a_changed_fact_fails_with_its_name(change):
    name, field, edit = CHANGES[change]
    found = mismatches(edit(SPECS[name]), FIGURES[name])
    assert found, f"{change} went unnoticed"
    assert any(field in sentence for sentence in found), found
