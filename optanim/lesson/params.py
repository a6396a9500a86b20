"""Every scene's tunable numbers, with their defaults in one place.

A lecturer overrides them without editing code. :func:`resolve` applies, each
over the one before:

1. the defaults below;
2. a TOML file, ``optanim.toml`` in the working directory or the file named by
   ``OPTANIM_CONFIG``, with one table per scene and an optional ``theme`` key::

       theme = "dark"
       [local_minimum]
       lr = 0.02

3. environment variables ``OPTANIM_<SCENE>_<KEY>``, e.g.
   ``OPTANIM_LOCAL_MINIMUM_LR=0.02``, and ``OPTANIM_THEME=dark`` for all scenes;
4. overrides from the command line (``optanim render --set lr=0.02``).

The result is one frozen object per scene, whose descent paths are computed
once, on first use. ``optanim`` resolves it once and hands it to the render it
starts as a JSON file (:func:`dump`, :func:`for_render`); a plain ``manim`` run
resolves it itself, the same way.

Invalid values raise :class:`ParamError` with a one-line message, and so does a
learning rate that makes the descent diverge: :func:`resolve` runs the dynamics
before anything is drawn.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np
import tomllib

from optanim.lesson import landscapes as ls
from optanim.lesson import settings
from optanim.lesson.figures import SPECS

THEME_NAMES = ("light", "dark")  # drawn by optanim.render.theme.THEMES
GLOBAL_KEYS = ("theme", "voice", "lang")  # top-level keys of optanim.toml


class ParamError(ValueError):
    """A parameter override that cannot be used, said in one line."""


@dataclass(frozen=True)
class SceneParams:
    """What every scene has: a learning rate, a step count and a pace."""

    scene: ClassVar[str]  # the scene these parameters belong to

    lr: float
    steps: int
    seconds_per_step: float = 0.12
    theme: str = "light"

    def check(self) -> None:
        """Raises :class:`ParamError` for a value no scene can use."""
        scene = self.scene
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ParamError(f"{scene}: lr must be a positive number, got {self.lr}")
        if self.steps < 1:
            raise ParamError(
                f"{scene}: steps must be a positive integer, got {self.steps}"
            )
        if not (math.isfinite(self.seconds_per_step) and self.seconds_per_step > 0):
            raise ParamError(
                f"{scene}: seconds_per_step must be a positive number, "
                f"got {self.seconds_per_step}"
            )
        if self.theme not in THEME_NAMES:
            raise ParamError(
                f"unknown theme {self.theme!r}; choose one of {', '.join(THEME_NAMES)}"
            )

    @cached_property
    def paths(self) -> dict[str, np.ndarray]:
        """The scene's descent paths, computed once from these parameters."""
        return self.descents()

    def descents(self) -> dict[str, np.ndarray]:
        """Runs the scene's descents (see :attr:`paths`)."""
        raise NotImplementedError

    def narration_values(self, beat: str) -> dict:
        """The numbers the words of beat ``beat`` name (see
        :mod:`optanim.narration.words`)."""
        return {}


def _domain(name: str) -> tuple[float, float]:
    curve = SPECS[name].curves[0]
    return round(float(curve.x.min()), 9), round(float(curve.x.max()), 9)


def _run(scene: str, grad, x0, params: SceneParams, **kwargs) -> np.ndarray:
    try:
        return ls.descent_path(grad, x0, params.lr, params.steps, **kwargs)
    except ValueError as err:
        raise ParamError(f"{scene}: {err}") from None


@dataclass(frozen=True)
class LocalMinimumParams(SceneParams):
    """Two balls on ``f(x) = x·cos πx``, left and right of the bump."""

    scene = "local_minimum"

    lr: float = 0.05
    steps: int = 30
    left_start: float = -0.9
    right_start: float = 0.6

    def descents(self) -> dict[str, np.ndarray]:
        scene = self.scene
        domain = _domain("local_minimum")
        return {
            "left": _run(scene, ls.grad_f, self.left_start, self, domain=domain),
            "right": _run(scene, ls.grad_f, self.right_start, self, domain=domain),
        }


RISK_LEGENDS = ("original", "corrected")


