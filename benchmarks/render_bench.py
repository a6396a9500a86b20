"""Render benchmark (not a test): prints a markdown table.

    .venv/bin/python benchmarks/render_bench.py [--json out.json] [--quick]

Each existing scene is rendered by ``manim render`` at -ql and -qh, caching off, and
timed (wall, peak RSS via ``os.wait4``); its MP4 is read back with PyAV. References:
the encoder alone (PyAV libx264/yuv420p/crf 23, as manim 0.21 encodes partial movies,
and at our own settings) and a matplotlib peer of local_minimum. At -qh each scene is
also rendered through manim's own writer, to compare our encode with its (PSNR, size).
``optanim lecture``/``preview`` when present.

Held frames: one scene rendered at -qh as it is and with 20 s more held at its
end, in turns; the difference over 20 is what one more held second costs
(``held_second_wall_s`` in the JSON). The narrated lecture's length and real-time
factor come from ``optanim lecture`` cold (speech synthesis included), and the
synthesis of the whole script is timed alone, cold and then cached.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from optanim.lesson.catalog import SCENES  # noqa: E402
from optanim.lesson.landscapes import f, grad_f  # noqa: E402
from optanim.render.encoder import CODEC_OPTIONS  # noqa: E402

PY = sys.executable
OPTANIM = str(Path(PY).with_name("optanim"))
QUALITIES = {"l": (854, 480, 15), "h": (1920, 1080, 60)}
AV_OPTIONS = {"an": "1", "crf": "23"}  # manim 0.21 scene_file_writer.py
# `manim` with the scenes on manim's own renderer and writer, one encoder per clip
MANIM_WRITER = (
    "import sys, optanim.render.internals as e; "
    "from manim.renderer.cairo_renderer import CairoRenderer; "
    "e.Renderer = CairoRenderer; from manim.__main__ import main; "
    "sys.argv[0] = 'manim'; main()"
)


def machine() -> str:
    info = Path("/proc/cpuinfo")
    text = info.read_text() if info.exists() else ""
    cpu = next(iter(re.findall(r"model name\s*:\s*(.+)", text)), "unknown CPU")
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def run(
    cmd: list[str], cwd: Path = ROOT, env: dict | None = None
) -> tuple[float, float, str, int]:
    """Wall seconds, peak RSS (MiB) of the process tree's largest member, output."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        log.seek(0)
        out = log.read().decode(errors="replace")
    return wall, usage.ru_maxrss / 1024, out, os.waitstatus_to_exitcode(status)


def read_mp4(path: Path) -> tuple[int, float, np.ndarray | None]:
    """Frame count, duration in seconds, and the last frame as RGB."""
    frames, last = 0, None
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        rate = float(stream.average_rate or 0)
        for frame in c.decode(stream):
            frames, last = frames + 1, frame
        rgb = last.to_ndarray(format="rgb24") if last is not None else None
    return frames, frames / rate if rate else 0.0, rgb


def newest_mp4(media: Path) -> Path | None:
    mp4s = [p for p in media.rglob("*.mp4") if "partial_movie_files" not in p.parts]
    return max(mp4s, key=lambda p: p.stat().st_mtime, default=None)


def yuv_planes(path: Path):
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            yield frame.to_ndarray(format="yuv420p").astype(np.float32)


def psnr(ours: Path, reference: Path) -> tuple[float, float]:
    """PSNR in dB of ``ours`` against ``reference``, both decoded to yuv420p:
    of the mean squared error over all frames (as ffmpeg's psnr filter averages),
    and of the worst frame."""
    errors = [
        float(np.mean((a - b) ** 2))
        for a, b in zip(yuv_planes(ours), yuv_planes(reference), strict=True)
    ]
    db = lambda mse: 10 * np.log10(255**2 / max(mse, 1e-10))  # noqa: E731
    return db(float(np.mean(errors))), db(max(errors))


