"""The 3D saddle scene: its dynamics, its projection, its last frame, one render."""

import av
import numpy as np
import pytest
from conftest import cues_by_slide, last_frame, render_tiny, slide_spans
from matplotlib.backends.backend_agg import FigureCanvasAgg
from mpl_toolkits.mplot3d import proj3d

from optanim.lesson import params
from optanim.lesson.camera3d import Camera3D, axes_frame, wireframe_lines
from optanim.lesson.catalog import BY_NAME
from optanim.lesson.figures import C0, SPECS
from optanim.narration import subtitles
from optanim.narration.script import estimate_seconds, scene_lines
from optanim.qa import framematch as fm
from optanim.qa.original import draw_original
from scenes.saddle_3d import Saddle3D

SPEC = SPECS["saddle_3d"]
VIEW = SPEC.view3d
BEATS = 7
NAME = "saddle_3d"
# matplotlib's default view, the scene's two side views, and a few odd ones.
VIEWS = [(30, -60), (15, -85), (15, -5), (45, 30), (-20, 150), (60, 200)]


# -- dynamics -----------------------------------------------------------------


def test_ball_on_the_x_axis_stalls_at_the_saddle():
    stall = params.resolve("saddle_3d").paths["stall"]
    assert np.all(stall[:, 1] == 0)  # no gradient ever pushes it off the axis
    assert np.hypot(*stall[-1]) < 1e-3


def test_ball_off_the_axis_escapes_past_half_without_leaving_the_plot():
    p = params.resolve("saddle_3d")
    escape = p.paths["escape"]
    assert abs(escape[0, 1]) == p.offset_y
    assert abs(escape[-1, 1]) > params.ESCAPE_Y > abs(escape[-2, 1])
    assert np.abs(escape).max() <= 1
    near_saddle = np.hypot(escape[:, 0], escape[:, 1]) < 0.1
    assert near_saddle.sum() >= 10  # it lingers before it escapes


def test_smaller_offset_escapes_later():
    steps = [
        len(params.resolve("saddle_3d", {"offset_y": y}).paths["escape"])
        for y in (1e-2, 1e-3, 1e-5)
    ]
    assert steps[0] < steps[1] < steps[2]


def test_seed_picks_the_side_of_escape():
    sides = {
        np.sign(params.resolve("saddle_3d", {"seed": s}).paths["escape"][-1, 1])
        for s in range(8)
    }
    assert sides == {-1.0, 1.0}
    again = [params.resolve("saddle_3d", {"seed": 3}).start_y() for _ in range(2)]
    assert again[0] == again[1]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"lr": 1.2}, "diverges"),  # x flips and grows by |1 − 2η| > 1
        ({"lr": 0.9}, "diverges"),  # y jumps past the plotted square in one step
        ({"offset_y": 0}, "offset_y"),
        ({"offset_y": 1e-60}, "steps to escape"),
        ({"start_x": 1.5}, "outside the plotted domain"),
        ({"seed": 0.5}, "seed"),
        ({"seed": -1}, "seed"),
    ],
)
def test_unusable_parameters_raise_one_line(override, message):
    with pytest.raises(params.ParamError, match=message) as err:
        params.resolve("saddle_3d", override)
    assert "\n" not in str(err.value)


def test_overrides_come_from_the_environment():
    env = {"OPTANIM_SADDLE_3D_OFFSET_Y": "0.01", "OPTANIM_SADDLE_3D_SEED": "4"}
    p = params.resolve("saddle_3d", environ=env)
    assert (p.offset_y, p.seed) == (0.01, 4)


# -- the projection -----------------------------------------------------------


def _matplotlib(elev: float, azim: float):
    fig = draw_original(SPEC)
    ax = fig.axes[0]
    ax.view_init(elev, azim)
    FigureCanvasAgg(fig).draw()
    camera = Camera3D(VIEW.xlim, VIEW.xlim, VIEW.zlim, elev, azim)
    return ax, camera


@pytest.mark.parametrize("view", VIEWS)
def test_projection_is_matplotlibs(view):
    ax, camera = _matplotlib(*view)
    np.testing.assert_allclose(camera.matrix, ax.get_proj(), atol=1e-12)
    points = np.random.default_rng(0).uniform(-1, 1, (200, 3))
    x, y, _ = proj3d.proj_transform(*points.T, ax.get_proj())
    theirs = ax.transLimits.transform(np.column_stack([x, y]))  # axes fractions
    np.testing.assert_allclose(camera.to_axes(points), theirs, atol=1e-12)


