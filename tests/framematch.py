"""Moved to scenes.framematch; kept while scene tests migrate."""

from scenes.framematch import *  # noqa: F403
from scenes.framematch import _rgb  # noqa: F401