def encode_fps(frames_rgb, n: int, fps: int, options: dict = AV_OPTIONS) -> float:
    """Fps of encoding ``n`` frames (an RGB array, or ``i -> array``) as manim does:
    RGBA frames into libx264, yuv420p, with ``options`` (by default manim's, CRF 23).
    A short untimed run warms up first."""
    get = frames_rgb if callable(frames_rgb) else lambda i: frames_rgb
    first = get(0)
    rgba = np.dstack([first, np.full(first.shape[:2], 255, np.uint8)])
    with tempfile.TemporaryDirectory() as tmp:
        for count in (min(n, 30), n):  # the first run warms up, the second counts
            start = time.perf_counter()
            with av.open(f"{tmp}/out.mp4", mode="w") as c:
                stream = c.add_stream("libx264", rate=Fraction(fps), options=options)
                stream.pix_fmt = "yuv420p"
                stream.height, stream.width = first.shape[:2]
                for i in range(count):
                    img = rgba if i == 0 or not callable(frames_rgb) else get(i)
                    fmt = "rgba" if img.shape[2] == 4 else "rgb24"
                    c.mux(stream.encode(av.VideoFrame.from_ndarray(img, format=fmt)))
                c.mux(stream.encode())
            elapsed = time.perf_counter() - start
        return n / elapsed


def bench_scene(entry, q: str) -> dict:
    args = ["render", f"-q{q}", "--disable_caching", str(entry.path), entry.cls]
    with tempfile.TemporaryDirectory() as media:
        wall, rss, out, rc = run([PY, "-m", "manim", *args, "--media_dir", media])
        mp4 = newest_mp4(Path(media))
        if rc or mp4 is None:
            return {"scene": entry.name, "q": q, "error": out[-800:]}
        frames, video_s, last = read_mp4(mp4)
        versus_manim = {}
        if q == "h":  # the same scene through manim's own writer
            theirs = Path(media, "manim")
            run([PY, "-c", MANIM_WRITER, *args, "--media_dir", str(theirs)])
            reference = newest_mp4(theirs)
            mean_db, worst_db = psnr(mp4, reference)
            size = mp4.stat().st_size / reference.stat().st_size
            versus_manim = dict(psnr_db=mean_db, worst_frame_db=worst_db, size=size)
    w, h, fps = QUALITIES[q]
    rtf = wall / video_s if video_s else None
    return dict(
        versus_manim=versus_manim,
        scene=entry.name,
        q=q,
        size=f"{w}x{h}@{fps}",
        frames=frames,
        video_s=video_s,
        wall_s=wall,
        fps=frames / wall,
        rtf=rtf,
        rss_mib=rss,
        _last=last,
    )


HELD_SECONDS = 20
# every line of every scene, spoken by the default voice into OPTANIM_SPEECH_DIR
SPEAK_ALL = """
import json, time
from optanim.lesson import params
from optanim.lesson.catalog import SCENES
from optanim.narration import script
started = time.perf_counter()
narration = script.resolve(lang="en")[0]
lines = {}
for entry in SCENES:
    if entry.exists:
        scene_params = params.resolve(entry.name)
        for line in script.scene_lines(entry.name, scene_params, narration.lang):
            lines[line.id] = line
cache = script.speak_all(narration, list(lines.values()))
found = dict(voice=narration.voice.name, lines=len(lines))
found["speech_s"] = sum(narration.timed(line, cache).seconds for line in lines.values())
found["synthesized"] = cache.synthesized
found["in_process_s"] = time.perf_counter() - started
print(json.dumps(found))
"""


def held_scene(entry, folder: Path) -> Path:
    """A scene file of ``entry``'s scene with HELD_SECONDS more held at its end."""
    path = folder / f"{entry.name}_held.py"
    path.write_text(
        f"from scenes.{entry.name} import {entry.cls} as Scene\n\n\n"
        f"class {entry.cls}(Scene):\n"
        "    def construct(self):\n"
        "        super().construct()\n"
        f"        self.wait({HELD_SECONDS})\n"
    )
    return path


