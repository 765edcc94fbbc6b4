"""One run at a time per output folder: an operating-system lock that dies with its process.

Two ``report`` runs into the same folder would each write complete files, but ``caseload.*`` and
the metric tables would come from whichever finished last while the folder held both runs' client
reports. :func:`folder_lock` holds an advisory lock (``flock`` on POSIX, ``msvcrt.locking`` on
Windows) on ``.backanalytics.lock`` in the folder for the whole run; a second run refuses at once
with :class:`FolderBusyError`. The operating system releases the lock when the process ends, however
it ends (crash, ``kill -9``, power loss), so a dead run never leaves the folder locked; the file
itself is removed when the run ends normally and is harmless when left behind.
:func:`outputs_lock` does the same for commands that write several named files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

LOCK_NAME = ".backanalytics.lock"


class FolderBusyError(RuntimeError):
    """Another run is writing into the output folder (or the same output file)."""


def _try_lock(fd: int) -> bool:
    """Take the lock without waiting; False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return "another run"
    return f"another run (process {pid})" if pid.isdigit() else "another run"


@contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold the output folder for this process while the block runs (the folder is created).

    Raises
    ------
    FolderBusyError
        Another process holds the folder; nothing was written.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with folder_lock(folder) as lock:
    ...     lock.name
    '.backanalytics.lock'
    >>> (folder / LOCK_NAME).exists()  # removed at the end of the run
    False
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with _hold(folder / LOCK_NAME, folder, "output folder") as path:
        yield path


@contextmanager
def outputs_lock(*paths: Path | None) -> Iterator[None]:
    """Hold output files (or dataset folders) for this process: ``.<name>.lock`` beside each.

    For commands that write several files (``validate --valid --rejected``, ``import -o --skipped``):
    two runs naming the same output would leave one run's file beside the other's. ``None`` entries
    are skipped; a missing parent folder is created.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "valid.csv"
    >>> with outputs_lock(out, None):
    ...     sorted(p.name for p in out.parent.iterdir())
    ['.valid.csv.lock']
    """
    targets = sorted({Path(p).resolve() for p in paths if p is not None})  # one order: no deadlock
    with ExitStack() as stack:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(_hold(target.parent / f".{target.name}.lock", target, "output"))
        yield


@contextmanager
def _hold(path: Path, target: Path, kind: str) -> Iterator[Path]:
    """The lock on ``path`` for the block, or FolderBusyError naming ``target``."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            os.close(fd)
            raise FolderBusyError(
                f"{target} is being written by {_holder(path)}: wait for it to finish or choose another "
                f"{kind} (nothing was written)")
        # The holder before us may have removed the file between our open and our lock: then we
        # hold a lock on a file nobody else can see, and start again on the current one.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield path
    finally:
        try:
            path.unlink(missing_ok=True)  # while still holding the lock, so no one locks a removed file
        except OSError:  # pragma: no cover - Windows cannot remove an open file; it is harmless
            pass
        os.close(fd)
