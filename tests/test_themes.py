"""The dark theme is one switch away and draws the same figure."""

import numpy as np
from conftest import last_frame

from optanim.qa import framematch as fm
from scenes.local_minimum import LocalMinimum


def test_dark_theme_draws_the_same_figure_in_light_ink(monkeypatch):
    light = last_frame(LocalMinimum)
    monkeypatch.setenv("OPTANIM_THEME", "dark")
    dark = last_frame(LocalMinimum)
    assert (dark[0, 0] == 0).all()
    assert (light[0, 0] == 255).all()
    # The curve keeps its colour and its place; the ink turns white.
    ours, theirs = fm.line_pixels(dark, fm.C0, 0.2), fm.line_pixels(light, fm.C0, 0.2)
    assert (ours & theirs).sum() > 0.9 * theirs.sum()
    assert np.array_equal(dark.min(axis=-1) > 200, light.max(axis=-1) < 55)