def bench_held(entry, pairs: int) -> dict:
    """What one more held second costs at -qh: ``entry`` rendered as it is and
    with HELD_SECONDS more held, in turns; medians, and the median of each
    pair's difference over HELD_SECONDS."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    runs: dict[str, list] = {"as_is": [], "held": []}
    with tempfile.TemporaryDirectory() as tmp:
        files = {"as_is": entry.path, "held": held_scene(entry, Path(tmp))}
        for _ in range(pairs):
            for kind, path in files.items():
                media = Path(tmp, kind)
                shutil.rmtree(media, ignore_errors=True)
                cmd = [PY, "-m", "manim", "render", "-qh", "--disable_caching"]
                cmd += ["--media_dir", str(media), str(path), entry.cls]
                wall, _, out, rc = run(cmd, env=env)
                mp4 = newest_mp4(media)
                if rc or mp4 is None:
                    return {"scene": entry.name, "error": out[-800:]}
                runs[kind].append((wall, read_mp4(mp4)[1], mp4.stat().st_size))
    as_is, held = runs["as_is"], runs["held"]
    pairs_s = zip(as_is, held, strict=True)
    per_second = [(h[0] - a[0]) / HELD_SECONDS for a, h in pairs_s]
    return dict(
        scene=entry.name,
        pairs=pairs,
        as_is_wall_s=statistics.median(r[0] for r in as_is),
        held_wall_s=statistics.median(r[0] for r in held),
        as_is_video_s=as_is[0][1],
        held_video_s=held[0][1],
        held_second_wall_s=statistics.median(per_second),
        held_second_bytes=(held[0][2] - as_is[0][2]) / HELD_SECONDS,
    )


def bench_speech(results: dict) -> None:
    """Synthesis of the whole script by the default voice, cold then cached."""
    with tempfile.TemporaryDirectory() as cache:
        env = os.environ | {"OPTANIM_SPEECH_DIR": cache, "PYTHONPATH": str(ROOT)}
        for kind in ("cold", "cached"):
            wall, _, out, rc = run([PY, "-c", SPEAK_ALL], env=env)
            if rc:
                print(f"- speech synthesis ({kind}): failed, rc {rc}")
                return
            found = json.loads(out.strip().splitlines()[-1])
            results[f"speech_{kind}"] = found | {"wall_s": wall}
            speed = found["speech_s"] / wall
            speed = f", {speed:.0f}x real time" if kind == "cold" else ""
            print(
                f"- speech synthesis of the whole script ({kind}, {found['voice']}): "
                f"{wall:.1f} s wall for {found['lines']} lines, "
                f"{found['speech_s']:.1f} s of speech{speed}"
            )


def matplotlib_peer(n: int, width: int, height: int, fps: int) -> float:
    """A matplotlib user's version of the local-minimum clip: line + moving dot."""
    xs = np.linspace(-1.5, 2.0, 400)
    path = [-0.9]
    for _ in range(n - 1):  # gradient descent, one step per frame
        path.append(path[-1] - 0.01 * grad_f(path[-1]))
    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    FigureCanvasAgg(fig)  # Agg, as a FuncAnimation saved to video would draw
    ax = fig.add_subplot()
    ax.plot(xs, f(xs), color="tab:blue")
    (dot,) = ax.plot([path[0]], [f(path[0])], "o", color="tab:red", ms=12)
    (trail,) = ax.plot([], [], color="tab:red", lw=1)
    title = ax.set_title("")

    def draw(i: int) -> np.ndarray:  # FuncAnimation-style update
        dot.set_data([path[i]], [f(path[i])])
        trail.set_data(path[: i + 1], f(np.array(path[: i + 1])))
        title.set_text(f"t = {i}, x = {path[i]:.4f}")
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba())[..., :3]

    return encode_fps(draw, n, fps)


def duration(path: Path) -> float:
    """Seconds of video in ``path``, from its container."""
    with av.open(str(path)) as container:
        return container.duration / av.time_base


