"""What a user meets at the command line, one row per case, each checked the
same way: the exit status, at most one line on stderr and no traceback, what
stdout says, and that the output decodes (PyAV).

Renders are local_minimum at 128x72, 5 fps and five steps a descent. The rows
that need an earlier render of optanim start from a copy of one, made once.
"""

from __future__ import annotations

import argparse
import errno
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import NamedTuple

import av
import pytest

from optanim import __version__, cli
from optanim.build import files, runner
from optanim.build.jobs import Job

SCENE, CLS = "local_minimum", "LocalMinimum"
TINY = ["-q", "low", "--resolution", "128,72", "--fps", "5", "--set", "steps=5"]
RENDER = ["render", SCENE, *TINY]
CLIP = Path(f"media/optanim/videos/{SCENE}/72p5/{CLS}.mp4")
STILL = Path(f"media/optanim/images/{SCENE}/{CLS}_low.png")
PLAIN = Path(f"media/videos/{SCENE}/72p5/{CLS}.mp4")  # where plain manim writes


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTANIM_")}
    return env | {"OPTANIM_VOICE": "espeak"} | settings


# -- what each row starts from ---------------------------------------------------
def plain_manim(monkeypatch) -> None:
    """``OPTANIM_LOCAL_MINIMUM_LR=0.02 manim -ql -n 1,2 …``: plain manim's own
    render, of other parameters and only two animations, beside optanim's."""
    env = clean_env(OPTANIM_LOCAL_MINIMUM_LR="0.02", OPTANIM_LOCAL_MINIMUM_STEPS="5")
    scene = Path(__file__).resolve().parents[1] / "scenes" / f"{SCENE}.py"
    tiny = ["-ql", "-n", "1,2", "-r", "128,72", "--fps", "5", "--disable_caching"]
    command = [sys.executable, "-m", "manim", "render", *tiny, str(scene), CLS]
    subprocess.run(command, env=env, check=True, capture_output=True)
    assert frames(PLAIN) > 0


def foreign_clip(monkeypatch) -> None:
    """A clip optanim did not write, at the very path of optanim's."""
    CLIP.with_suffix(".mp4.key").unlink()
    with av.open(str(CLIP), "w") as container:
        stream = container.add_stream("libx264", rate=5)
        stream.width, stream.height, stream.pix_fmt = 128, 72, "yuv420p"
        frame = av.VideoFrame(128, 72, "yuv420p")
        container.mux(stream.encode(frame))
        container.mux(stream.encode())


def emptied_clip(monkeypatch) -> None:
    """``: > media/…/LocalMinimum.mp4``, under optanim's stamp."""
    CLIP.write_bytes(b"")


def writes_garbage(monkeypatch) -> None:
    """A render that ends well and leaves a file no reader decodes."""

    def command(self, temp):
        part = self.folder / f"{temp}.mp4"
        return [sys.executable, "-c", f"open({str(part)!r}, 'wb').write(b'0' * 999)"]

    monkeypatch.setattr(Job, "command", command)


def fails_saying_disk_full(monkeypatch) -> None:
    line = "OSError: [Errno 28] No space left on device"
    code = f"import sys; sys.stderr.write({line!r}); sys.exit(1)"
    monkeypatch.setattr(Job, "command", lambda self, temp: [sys.executable, "-c", code])


def fails_silently_on_a_full_disk(monkeypatch) -> None:
    """The log, on the full disk, was cut before the cause."""
    code = "raise SystemExit(1)"
    monkeypatch.setattr(Job, "command", lambda self, temp: [sys.executable, "-c", code])
    monkeypatch.setattr(runner, "free_bytes", lambda path: 0)


