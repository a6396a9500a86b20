"""Every ``OPTANIM_*`` environment variable, named in this one place.

Scene parameters are ``OPTANIM_<SCENE>_<KEY>`` (see :mod:`optanim.lesson.params`);
the rest are global:

- ``OPTANIM_THEME``: ``light`` or ``dark``, for every scene and card;
- ``OPTANIM_CONFIG``: the TOML file to read instead of ``./optanim.toml``;
- ``OPTANIM_PARAMS``: a JSON file of parameters that ``optanim`` resolved for
  the render it starts; a plain ``manim`` run resolves them itself;
- ``OPTANIM_SLIDES_DIR``: where manim-slides writes a render's slides;
- ``OPTANIM_ENCODER_THREADS``: x264's threads, when renders run side by side;
- ``OPTANIM_CARD_TEXT``: the text of a title card (``scenes/title_card.py``);
- ``OPTANIM_VOICE``: the narration's voice: ``piper``, ``espeak``,
  ``recorded:DIR`` or ``none``;
- ``OPTANIM_LANG``: the narration's language, ``en`` or ``zh``;
- ``OPTANIM_SPEECH_DIR``: the cache of spoken lines (default ``media/speech``).
"""

from __future__ import annotations

THEME = "OPTANIM_THEME"
CONFIG = "OPTANIM_CONFIG"
PARAMS = "OPTANIM_PARAMS"
SLIDES_DIR = "OPTANIM_SLIDES_DIR"
ENCODER_THREADS = "OPTANIM_ENCODER_THREADS"
CARD_TEXT = "OPTANIM_CARD_TEXT"
VOICE = "OPTANIM_VOICE"
LANG = "OPTANIM_LANG"
SPEECH_DIR = "OPTANIM_SPEECH_DIR"

GLOBAL = (
    THEME,
    CONFIG,
    PARAMS,
    SLIDES_DIR,
    ENCODER_THREADS,
    CARD_TEXT,
    VOICE,
    LANG,
    SPEECH_DIR,
)


def scene_variable(scene: str, key: str) -> str:
    """The variable that sets parameter ``key`` of ``scene``.

    >>> scene_variable("local_minimum", "lr")
    'OPTANIM_LOCAL_MINIMUM_LR'
    """
    return f"OPTANIM_{scene.upper()}_{key.upper()}"