@dataclass(frozen=True)
class RiskParams(SceneParams):
    """One ball minimizing the empirical risk ``g``, then one continuing on ``f``.

    ``legend`` picks the legend's words: ``"original"`` keeps the lesson's
    ("train error" for f, "test error" for g), ``"corrected"`` swaps them to
    :data:`optanim.lesson.figures.CORRECTED_RISK_LEGEND`, as the English edition has it.
    """

    scene = "risk"

    lr: float = 0.02
    steps: int = 20
    start: float = 0.75
    legend: str = "original"

    def check(self) -> None:
        super().check()
        scene = self.scene
        if self.legend not in RISK_LEGENDS:
            raise ParamError(
                f"{scene}: unknown legend {self.legend!r}; "
                f"choose one of {', '.join(RISK_LEGENDS)}"
            )

    def descents(self) -> dict[str, np.ndarray]:
        scene = self.scene
        domain = _domain("risk")
        empirical = _run(scene, ls.grad_g, self.start, self, domain=domain)
        return {
            "empirical": empirical,
            "expected": _run(scene, ls.grad_f, empirical[-1], self, domain=domain),
        }

    def narration_values(self, beat: str) -> dict:
        x_g, x_f = self.paths["empirical"][-1], self.paths["expected"][-1]
        return {"x_g": x_g, "slope": ls.grad_f(x_g), "x_f": x_f, "gap": x_f - x_g}


@dataclass(frozen=True)
class SaddlePointParams(SceneParams):
    """A ball on ``x³`` that stalls at the saddle; ``nudge`` shows it escaping.

    With ``nudge`` on, a second descent of ``nudge_steps`` starts just past the
    saddle, at ``nudge_start`` (negative), and runs away downhill.
    """

    scene = "saddle_point"

    lr: float = 0.1
    steps: int = 64
    seconds_per_step: float = 0.08
    start: float = 1.5
    nudge: bool = True
    nudge_start: float = -0.05
    nudge_steps: int = 68

    def check(self) -> None:
        super().check()
        scene = self.scene
        if self.nudge and not self.nudge_start < 0:
            raise ParamError(
                f"{scene}: nudge_start must lie past the saddle (below 0), "
                f"got {self.nudge_start}"
            )
        if self.nudge and self.nudge_steps < 1:
            raise ParamError(
                f"{scene}: nudge_steps must be a positive integer, "
                f"got {self.nudge_steps}"
            )

    def descents(self) -> dict[str, np.ndarray]:
        scene = self.scene
        domain = _domain("saddle_point")
        paths = {"stall": _run(scene, ls.grad_cube, self.start, self, domain=domain)}
        if self.nudge:
            nudged = dataclasses.replace(self, steps=self.nudge_steps)
            try:
                paths["nudge"] = _run(
                    scene, ls.grad_cube, self.nudge_start, nudged, domain=domain
                )
            except ParamError as err:
                raise ParamError(f"{err} (the nudge; lower nudge_steps)") from None
        return paths

    def narration_values(self, beat: str) -> dict:
        return {"start": self.paths["stall"][0]}


@dataclass(frozen=True)
class VanishingGradientParams(SceneParams):
    """Two balls on ``tanh``: one on the slope, one far out on the flat tail."""

    scene = "vanishing_gradient"

    lr: float = 0.2
    steps: int = 20
    seconds_per_step: float = 0.15
    slope_start: float = 0.5
    tail_start: float = 4.0

    def descents(self) -> dict[str, np.ndarray]:
        scene = self.scene
        domain = _domain("vanishing_gradient")
        return {
            "slope": _run(scene, ls.grad_tanh, self.slope_start, self, domain=domain),
            "tail": _run(scene, ls.grad_tanh, self.tail_start, self, domain=domain),
        }

    def narration_values(self, beat: str) -> dict:
        slope, tail = self.paths["slope"], self.paths["tail"]
        if beat in ("slope", "tail"):
            start = self.paths[beat][0]
            return {"start": start, "grad": ls.grad_tanh(start)}
        travelled = abs(slope[-1] - slope[0]) / abs(tail[-1] - tail[0])
        return {"steps": len(tail) - 1, "ratio": travelled}


ESCAPE_Y = 0.5  # how far off the x axis the escaping ball of saddle_3d must get
MAX_ESCAPE_STEPS = 300