def disk_full_on_our_write(monkeypatch) -> None:
    def full(params, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(runner.scene_params, "dump", full)


# -- the table ----------------------------------------------------------------------
class Case(NamedTuple):
    argv: list[str]
    status: int
    err: str | None = None  # part of the one stderr line; None: stderr is empty
    out: tuple[str, ...] = ()  # parts of stdout
    output: Path | None = None  # what must exist and decode
    given: Callable | None = None  # what happens first, given monkeypatch
    baseline: bool = False  # start from a copy of an earlier render
    toml: str | None = None
    env: dict = {}
    not_out: tuple[str, ...] = ()  # what stdout must not say


CASES = {
    "--version": Case(["--version"], 0, out=(f"optanim {__version__}",)),
    "help shows every default": Case(
        ["clips", "--help"], 0, out=("(default: low for gif, else medium)",)
    ),
    "toml type error": Case(
        RENDER, 2, "[local_minimum]: lr must be a number, got str",
        toml='[local_minimum]\nlr = "fast"\n',
    ),
    "toml with a BOM": Case(
        RENDER, 2, "optanim.toml starts with a byte-order mark",
        toml="\ufefftheme = 1\n",
    ),
    "OPTANIM_CONFIG empty": Case(
        RENDER, 2, "OPTANIM_CONFIG is set but empty", env={"OPTANIM_CONFIG": ""}
    ),
    "theme and --set theme disagree": Case(
        [*RENDER, "--theme", "dark", "--set", "theme=light"], 2,
        "--theme dark and --set theme=light disagree",
    ),
    "up to date says so, and never 'rendering'": Case(
        RENDER, 0, out=(f"[1/1] {SCENE}: up to date",), output=CLIP, baseline=True,
        not_out=("rendering", "rendered"),
    ),
    "a scene named twice is one output": Case(
        ["render", SCENE, SCENE, *TINY], 0, out=("[1/1]", "done: 1 output(s)"),
        output=CLIP, baseline=True, not_out=("[2/2]",),
    ),
    "an ascii terminal, --rerender, an apostrophe in the media folder": Case(
        [*RENDER, "--rerender", "--media-dir", "it's media"], 0,
        out=(f"  ... {SCENE}: rendering at low (asked to)", "-> it's media/"),
        output=Path("it's media") / CLIP.relative_to("media"), baseline=True,
        env={"PYTHONIOENCODING": "ascii"},
    ),
    "plain manim beside optanim": Case(
        RENDER, 0, out=(f"{SCENE}: up to date",), output=CLIP, baseline=True,
        given=plain_manim,
    ),
    "a clip optanim did not write": Case(
        RENDER, 0, out=("rendering at low (not rendered by optanim)",), output=CLIP,
        baseline=True, given=foreign_clip,
    ),
    "an emptied clip": Case(
        RENDER, 0, out=("rendering at low (changed since it was rendered)",),
        output=CLIP, baseline=True, given=emptied_clip,
    ),
    "a render that writes what does not decode": Case(
        [*RENDER, "--rerender"], 2,
        f"rendering {SCENE} wrote a file that does not decode (", output=CLIP,
        baseline=True, given=writes_garbage,
    ),
    "disk full, said in the log": Case(
        [*RENDER, "--rerender"], 2, f"rendering {SCENE} failed: no space left on /",
        output=CLIP, baseline=True, given=fails_saying_disk_full,
    ),
    "disk full, the log cut before the cause": Case(
        [*RENDER, "--rerender"], 2, f"rendering {SCENE} failed: no space left on /",
        output=CLIP, baseline=True, given=fails_silently_on_a_full_disk,
    ),
    "disk full on optanim's own write": Case(
        [*RENDER, "--rerender"], 1, "error: no space left on /", output=CLIP,
        baseline=True, given=disk_full_on_our_write,
    ),
    "stills too small to measure, in a folder an ascii terminal cannot print": Case(
        ["stills", SCENE, *TINY, "--media-dir", "médias"], 0,
        out=("side-by-side sheet -> m?dias/stills/side_by_side_low.png",),
        output=Path("médias") / STILL.relative_to("media"),
        env={"PYTHONIOENCODING": "ascii"},
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """An optanim render of the scene, with its stamp, in one folder for every
    pytest-xdist worker: optanim's lock and stamp make one of them render it.
    In this process, as the rows run: its key hashes the frame code as this
    process read it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / "user_cases_baseline"
    folder.mkdir(exist_ok=True)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, redirect_stdout(out):
        mp.chdir(folder)
        for key in [k for k in os.environ if k.startswith("OPTANIM_")]:
            mp.delenv(key)
        mp.setenv("OPTANIM_VOICE", "espeak")
        assert cli.main([*RENDER, "-j", "1"]) == 0, out.getvalue()
    return folder / "media"


def frames(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (128, 72)
        return sum(1 for _ in container.decode(stream))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_what_a_user_meets(case: Case, request, monkeypatch, capsys):
    argv = case.argv
    media = Path(
        argv[argv.index("--media-dir") + 1] if "--media-dir" in argv else "media"
    )
    before = None
    if case.baseline:
        shutil.copytree(request.getfixturevalue("baseline"), media)
        before = (media / CLIP.relative_to("media")).read_bytes()
    if case.toml is not None:
        Path("optanim.toml").write_text(case.toml)
    if case.given:
        case.given(monkeypatch)
    plain = PLAIN.read_bytes() if PLAIN.exists() else None

    for key, value in case.env.items():
        monkeypatch.setenv(key, value)  # and so for the renders optanim starts
    if "PYTHONIOENCODING" in case.env:  # stdout as Python would open it
        stdout = io.TextIOWrapper(io.BytesIO(), encoding=case.env["PYTHONIOENCODING"])
        monkeypatch.setattr(sys, "stdout", stdout)
    try:
        status = cli.main(case.argv)
    except SystemExit as stop:  # argparse: --version, --help
        status = stop.code
    out, err = capsys.readouterr()
    if "PYTHONIOENCODING" in case.env:
        sys.stdout.flush()
        out = sys.stdout.buffer.getvalue().decode("ascii")  # ascii, or this fails

    assert status == case.status, out + err
    assert "Traceback" not in out + err
    if case.err is None:
        assert err == "", err
    else:
        assert len(err.splitlines()) == 1, err
        assert err.startswith("optanim: error: ")
        assert case.err in err
    for part in case.out:
        assert part in out, out
    for part in case.not_out:
        assert part not in out, out
    if case.output is not None:
        assert frames(case.output) > 0
    if case.status != 0 and before is not None:  # a failure replaces nothing
        assert case.output.read_bytes() == before
    if plain is not None:  # optanim never touches plain manim's files
        assert PLAIN.read_bytes() == plain
        assert (media / CLIP.relative_to("media")).read_bytes() == before
    assert not list(media.rglob("*.part*")), "a temporary file was left behind"


def test_every_option_says_what_it_does_and_its_default():
    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if a.choices and a.dest == "command"]
    for name, command in commands.choices.items():
        for action in command._actions:
            if action.dest == "help":
                continue
            where = f"optanim {name} {'/'.join(action.option_strings) or action.dest}"
            assert action.help != argparse.SUPPRESS, where
            assert "default: " in (action.help or ""), where


def test_a_cut_clip_does_not_count_as_decodable(baseline):
    whole = baseline / CLIP.relative_to("media")
    assert files.undecodable(whole) is None
    cut = Path("cut.mp4")
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert files.undecodable(cut)
    Path("cut.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 99)
    assert files.undecodable(Path("cut.png"))


def test_progress_lines_of_renders_side_by_side_stay_whole(tmp_path):
    """Two optanim processes on one terminal (a pipe here), each with renders
    side by side in threads: every line arrives whole."""
    code = (
        "import threading; from optanim.build.runner import say\n"
        "def talk(n): [say(f'[{n}] ' + '…' * 300 + f' {i}') for i in range(300)]\n"
        "ts = [threading.Thread(target=talk, args=(n,)) for n in range(3)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
    )
    env = clean_env(PYTHONIOENCODING="utf-8")
    read, write = os.pipe()
    talkers = [
        subprocess.Popen([sys.executable, "-c", code], stdout=write, env=env)
        for _ in range(2)
    ]
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as pipe:
        lines = pipe.read().splitlines()
    assert [talker.wait() for talker in talkers] == [0, 0]
    assert len(lines) == 2 * 3 * 300
    for line in lines:
        assert re.fullmatch(r"\[\d\] …{300} \d+", line), line
