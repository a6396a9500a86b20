"""Files written in place, locks, output folders, full disks, and rendered
files read back.

Every output is written under a temporary name beside it and renamed when
complete, so that a path always holds either the old file or the whole new one.
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


class CliError(Exception):
    """A problem the user can fix, said in one line."""


@contextmanager
def written_in_place(path: Path):
    """Yields a temporary name beside ``path`` to write to: renamed to ``path``
    when the block succeeds, removed when it fails."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


@contextmanager
def locked(path: Path):
    """Holds an exclusive lock on ``path``: concurrent renders of one scene wait."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield handle


def writable_dir(path: Path) -> Path:
    """``path``, created if need be; one that cannot be written to is an error."""
    if path.exists() and not path.is_dir():
        raise CliError(f"output directory {path} is not writable: it is a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise CliError(f"output directory {path} is not writable: {reason}") from None
    return path


def mount_point(path: Path) -> Path:
    """The mount point of the disk that holds ``path`` (or would hold it)."""
    path = Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    while not os.path.ismount(path):
        path = path.parent
    return path


def free_bytes(path: Path) -> int:
    """Bytes free to this user on the disk that holds ``path``."""
    info = os.statvfs(mount_point(path))
    return info.f_bavail * info.f_frsize


def no_space(path: Path) -> str:
    """What to say when the disk that holds ``path`` is full."""
    return (
        f"no space left on {mount_point(path)}, the disk of {path}; "
        "free some space there, or pass --media-dir on another disk"
    )


def disk_full(err: BaseException) -> OSError | None:
    """The "no space left on device" error behind ``err``, if one is."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
            return err
        err = err.__cause__ or err.__context__
    return None


def undecodable(path: Path) -> str | None:
    """Why ``path``, a rendered video or PNG, cannot be read back, or None:
    every packet its index lists is there, and its first frame decodes."""
    try:
        if path.suffix == ".png":
            from PIL import Image

            with Image.open(path) as image:
                image.load()
            return None
        import av

        with av.open(str(path)) as container:
            if not container.streams.video:
                return "no video stream"
            stream = container.streams.video[0]
            packets, decoded = 0, False
            for packet in container.demux(stream):
                packets += packet.size > 0
                # the last, empty packet flushes the decoder
                decoded = decoded or any(True for _ in packet.decode())
            if not (packets and decoded):
                return "no frame decodes"
            if packets < stream.frames:  # its index lists more than it holds
                return f"cut short: {packets} of {stream.frames} frames"
    except Exception as err:  # noqa: BLE001 - whatever the reader says
        said = getattr(err, "strerror", None) or str(err) or type(err).__name__
        return said.splitlines()[0]
    return None