@dataclass(frozen=True)
class Saddle3DParams(SceneParams):
    """Two balls on ``z = x² − y²`` from ``(start_x, 0)``: one stalls at the saddle.

    The first descends for ``steps`` steps and stalls at the origin. The other
    starts ``offset_y`` off the x axis, on a side drawn from
    ``numpy.random.default_rng(seed)``. Its offset grows by ``1 + 2·lr`` per
    step; it runs until it has passed ``|y| =`` :data:`ESCAPE_Y`.
    """

    scene = "saddle_3d"

    lr: float = 0.1
    steps: int = 40
    start_x: float = 0.9
    offset_y: float = 1e-3
    seed: int = 0

    def check(self) -> None:
        super().check()
        scene = self.scene
        if not (math.isfinite(self.offset_y) and 0 < self.offset_y < ESCAPE_Y):
            raise ParamError(
                f"{scene}: offset_y must lie between 0 and {ESCAPE_Y}, "
                f"got {self.offset_y}"
            )
        if self.seed < 0:
            raise ParamError(
                f"{scene}: seed must be a non-negative integer, got {self.seed}"
            )

    def start_y(self) -> float:
        """The escaping ball's start off the x axis: ``±offset_y``."""
        side = np.random.default_rng(self.seed).choice((-1.0, 1.0))
        return float(side * self.offset_y)

    def escape_steps(self) -> int:
        """The first step at which the offset ``y₀(1 + 2η)^t`` passes ESCAPE_Y."""
        growth = math.log(1 + 2 * self.lr)
        return math.floor(math.log(ESCAPE_Y / self.offset_y) / growth) + 1

    def descents(self) -> dict[str, np.ndarray]:
        scene = self.scene
        domain = (-1.0, 1.0)  # the plotted square, checked on both coordinates
        steps = self.escape_steps()
        if steps > MAX_ESCAPE_STEPS:
            raise ParamError(
                f"{scene}: offset_y {self.offset_y} takes {steps} steps to escape "
                f"(at most {MAX_ESCAPE_STEPS}); raise offset_y or lr"
            )
        escaping = dataclasses.replace(self, steps=steps)
        start = (self.start_x, self.start_y())
        return {
            "stall": _run(
                scene, ls.grad_saddle, (self.start_x, 0.0), self, domain=domain
            ),
            "escape": _run(scene, ls.grad_saddle, start, escaping, domain=domain),
        }

    def narration_values(self, beat: str) -> dict:
        y0 = self.paths["escape"][0][1]
        positive = y0 > 0
        return {
            "offset": abs(y0),
            "side": "positive" if positive else "negative",
            "side_zh": "正" if positive else "负",
        }


DEFAULTS: dict[str, SceneParams] = {
    "risk": RiskParams(),
    "local_minimum": LocalMinimumParams(),
    "saddle_point": SaddlePointParams(),
    "saddle_3d": Saddle3DParams(),
    "vanishing_gradient": VanishingGradientParams(),
}


# Switches read from the environment or a command line (text).
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_KIND_NAMES = {bool: "true or false", int: "an integer", str: "a string"}


def _coerce(scene: str, key: str, value, kind: type):
    """``value``, given as text, as a ``kind``."""
    try:
        if kind is bool:
            return _BOOLEANS[str(value).strip().lower()]
        if kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind is float:
            return float(value)
        return str(value)
    except (KeyError, TypeError, ValueError):
        raise ParamError(
            f"{scene}: {key} must be {_KIND_NAMES.get(kind, 'a number')}, got {value!r}"
        ) from None


def _typed(where: str, key: str, value, kind: type):
    """``value`` read from TOML, which has types of its own: they must fit."""
    fits = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        fits, value = True, float(value)
    if not fits:
        raise ParamError(
            f"{where}: {key} must be {_KIND_NAMES.get(kind, 'a number')}, "
            f"got {type(value).__name__} {value!r}"
        )
    return value


def overrides_from_env(scene: str, environ=None) -> dict[str, str]:
    """The ``OPTANIM_<SCENE>_<KEY>`` variables of ``scene``, keyed by lower-case key."""
    environ = os.environ if environ is None else environ
    prefix = settings.scene_variable(scene, "")
    found = {
        k[len(prefix) :].lower(): v for k, v in environ.items() if k.startswith(prefix)
    }
    if settings.THEME in environ:
        found.setdefault("theme", environ[settings.THEME])
    return found


def config_file(environ=None) -> tuple[Path | None, dict]:
    """The TOML file's path and its tables: ``OPTANIM_CONFIG``, or
    ``optanim.toml`` in the working directory if there is one."""
    environ = os.environ if environ is None else environ
    named = environ.get(settings.CONFIG)
    if named is not None and not named.strip():
        raise ParamError(f"{settings.CONFIG} is set but empty; unset it or name a file")
    path = Path(named or "optanim.toml")
    if named is None and not path.is_file():
        return None, {}
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ParamError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ParamError(f"config file {path} is a directory, not a file") from None
    except UnicodeDecodeError:
        raise ParamError(f"config file {path} is not UTF-8 text") from None
    except OSError as err:
        raise ParamError(f"config file {path}: {err.strerror}") from None
    if text.startswith("\ufeff"):
        raise ParamError(
            f"config file {path} starts with a byte-order mark; save it as UTF-8 "
            "without BOM"
        )
    try:
        return path, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParamError(f"config file {path} is not valid TOML: {err}") from None


def known_variables() -> set[str]:
    """Every ``OPTANIM_*`` name that means something."""
    known = set(settings.GLOBAL)
    for scene, params in DEFAULTS.items():
        known |= {
            settings.scene_variable(scene, f.name) for f in dataclasses.fields(params)
        }
    return known


