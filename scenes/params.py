"""Every scene's tunable numbers, with their defaults in one place.

A lecturer overrides them without editing code, in this order of precedence:

1. environment variables ``OPTANIM_<SCENE>_<KEY>``, e.g.
   ``OPTANIM_LOCAL_MINIMUM_LR=0.02``, and ``OPTANIM_THEME=dark`` for all scenes;
2. a TOML file, ``optanim.toml`` in the working directory or the file named by
   ``OPTANIM_CONFIG``, with one table per scene and an optional ``theme`` key::

       theme = "dark"
       [local_minimum]
       lr = 0.02

3. the defaults below.

Invalid values raise :class:`ParamError` with a one-line message, and so does a
learning rate that makes the descent diverge: :meth:`SceneParams.paths` runs the
dynamics before anything is drawn.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tomllib

from scenes import landscapes as ls
from scenes.figures import SPECS

THEMES = ("light", "dark")
GLOBAL_KEYS = {"OPTANIM_THEME", "OPTANIM_CONFIG", "OPTANIM_SLIDES_DIR"}


class ParamError(ValueError):
    """A parameter override that cannot be used, said in one line."""


@dataclass(frozen=True)
class SceneParams:
    """What every scene has: a learning rate, a step count and a pace."""

    lr: float
    steps: int
    seconds_per_step: float = 0.12
    theme: str = "light"

    def check(self, scene: str) -> None:
        """Raises :class:`ParamError` for a value no scene can use."""
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
        if self.theme not in THEMES:
            raise ParamError(
                f"unknown theme {self.theme!r}; choose one of {', '.join(THEMES)}"
            )

    def paths(self, scene: str) -> dict[str, np.ndarray]:
        """The scene's descent paths, computed from these parameters."""
        raise NotImplementedError


def _domain(name: str) -> tuple[float, float]:
    curve = SPECS[name].curves[0]
    return round(float(curve.x.min()), 9), round(float(curve.x.max()), 9)


def _run(scene: str, grad, x0, params: SceneParams, **kwargs) -> np.ndarray:
    try:
        return ls.descent_path(grad, x0, params.lr, params.steps, **kwargs)
    except ValueError as err:
        raise ParamError(f"{scene}: {err}") from None


@dataclass(frozen=True)
class LocalMinimum(SceneParams):
    """Two balls on ``f(x) = x·cos πx``, left and right of the bump."""

    lr: float = 0.05
    steps: int = 30
    left_start: float = -0.9
    right_start: float = 0.6

    def paths(self, scene: str = "local_minimum") -> dict[str, np.ndarray]:
        domain = _domain("local_minimum")
        return {
            "left": _run(scene, ls.grad_f, self.left_start, self, domain=domain),
            "right": _run(scene, ls.grad_f, self.right_start, self, domain=domain),
        }


DEFAULTS: dict[str, SceneParams] = {
    "local_minimum": LocalMinimum(),
}


def _coerce(scene: str, key: str, value, kind: type):
    try:
        if kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind is float:
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ParamError(
            f"{scene}: {key} must be {'an integer' if kind is int else 'a number'}, "
            f"got {value!r}"
        ) from None


def overrides_from_env(scene: str, environ=None) -> dict[str, str]:
    """The ``OPTANIM_<SCENE>_<KEY>`` variables of ``scene``, keyed by lower-case key."""
    environ = os.environ if environ is None else environ
    prefix = f"OPTANIM_{scene.upper()}_"
    found = {
        k[len(prefix) :].lower(): v for k, v in environ.items() if k.startswith(prefix)
    }
    if "OPTANIM_THEME" in environ:
        found.setdefault("theme", environ["OPTANIM_THEME"])
    return found


def _config_file(environ) -> dict:
    path = Path(environ.get("OPTANIM_CONFIG", "optanim.toml"))
    if "OPTANIM_CONFIG" not in environ and not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ParamError(f"config file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ParamError(f"config file {path} is not valid TOML: {err}") from None


def check_environment(environ=None) -> None:
    """Rejects ``OPTANIM_*`` variables that name no scene parameter."""
    environ = os.environ if environ is None else environ
    known = set(GLOBAL_KEYS)
    for scene, params in DEFAULTS.items():
        known |= {
            f"OPTANIM_{scene.upper()}_{f.name.upper()}"
            for f in dataclasses.fields(params)
        }
    for key in sorted(k for k in environ if k.startswith("OPTANIM_")):
        if key not in known:
            raise ParamError(
                f"unknown setting {key}; see 'optanim params' for the keys"
            )


def load(scene: str, overrides: dict | None = None, environ=None) -> SceneParams:
    """The parameters of ``scene``: defaults, then the TOML file, the
    environment and ``overrides`` (e.g. from the command line), checked."""
    environ = os.environ if environ is None else environ
    check_environment(environ)
    defaults = DEFAULTS[scene]
    table = _config_file(environ)
    unknown = set(table) - set(DEFAULTS) - {"theme"}
    if unknown:
        raise ParamError(f"config file: unknown table {sorted(unknown)[0]!r}")
    values = {"theme": table["theme"]} if "theme" in table else {}
    section = table.get(scene, {})
    if not isinstance(section, dict):
        raise ParamError(f"config file: {scene} must be a table")
    values |= section
    values |= overrides_from_env(scene, environ)
    values |= overrides or {}
    fields = {f.name: f for f in dataclasses.fields(defaults)}
    for key in values:
        if key not in fields:
            raise ParamError(
                f"{scene}: unknown parameter {key!r}; known: {', '.join(fields)}"
            )
    kinds = {name: type(getattr(defaults, name)) for name in fields}
    typed = {k: _coerce(scene, k, v, kinds[k]) for k, v in values.items()}
    params = dataclasses.replace(defaults, **typed)
    params.check(scene)
    params.paths(scene)
    return params
