"""Short clips of each scene, to embed in slides: MP4, WebM or GIF.

optanim clips --format webm -t media/clips/medium/<scene>_alpha.webm
"""

from __future__ import annotations

import shutil

from optanim.build.files import CliError, written_in_place
from optanim.build.request import Request, built_scenes
from optanim.build.runner import say

CLIP_FORMATS = ("mp4", "webm", "gif")


def make_clips(
    request: Request, names: list[str], format: str, transparent: bool
) -> None:
    """Copies each scene's clip into ``clips/<quality>/``, named by scene."""
    if transparent and format == "mp4":
        raise CliError("an MP4 has no alpha channel: use --format webm or gif")
    options = {"format": format, "transparent": transparent}
    jobs = request.scene_jobs(built_scenes(names), **options)
    request.run(jobs)
    folder = request.media / "clips" / request.quality
    folder.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        alpha = "_alpha" if transparent else ""
        clip = folder / f"{job.scene.name}{alpha}.{format}"
        with written_in_place(clip) as temp:
            shutil.copyfile(job.output, temp)
        say(f"clip: {clip.stat().st_size / 1e6:.1f} MB -> {clip}")