def check_environment(environ=None) -> None:
    """Rejects ``OPTANIM_*`` variables that name no setting."""
    environ = os.environ if environ is None else environ
    known = known_variables()
    for key in sorted(k for k in environ if k.startswith("OPTANIM_")):
        if key not in known:
            raise ParamError(
                f"unknown setting {key}; see 'optanim params' for the keys"
            )


def resolve(
    scene: str, overrides: dict | None = None, environ=None, dynamics: bool = True
) -> SceneParams:
    """The parameters of ``scene``: defaults, then the TOML file, the
    environment and ``overrides`` (e.g. from the command line), checked.

    ``dynamics=True`` also runs the descents, so that a diverging one is an
    error now; ``False`` leaves them for first use (see :func:`video_seconds`).
    """
    environ = os.environ if environ is None else environ
    check_environment(environ)
    defaults = DEFAULTS[scene]
    fields = [f.name for f in dataclasses.fields(defaults)]
    kinds = {name: type(getattr(defaults, name)) for name in fields}
    path, table = config_file(environ)
    where = f"config file {path}"
    unknown = set(table) - set(DEFAULTS) - set(GLOBAL_KEYS)
    if unknown:
        raise ParamError(
            f"{where}: unknown key {sorted(unknown)[0]!r}; the tables are "
            f"{', '.join(DEFAULTS)}, and the keys {', '.join(GLOBAL_KEYS)}"
        )
    values = {}
    if "theme" in table:
        values["theme"] = _typed(where, "theme", table["theme"], str)
    section = table.get(scene, {})
    if not isinstance(section, dict):
        raise ParamError(f"{where}: {scene} must be a table")
    for key, value in section.items():
        if key not in kinds:
            raise ParamError(
                f"{where}: {scene} has no parameter {key!r}; known: {', '.join(fields)}"
            )
        values[key] = _typed(f"{where}, [{scene}]", key, value, kinds[key])
    texts = overrides_from_env(scene, environ) | (overrides or {})
    for key, value in texts.items():
        if key not in kinds:
            raise ParamError(
                f"{scene}: unknown parameter {key!r}; known: {', '.join(fields)}"
            )
        values[key] = _coerce(scene, key, value, kinds[key])
    params = dataclasses.replace(defaults, **values)
    params.check()
    if dynamics:
        _ = params.paths
    return params


def theme_setting(environ=None) -> str:
    """The theme named by ``OPTANIM_THEME``, or by the TOML file, or the default."""
    environ = os.environ if environ is None else environ
    check_environment(environ)
    theme = environ.get(settings.THEME)
    if theme is None:
        path, table = config_file(environ)
        theme = _typed(f"config file {path}", "theme", table.get("theme", "light"), str)
    if theme not in THEME_NAMES:
        raise ParamError(
            f"unknown theme {theme!r}; choose one of {', '.join(THEME_NAMES)}"
        )
    return theme


def dump(params: SceneParams, path: Path) -> None:
    """Writes ``params`` as JSON, for :func:`for_render` in the render's process."""
    values = dataclasses.asdict(params) | {"scene": params.scene}
    path.write_text(json.dumps(values, sort_keys=True))


def for_render(scene: str, environ=None) -> SceneParams:
    """The parameters of the render this process runs: those ``optanim`` resolved
    (named by ``OPTANIM_PARAMS``), or else resolved here, as :func:`resolve` does."""
    environ = os.environ if environ is None else environ
    named = environ.get(settings.PARAMS)
    if not named:
        return resolve(scene, environ=environ)
    try:
        values = json.loads(Path(named).read_text())
    except (OSError, ValueError) as err:
        raise ParamError(f"{settings.PARAMS}={named} cannot be read: {err}") from None
    if values.pop("scene", None) != scene:
        raise ParamError(f"{settings.PARAMS}={named} holds no parameters of {scene}")
    params = dataclasses.replace(DEFAULTS[scene], **values)
    params.check()
    return params


SCENE_OVERHEAD_S = 12.0  # titles, axes, annotations and holds around the descents


def video_seconds(params: SceneParams) -> float:
    """An upper estimate of the scene's video length, without running its descents.

    Every descent takes ``steps × seconds_per_step``, every other ``*_steps``
    count one more ``seconds_per_step`` each, plus :data:`SCENE_OVERHEAD_S`.
    The descents are counted on a one-step run, so a request for 10⁶ steps is
    priced before anyone computes them.
    """
    extra = [f.name for f in dataclasses.fields(params) if f.name.endswith("_steps")]
    probe = dataclasses.replace(params, steps=1, **dict.fromkeys(extra, 1))
    try:
        descents = len(probe.descents())
    except ParamError:
        descents = 1
    steps = descents * params.steps + sum(getattr(params, n) for n in extra)
    return steps * params.seconds_per_step + SCENE_OVERHEAD_S
