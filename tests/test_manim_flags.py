"""manim's own flags on a lesson scene: each works, or refuses in one line.

Every row runs ``manim`` on a scene file as a user would, at a tiny size and
frame rate, in a folder of its own, and checks the exit status, that nothing on
stderr is a traceback, and that what it should write is there and decodes.
"""

import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENE = [str(ROOT / "scenes" / "local_minimum.py"), "LocalMinimum"]
CARD = [str(ROOT / "scenes" / "title_card.py"), "Card"]
TINY = ["-r", "160,90", "--fps", "5"]
VIDEO = "media/videos/local_minimum/90p5/LocalMinimum.mp4"

# name, arguments after `manim`, folder it runs in, exit status, files it
# writes (a glob under that folder, and the size of the pictures)
CASES = [
    ("dry run", ["--dry_run", *TINY, *SCENE], ".", 0, None),
    ("opengl", ["render", "--renderer=opengl", *TINY, *SCENE], ".", 2, None),
    ("odd size", ["-r", "161,91", "--fps", "5", *CARD], ".", 0,
     ("media/videos/title_card/91p5/Card.mp4", (160, 90))),
    ("apostrophe", [*TINY, *SCENE], "lecturer's talk", 0, (VIDEO, (160, 90))),
    ("last frame", ["-s", *TINY, *SCENE], ".", 0,
     ("media/images/local_minimum/LocalMinimum*.png", (160, 90))),
    ("png frames", ["--format", "png", *TINY, *CARD], ".", 0,
     ("media/images/title_card/Card*.png", (160, 90))),
]  # fmt: skip


def decoded_size(path: Path) -> tuple[int, int]:
    """The size of the pictures in ``path``, once every frame has decoded."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    assert frames, path
    return frames[-1].width, frames[-1].height


@pytest.mark.parametrize(
    ("args", "folder", "status", "writes"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_manim_flag_works_or_refuses_in_one_line(
    tmp_path, args, folder, status, writes
):
    cwd = tmp_path / folder
    cwd.mkdir(exist_ok=True)
    env = os.environ | {"OPTANIM_VOICE": "espeak"}
    done = subprocess.run(
        [sys.executable, "-m", "manim", *args, "--media_dir", str(cwd / "media")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-3000:]
    assert done.returncode == status, done.stderr[-3000:]
    if status:
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        return
    written = sorted(cwd.glob(writes[0])) if writes else []
    if writes is None:
        assert not list(cwd.glob("media/videos/**/*.mp4"))
        assert not list(cwd.glob("media/images/**/*.png"))
        return
    assert written, sorted(p.relative_to(cwd) for p in cwd.rglob("*.*"))
    for path in written[:: max(1, len(written) // 3)]:
        assert decoded_size(path) == writes[1], path