def bench_cli(results: dict, lecture_jobs: list[int]) -> None:
    """Time ``optanim lecture`` cold (with each of ``lecture_jobs``, speech
    synthesis included) and cached, and ``optanim preview``."""
    helptext = run([OPTANIM, "--help"])[2]
    found = re.findall(r"\{([^}]*)\}", helptext)
    cmds = set(found[0].split(",")) if found else set()
    if "lecture" not in cmds:
        print("- `optanim lecture`: not in this CLI, skipped")
    else:
        with tempfile.TemporaryDirectory() as media:
            for jobs in lecture_jobs:
                cmd = [OPTANIM, "lecture", "-q", "high", "--jobs", str(jobs)]
                wall, rss, out, rc = run(cmd + ["--media-dir", f"{media}/j{jobs}"])
                mp4 = Path(media, f"j{jobs}", "lecture", "high", "lecture.mp4")
                dur = duration(mp4) if mp4.exists() and not rc else 0.0
                rtf = f"{wall / dur:.2f}" if dur else "n/a"
                results[f"lecture_jobs{jobs}"] = dict(
                    wall_s=wall, video_s=dur, rtf=wall / dur if dur else None, rc=rc
                )
                print(
                    f"- lecture -q high --jobs {jobs}: {wall:.1f} s wall, "
                    f"{dur:.1f} s video, real-time factor {rtf}, rc {rc}"
                )
            wall, _, out, rc = run(cmd + ["--media-dir", f"{media}/j{jobs}"])
            cached = "up to date" in out.lower()
            results["lecture_cached"] = {"wall_s": wall, "up_to_date": cached, "rc": rc}
            print(
                f"- lecture cached re-run: {wall:.1f} s wall, "
                f"'up to date' reported: {cached}, rc {rc}"
            )
    if "preview" not in cmds:
        print("- `optanim preview`: not in this CLI, skipped")
    else:
        with tempfile.TemporaryDirectory() as media:
            wall, _, out, rc = run([OPTANIM, "preview", "--media-dir", media])
        results["preview"] = {"wall_s": wall, "rc": rc}
        print(f"- preview: {wall:.1f} s wall, rc {rc}")


PARTS = ("scenes", "held", "speech", "lecture")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the numbers here")
    ap.add_argument("--quick", action="store_true", help="-ql only, fewer scenes")
    ap.add_argument("--scenes", nargs="*", help="only these scene names")
    ap.add_argument("--qualities", default=None, help="e.g. 'lh' (default) or 'h'")
    ap.add_argument(
        "--only", default=",".join(PARTS), help=f"some of {','.join(PARTS)}"
    )
    ap.add_argument(
        "--held-scene", default="local_minimum", help="(default: %(default)s)"
    )
    ap.add_argument("--held-pairs", type=int, default=3, help="(default: %(default)s)")
    ap.add_argument(
        "--lecture-jobs", default="1,2", help="--jobs values (default: %(default)s)"
    )
    args = ap.parse_args()
    parts = set(args.only.split(","))
    entries = [e for e in SCENES if e.exists]
    if args.scenes:
        entries = [e for e in entries if e.name in args.scenes]
    elif args.quick:  # one scene, the peer's
        entries = [e for e in entries if e.name == "local_minimum"] or entries[:1]
    qualities = args.qualities or ("l" if args.quick else "lh")

    now = datetime.datetime.now()
    print(f"# Render benchmark\n\n{machine()}  \n{now:%Y-%m-%d %H:%M}\n")
    results = dict(machine=machine(), date=now.isoformat())
    if "scenes" in parts:
        bench_scenes(entries, qualities, args.quick, results)
    if "held" in parts and not args.quick:
        held = bench_held(
            next(e for e in SCENES if e.name == args.held_scene), args.held_pairs
        )
        results["held"] = held
        if "error" in held:
            print(f"- held frames: the render failed: {held['error']}")
        else:
            results["held_second_wall_s"] = held["held_second_wall_s"]
            print(
                f"- one more held second at 1080p60 ({held['scene']}, "
                f"{held['as_is_video_s']:.1f} s of video and {HELD_SECONDS} s more, "
                f"median of {held['pairs']} pairs in turns): "
                f"{held['held_second_wall_s']:.3f} s wall, "
                f"{held['held_second_bytes'] / 1024:.1f} KiB; "
                f"{held['as_is_wall_s']:.1f} s and {held['held_wall_s']:.1f} s wall"
            )
    if "speech" in parts:
        bench_speech(results)
    if "lecture" in parts:
        if args.quick:
            print("- optanim lecture/preview: skipped (--quick)")
        else:
            bench_cli(results, [int(j) for j in args.lecture_jobs.split(",")])

    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
        print(f"\nwrote {args.json}")


