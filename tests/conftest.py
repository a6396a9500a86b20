"""Shared fixtures: a private media folder per test, and fast last frames."""

from __future__ import annotations

import os

import cairo
import manim
import numpy as np
import pytest
from manim import tempconfig


def pytest_addoption(parser):
    parser.addoption(
        "--set_test",
        action="store_true",
        help="store the control frames anew instead of comparing with them",
    )


def pytest_report_header(config):
    # manim's own frame tests skip silently on cairo < 1.18; ours do not.
    return f"manim {manim.__version__}, cairo {cairo.cairo_version_string()}"


@pytest.fixture(autouse=True)
def private_media(tmp_path, monkeypatch):
    """Runs every test in its own folder, so nothing lands in the real media/."""
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("OPTANIM_")]:
        monkeypatch.delenv(key)
    with tempconfig({"media_dir": str(tmp_path / "media")}):
        yield tmp_path


def last_frame(scene_cls, width: int = 854, height: int = 480) -> np.ndarray:
    """The scene's final frame as RGB, rendered without encoding a video.

    Animations are skipped to their end states, as ``manim -s`` does.
    """
    options = {
        "pixel_width": width,
        "pixel_height": height,
        "frame_rate": 1,
        "save_last_frame": True,
        "format": "png",
        "disable_caching": True,
        "verbosity": "ERROR",  # at 1 fps, every short animation warns
        "progress_bar": "none",
    }
    with tempconfig(options):
        scene = scene_cls()
        scene.render()
        return scene.renderer.get_frame()[..., :3].copy()
