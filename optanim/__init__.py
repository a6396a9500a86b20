"""optanim: the lesson "Optimization and Deep Learning", animated.

The package is built in layers, each importing only those above it in this list:

1. :mod:`optanim.lesson` and :mod:`optanim.narration`: the lesson's figures,
   landscapes, descent dynamics and parameters, and the lecture's words and
   voices. No manim.
2. :mod:`optanim.render`: what draws with manim, and the one module that reaches
   into manim's internals.
3. :mod:`optanim.build`: render jobs, the process runner, files written in place.
4. :mod:`optanim.qa` and :mod:`optanim.outputs`: frame matching, and the lecture,
   decks, stills, clips and previews.
5. :mod:`optanim.cli`: the ``optanim`` command.
"""

__version__ = "0.2.0"
