"""Each scene's last frame against a stored control frame, to catch drift.

The end-frame tests compare with the lesson's facts and with matplotlib; this
one compares with what the scene drew when it was last checked by eye. Store new
control frames with ``pytest tests/test_control_frames.py --set_test``.

What two honest renders of a scene differ by, measured at 854×480 on cairo 1.18:

- the same render twice, or against its control frame: not at all;
- the frame shifted by 1/64 px: up to 21 levels, on up to 1380 pixels by more
  than 16 (cairo quantizes its anti-aliasing, so the least change flips edge
  pixels by a step of about 16 levels);
- shifted by 1/16 px: up to 39 levels, so none by more than 40;
- straight lines traced with ``line_to`` rather than ``curve_to`` (the two cairo
  paths of ``optanim.render.internals``): at most 2 pixels by more than 40.

So a pixel changes when it moves by more than ``LEVELS`` = 40, and a frame may
have at most ``SHARE`` = 1e-5 of its pixels (4 at 854×480) changed. Drawing the
dashed test-error curve solid changes 1159.
"""

import dataclasses
import importlib
from pathlib import Path

import numpy as np
import pytest
from conftest import last_frame
from manim import config

from optanim.lesson import figures
from optanim.lesson.catalog import BY_NAME, SCENES

CONTROL = Path(__file__).parent / "control_frames"
BUILT = [s for s in SCENES if s.exists]
LEVELS, SHARE = 40, 1e-5


def scene_class(name: str):
    return getattr(importlib.import_module(f"scenes.{name}"), BY_NAME[name].cls)


def stored(name: str) -> np.ndarray:
    path = CONTROL / f"{name}.npz"
    assert path.exists(), f"no control frame: run pytest {__file__} --set_test"
    return np.load(path)["frame"]


def changed(frame: np.ndarray, expected: np.ndarray) -> int:
    """How many pixels differ by more than ``LEVELS`` in some channel."""
    assert frame.shape == expected.shape
    return int((np.abs(frame.astype(int) - expected).max(axis=-1) > LEVELS).sum())


def allowed(frame: np.ndarray) -> float:
    return SHARE * frame.shape[0] * frame.shape[1]


@pytest.mark.parametrize("entry", BUILT, ids=[s.name for s in BUILT])
def test_last_frame_matches_its_control_frame(entry, request):
    frame = last_frame(scene_class(entry.name))
    if request.config.getoption("--set_test"):
        np.savez_compressed(CONTROL / f"{entry.name}.npz", frame=frame)
        pytest.skip(f"stored {entry.name}.npz")
    count = changed(frame, stored(entry.name))
    assert count <= allowed(frame), f"{count} pixels changed"


def test_a_sixteenth_of_a_pixel_is_noise():
    """The whole frame moved by 1/16 px still matches: the tolerance is above
    the noise of anti-aliasing."""

    class Shifted(scene_class("local_minimum")):
        def setup(self):
            super().setup()
            step = config.frame_width / config.pixel_width / 16
            self.camera.frame_center = self.camera.frame_center + [step, step, 0]

    frame = last_frame(Shifted)
    assert changed(frame, stored("local_minimum")) <= allowed(frame)


def test_a_solid_test_error_curve_is_caught(monkeypatch):
    """Drawn solid, the dashed test-error curve changes a hundred times more
    pixels than allowed."""
    spec = figures.SPECS["risk"]
    train, test = spec.curves
    solid = dataclasses.replace(test, dashes=None)
    monkeypatch.setitem(
        figures.SPECS, "risk", dataclasses.replace(spec, curves=(train, solid))
    )
    frame = last_frame(scene_class("risk"))
    count = changed(frame, stored("risk"))
    assert count > 100 * allowed(frame), f"only {count} pixels changed"
