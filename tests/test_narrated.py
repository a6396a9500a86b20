"""Lines on the scene's clock: a line timed to a descent ends as its ball stops."""

import numpy as np
from manim import tempconfig

from scenes.local_minimum import LocalMinimum

FPS = 5


def f(x):
    return x * np.cos(np.pi * x)


def df(x):
    return np.cos(np.pi * x) - np.pi * x * np.sin(np.pi * x)


class SlowDescent(LocalMinimum):
    """The right beat's second line, timed to a descent that outlasts it."""

    def construct(self):
        path = [0.6]
        for _ in range(60):  # 7.2 s at the default pace
            path.append(path[-1] - 0.01 * df(path[-1]))
        path = np.array(path)
        ball = self.on_curve(self.ball("#2ca02c"), f, df, path[0])
        self.beat("right")
        self.add(ball)
        self.until_said()
        self.timed_at = self.time
        self.seconds = self.say(ending_in=self.descent_seconds(path))
        self.descend(ball, path, (f, df))
        self.stopped = self.time
        self.finish()


def test_a_line_timed_to_a_descent_ends_as_the_ball_stops():
    options = {
        "pixel_width": 128,
        "pixel_height": 72,
        "frame_rate": FPS,
        "write_to_movie": False,
        "disable_caching": True,
        "verbosity": "ERROR",
        "progress_bar": "none",
    }
    with tempconfig(options):
        scene = SlowDescent()
        scene.render()
    timed, start = scene.spoken()[1]
    assert timed.line.id == "local_minimum.right.2"
    # the words are shorter than the descent: they start late enough to end with it
    assert scene.seconds < scene.stopped - scene.timed_at - 1.0
    assert start > scene.timed_at
    assert abs(start + timed.seconds - scene.stopped) <= 0.5 / FPS  # to the frame