def bench_scenes(entries, qualities: str, quick: bool, results: dict) -> None:
    """Each scene at each quality, the encoder's ceilings and the peer."""
    rows = [bench_scene(e, q) for q in qualities for e in entries]
    ceilings, ours = {}, {}
    for q in qualities:  # the encoder alone, nothing else running
        w, h, fps = QUALITIES[q]
        blank = np.full((h, w, 3), 255, np.uint8)
        frame = next((r["_last"] for r in rows if r["q"] == q and "_last" in r), blank)
        ceilings[q] = encode_fps(frame, 60 if quick else 240, fps)
        ours[q] = encode_fps(frame, 60 if quick else 240, fps, CODEC_OPTIONS)

    print(
        "| scene | quality | frames | video s | wall s | fps | RTF | peak RSS MiB "
        "| % of encoder ceiling | % of ceiling at our settings |\n" + "|---" * 10 + "|"
    )
    for r in rows:
        if "error" in r:
            print(f"| {r['scene']} | -q{r['q']} | error: see JSON |" + " |" * 7)
            continue
        r["ratio_to_encoder"] = r["fps"] / ceilings[r["q"]]
        r["ratio_to_our_encoder"] = r["fps"] / ours[r["q"]]
        print(
            f"| {r['scene']} | -q{r['q']} {r['size']} | {r['frames']} | "
            f"{r['video_s']:.1f} | {r['wall_s']:.1f} | {r['fps']:.1f} | "
            f"{r['rtf']:.2f} | {r['rss_mib']:.0f} | "
            f"{100 * r['ratio_to_encoder']:.1f}% | "
            f"{100 * r['ratio_to_our_encoder']:.1f}% |"
        )
    print()
    for q, c in ceilings.items():
        print(
            f"- encoder ceiling -q{q}: {c:.1f} fps at manim's settings (PyAV libx264 "
            f"yuv420p crf 23), {ours[q]:.1f} fps at ours {CODEC_OPTIONS}"
        )
    compared = [r for r in rows if r.get("versus_manim")]
    if compared:
        print(
            "\n| scene at -qh | PSNR vs manim's encode, dB | worst frame, dB "
            "| size vs manim's |\n|---|---|---|---|"
        )
        for r in compared:
            v = r["versus_manim"]
            print(
                f"| {r['scene']} | {v['psnr_db']:.1f} | {v['worst_frame_db']:.1f} "
                f"| {v['size']:.2f}x |"
            )
        print()

    top = max(qualities, key="lh".index)  # the peer matches our best render
    ok = [r for r in rows if "error" not in r and r["q"] == top]
    peer_src = next((r for r in ok if r["scene"] == "local_minimum"), None)
    results["encoder_fps"] = ceilings
    results["encoder_fps_our_settings"] = ours
    if peer_src:
        w, h, fps = QUALITIES[peer_src["q"]]
        peer = matplotlib_peer(peer_src["frames"], w, h, fps)
        ratio = peer_src["fps"] / peer
        results["matplotlib_peer"] = dict(fps=peer, q=top, ours_over_peer=ratio)
        print(
            f"- matplotlib peer (Agg + PyAV, {peer_src['frames']} frames "
            f"{w}x{h}): {peer:.1f} fps; local_minimum -q{peer_src['q']} runs at "
            f"{ratio:.2f}x its speed"
        )
    results["scenes"] = [{k: v for k, v in r.items() if k != "_last"} for r in rows]


if __name__ == "__main__":
    main()