@pytest.mark.parametrize("view", VIEWS)
def test_panes_grid_ticks_and_labels_sit_where_matplotlib_draws_them(view):
    ax, camera = _matplotlib(*view)
    side = ax.bbox.height / ax.figure.dpi
    frame = axes_frame(camera, VIEW.ticks, (side, side))
    to_axes = ax.transLimits.transform
    for i, axis in enumerate((ax.xaxis, ax.yaxis, ax.zaxis)):
        np.testing.assert_allclose(frame.panes[i], to_axes(axis.pane.xy), atol=1e-12)
        line = np.column_stack(axis.line.get_data())
        np.testing.assert_allclose(frame.lines[i], to_axes(line), atol=1e-12)
        grid = np.asarray(axis.gridlines.get_segments())
        np.testing.assert_allclose(
            frame.grid[i], to_axes(grid.reshape(-1, 2)).reshape(grid.shape), atol=1e-12
        )
        for k, tick in enumerate(axis.get_major_ticks()):
            mark = np.column_stack(tick.tick1line.get_data())
            np.testing.assert_allclose(frame.ticks[i, k], to_axes(mark), atol=1e-12)
            anchor = to_axes(tick.label1.get_position())
            np.testing.assert_allclose(frame.tick_labels[i, k], anchor, atol=1e-12)
        if axis.label.get_text():
            anchor = to_axes(axis.label.get_position())
            np.testing.assert_allclose(frame.labels[i], anchor, atol=1e-12)


def test_wireframe_has_matplotlibs_lines():
    ax = draw_original(SPEC).axes[0]
    ours = wireframe_lines(*VIEW.mesh(), VIEW.stride, VIEW.stride)
    assert ours.shape == (32, 31, 3)
    np.testing.assert_array_equal(ours, np.asarray(ax.collections[0]._segments3d))


# -- the last frame -----------------------------------------------------------


@pytest.fixture(scope="module")
def frames():
    frame = last_frame(Saddle3D)
    return frame, fm.figure_rgb(draw_original(SPEC, dpi=100))


def test_last_frame_wireframe_overlaps_the_originals(frames):
    frame, original = frames
    ours, theirs = fm.line_pixels(frame, C0), fm.line_pixels(original, C0)
    # Turning matplotlib's camera by 10° already drops this score to about 0.55.
    assert fm.wireframe_overlap(ours, theirs, k=0.005) > 0.99
    a, b = fm.wireframe(frame).box, fm.wireframe(original).box
    assert a.width / a.height == pytest.approx(b.width / b.height, rel=0.01)


def test_last_frame_marker_sits_on_the_originals(frames):
    frame, original = frames
    ours, theirs = fm.wireframe(frame).marker, fm.wireframe(original).marker
    np.testing.assert_allclose(ours, theirs, atol=0.015)


def test_last_frame_shows_nothing_but_the_figure(frames):
    frame, _ = frames
    ball = fm.line_pixels(frame, "#ff7f0e", 0.1) | fm.line_pixels(frame, "#2ca02c", 0.1)
    assert not ball.any()


# -- one real render ----------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    return folder, render_tiny(folder, BY_NAME["saddle_3d"])


def test_real_render_is_a_playable_mp4(rendered):
    _, videos = rendered
    with av.open(str(videos / "Saddle3D.mp4")) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert (stream.width, stream.height) == (160, 90)
        seconds = float(container.duration / av.time_base)
    p = params.resolve("saddle_3d")
    paths = p.paths
    descents = (len(paths["stall"]) + len(paths["escape"]) - 2) * p.seconds_per_step
    # The timeline follows the words: at least every line's estimated speech,
    # and at most that with every descent and the other animations on top.
    speech = sum(
        estimate_seconds(line.say, "en") for line in scene_lines(NAME, p, "en")
    )
    assert max(descents, speech) < seconds < speech + descents + 25
    assert abs(frames - seconds * 5) <= 1


def test_real_render_leaves_one_slide_per_beat_and_its_captions_within_it(rendered):
    folder, videos = rendered
    spans = slide_spans(folder / "slides" / "Saddle3D.json")
    assert len(spans) == BEATS
    cues = subtitles.parse_srt((videos / "Saddle3D.srt").read_text())
    assert cues_by_slide(cues, spans) == [notes for _, _, notes in spans]
    for start, _, _ in spans:  # each beat's words begin after a short lead-in
        first = min(c.start for c in cues if c.start >= start)
        assert start < first <= start + 0.4 + 1 / 5 + 0.001
