"""The risk scene: its dynamics, its legend option, its captions and last frame."""

import numpy as np
import pytest
from conftest import last_frame
from manim import tempconfig

from optanim.lesson import params
from optanim.lesson.figures import CORRECTED_RISK_LEGEND, SPECS
from optanim.lesson.landscapes import grad_f, grad_g
from optanim.narration import words
from optanim.qa import framematch as fm
from optanim.qa.original import draw_original
from optanim.render.slide import LessonSlide
from scenes.risk import Risk

SPEC = SPECS["risk"]
BEATS = 8


def test_descent_on_g_lands_in_its_minimum():
    empirical = params.resolve("risk").paths["empirical"]
    assert abs(empirical[-1] - 1.017) < 1e-3
    assert abs(grad_g(empirical[-1])) < 1e-3


def test_f_still_slopes_there_and_its_own_minimum_lies_beyond():
    paths = params.resolve("risk").paths
    x_g, x_f = paths["empirical"][-1], paths["expected"][-1]
    assert paths["expected"][0] == x_g
    assert grad_f(x_g) < -0.5
    assert abs(x_f - 1.0904) < 1e-3
    assert x_f - x_g == pytest.approx(0.073, abs=2e-3)


def test_the_words_name_the_numbers_of_the_descents():
    """Each number the narration names, against descents run here with the
    derivatives written out: ``x ← x − η g′(x)``, then on f from where it stops."""

    def df(x):
        return np.cos(np.pi * x) - np.pi * x * np.sin(np.pi * x)

    def dg(x):
        return df(x) - np.pi * np.sin(5 * np.pi * x)

    p = params.resolve("risk")
    x_g = p.start
    for _ in range(p.steps):
        x_g -= p.lr * dg(x_g)
    x_f = x_g
    for _ in range(p.steps):
        x_f -= p.lr * df(x_f)
    said = words.load("en")

    def beat(beat_id):
        return said.beat("risk", beat_id, p.narration_values(beat_id))

    assert f"x = {x_g:.3f}." in beat("train").caption
    assert f"slope there is {df(x_g):.2f}, not zero" in beat("slope").caption
    expected = beat("expected_descent")
    assert f"x = {x_f:.3f}," in expected.caption
    assert f", {x_f - x_g:.3f} away" in expected.caption  # f's minimum lies right
    assert f"a distance of {x_f - x_g:.3f} from" in " ".join(
        line.say for line in expected.lines
    )


def test_huge_learning_rate_diverges():
    with pytest.raises(params.ParamError, match="risk: learning rate 10.0 diverges"):
        params.resolve("risk", {"lr": 10})


def test_legend_option_is_validated():
    assert params.resolve("risk").legend == "original"
    env = {"OPTANIM_RISK_LEGEND": "corrected"}
    assert params.resolve("risk", environ=env).legend == "corrected"
    with pytest.raises(params.ParamError, match="unknown legend 'fixed'"):
        params.resolve("risk", {"legend": "fixed"})


def render(legend: str) -> tuple[np.ndarray, list[str]]:
    """The last frame at 1280×720 with ``legend``, and the captions of its beats."""
    captions = []

    def next_slide(self, *args, notes="", **kwargs):
        captions.append(notes)
        return LessonSlide.next_slide(self, *args, notes=notes, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPTANIM_RISK_LEGEND", legend)
        mp.setattr(Risk, "next_slide", next_slide)
        frame = last_frame(Risk, 1280, 720)
    return frame, captions


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    with tempconfig({"media_dir": str(tmp_path_factory.mktemp("media"))}):
        return {legend: render(legend) for legend in params.RISK_LEGENDS}


@pytest.fixture(scope="module")
def originals():
    corrected = SPEC.with_legend_labels(*CORRECTED_RISK_LEGEND)
    figures = {"original": SPEC, "corrected": corrected}
    return {k: fm.figure_rgb(draw_original(s, dpi=300)) for k, s in figures.items()}


def test_captions_never_contradict_the_legend_on_screen(rendered):
    words = {
        "original": tuple(c.label for c in SPEC.curves),
        "corrected": CORRECTED_RISK_LEGEND,
    }
    for legend, (_, captions) in rendered.items():
        assert len(captions) == BEATS
        solid = words[legend][0]
        # Captions name the curves by their look and their risk. The solid
        # curve's legend words never appear: in the original they are the
        # training error's, which is the dashed curve.
        assert not any(solid in c for c in captions)
        assert any("dashed curve g is the empirical risk" in c for c in captions)
    assert "test error" in rendered["original"][1][-1]  # points out the erratum


def row_ends(img: np.ndarray, window: fm.Window) -> tuple[float, float]:
    """Right ends of the ink of the legend's upper and lower rows, in box units."""
    u, v = fm.ink_points(img).T
    inside = (u >= window.u0) & (u <= window.u1) & (v >= window.v0) & (v <= window.v1)
    middle = (window.v0 + window.v1) / 2
    return u[inside & (v > middle)].max(), u[inside & (v < middle)].max()


def test_corrected_legend_swaps_the_words(rendered, originals):
    """The label "train error" is the longer one: its row ends further right."""
    fig = draw_original(SPEC, dpi=300)
    fig.canvas.draw()
    ax = fig.axes[0]
    corners = ax.get_legend().get_window_extent().get_points()
    (u0, v0), (u1, v1) = ax.transAxes.inverted().transform(corners)
    window = fm.Window(u0, v0, u1, v1)
    upper, lower = row_ends(originals["original"], window)
    assert upper - lower > 0.01  # "train error" above "test error"
    for legend, sign in (("original", 1), ("corrected", -1)):
        ours = np.subtract(*row_ends(rendered[legend][0], window))
        theirs = np.subtract(*row_ends(originals[legend], window))
        assert np.sign(ours) == np.sign(theirs) == sign
        assert ours == pytest.approx(theirs, abs=0.01)
