"""The lesson's scenes, in the order the lesson tells them.

Each is a plain manim file in ``scenes/`` at the top of the repository, beside
the title card that the lecture shows between them.

>>> [s.name for s in SCENES][:2]
['risk', 'local_minimum']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCENES_DIR = Path(__file__).resolve().parents[2] / "scenes"


@dataclass(frozen=True)
class SceneEntry:
    """One scene file, ``scenes/<name>.py``, which holds the class ``cls``."""

    name: str
    cls: str
    title: str

    @property
    def path(self) -> Path:
        return SCENES_DIR / f"{self.name}.py"

    @property
    def exists(self) -> bool:
        return self.path.exists()


SCENES = (
    SceneEntry("risk", "Risk", "Empirical risk and expected risk"),
    SceneEntry("local_minimum", "LocalMinimum", "Local minima"),
    SceneEntry("saddle_point", "SaddlePoint", "Saddle points"),
    SceneEntry("saddle_3d", "Saddle3D", "A saddle point in two dimensions"),
    SceneEntry("vanishing_gradient", "VanishingGradient", "Vanishing gradients"),
)
BY_NAME = {s.name: s for s in SCENES}
TITLE_CARD = SceneEntry("title_card", "Card", "Title and section cards")
