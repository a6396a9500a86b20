"""Short clips of each scene, to embed in slides: MP4, WebM or GIF.

optanim clips --format webm -t media/clips/medium/<scene>_webm_alpha.webm
optanim clips --mute           media/clips/medium/<scene>_mute.mp4
"""

from __future__ import annotations

import shutil

from optanim.build.files import CliError, written_in_place
from optanim.build.request import Request, built_scenes
from optanim.build.runner import say
from optanim.outputs.mux import mux

CLIP_FORMATS = ("mp4", "webm", "gif")


def make_clips(
    request: Request,
    names: list[str],
    format: str,
    transparent: bool,
    mute: bool = False,
) -> None:
    """Copies each scene's clip into ``clips/<quality>/``, named by scene (and
    its language, if not English); ``mute`` leaves out the narration."""
    if transparent and format == "mp4":
        raise CliError("an MP4 has no alpha channel: use --format webm or gif")
    options = {"format": format, "transparent": transparent}
    jobs = request.scene_jobs(built_scenes(names), **options)
    request.run(jobs)
    folder = request.media / "clips" / request.quality
    folder.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        langs = job.source.langs
        tags = [] if langs == ("en",) else ["-".join(langs)]
        tags += ["alpha"] * transparent + ["mute"] * mute
        clip = folder / ("_".join([job.scene.name, *tags]) + f".{format}")
        if mute and format == "mp4":
            mux(job.output, clip)  # the video alone, in place
        else:
            with written_in_place(clip) as temp:
                shutil.copyfile(job.output, temp)
        say(f"clip: {clip.stat().st_size / 1e6:.1f} MB -> {clip}")
