"""Each scene's last frame against a stored control frame, to catch drift.

The frame tests beside each scene compare with matplotlib; this one compares
with what the scene drew when it was last checked by eye. Store new control
frames with ``pytest tests/test_control_frames.py --set_test``.
"""

import importlib
from pathlib import Path

import numpy as np
import pytest
from conftest import last_frame

from optanim.lesson.catalog import SCENES

CONTROL = Path(__file__).parent / "control_frames"
BUILT = [s for s in SCENES if s.exists]
# Pixels may differ by a level or two across cairo and pango builds.
LEVELS, SHARE = 16, 0.002


@pytest.mark.parametrize("entry", BUILT, ids=[s.name for s in BUILT])
def test_last_frame_matches_its_control_frame(entry, request):
    module = importlib.import_module(f"scenes.{entry.name}")
    frame = last_frame(getattr(module, entry.cls))
    stored = CONTROL / f"{entry.name}.npz"
    if request.config.getoption("--set_test"):
        np.savez_compressed(stored, frame=frame)
        pytest.skip(f"stored {stored.name}")
    assert stored.exists(), f"no control frame: run pytest {__file__} --set_test"
    expected = np.load(stored)["frame"]
    assert frame.shape == expected.shape
    differs = np.abs(frame.astype(int) - expected).max(axis=-1) > LEVELS
    assert differs.mean() <= SHARE, f"{differs.sum()} pixels changed"
