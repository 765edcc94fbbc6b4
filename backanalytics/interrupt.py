"""Ctrl-C in the command line: one line, exit code 130, and nothing half-written, at any moment.

Three things stand between a Ctrl-C and a clean stop, and this module handles each:

- Python raises ``KeyboardInterrupt`` wherever the main thread happens to be. Inside a
  ``__del__`` (WeasyPrint's ``FontConfiguration``, for one) the exception cannot propagate: Python
  prints "Exception ignored in ..." and carries on, so the run would finish and exit 0. The handler
  :func:`install` puts in place therefore also *records* the request; :func:`check` raises it again
  at the next safe point (:func:`backanalytics.report.safety.atomic_path` calls it before it
  renames a finished file into place), and the command line turns a recorded request into exit 130
  even when every exception was swallowed. The swallowed one is not printed.
- A terminal sends Ctrl-C to every process of the foreground group, worker processes included; a
  worker still importing would print its own traceback. :func:`sigint_deferred` blocks the signal
  while workers are started (:func:`starting_workers`, which starts multiprocessing's resource
  tracker first: starting it unblocks the signal): they inherit the blocked signal (they never see
  Ctrl-C; the parent stops them), and the parent receives a Ctrl-C pressed meanwhile as soon as the
  block ends.
- A process pool left by an exception waits for every queued task. :func:`stop_pool_on_interrupt`
  cancels the queued ones; the tasks running finish their file (each written atomically).

The package never installs the handler on import in another program (a notebook keeps its own
Ctrl-C); only the ``backanalytics`` command does, from its first import on (:func:`install_if_command`).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

MESSAGE = "interrupted; nothing half-written was left"
#: The shell's code for a process stopped by SIGINT (128 + 2).
EXIT_CODE = 130

_requested = threading.Event()
#: Per thread, the depth of :func:`sigint_deferred` blocks; while the main thread's is above 0 (the
#: handler runs in the main thread), Ctrl-C is recorded, not raised.
_local = threading.local()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _requested.set()
    if not getattr(_local, "deferring", 0):
        raise KeyboardInterrupt


def _quiet_unraisable(unraisable: sys.UnraisableHookArgs, previous=sys.unraisablehook) -> None:
    """Drop the "Exception ignored" report of a Ctrl-C swallowed by a ``__del__``; it is handled later."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt) and _requested.is_set():
        return
    previous(unraisable)


def install() -> None:
    """Handle Ctrl-C as described above (the command line calls this first; main thread only).

    A Ctrl-C recorded before (see :func:`install_if_command`) is raised now.
    """
    _local.deferring = 0
    signal.signal(signal.SIGINT, _on_sigint)
    sys.unraisablehook = _quiet_unraisable
    check()


#: ``sys.argv[0]`` of the console script: ``backanalytics`` (``backanalytics.exe`` on Windows).
COMMAND = "backanalytics"


def install_if_command() -> None:
    """In the ``backanalytics`` command only: record, without raising, a Ctrl-C pressed while importing.

    The console script imports the package (pandas, scipy, matplotlib: seconds on a busy machine)
    before ``main`` runs; a Ctrl-C then would print an import traceback. The package calls this
    first thing on import; it does nothing in any other program (a notebook, a test run). ``main``
    then calls :func:`install`, which raises the recorded request.
    """
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if name.removesuffix(".exe") == COMMAND and threading.current_thread() is threading.main_thread():
        _local.deferring = 1
        signal.signal(signal.SIGINT, _on_sigint)


def requested() -> bool:
    """Whether Ctrl-C was pressed since :func:`install`.

    Examples
    --------
    >>> requested()
    False
    """
    return _requested.is_set()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed, even if the first one was swallowed.

    Examples
    --------
    >>> check()  # nothing pressed: returns
    """
    if _requested.is_set():
        raise KeyboardInterrupt


def exit_interrupted() -> None:
    """Print the one line on stderr and exit with 130 (a further Ctrl-C is ignored meanwhile)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print(MESSAGE, file=sys.stderr, flush=True)
    sys.exit(EXIT_CODE)


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Block SIGINT in this thread while the block runs (e.g. while worker processes are started).

    Processes started meanwhile inherit the blocked signal; a Ctrl-C pressed meanwhile (which another
    thread of this process may receive) is recorded by the handler and raised when the block ends.
    Where signal masks do not exist (Windows) only the recording applies.

    Examples
    --------
    >>> with sigint_deferred():
    ...     signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    True
    """
    masks = hasattr(signal, "pthread_sigmask")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT]) if masks else None
    _local.deferring = getattr(_local, "deferring", 0) + 1
    try:
        yield
    finally:
        _local.deferring -= 1
        if masks:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        if not _local.deferring:
            check()


@contextmanager
def starting_workers() -> Iterator[None]:
    """:func:`sigint_deferred` for starting worker processes, with multiprocessing's resource
    tracker started first.

    Starting the tracker unblocks SIGINT in the calling thread (CPython's
    ``resource_tracker.ensure_running`` blocks it around the tracker's start, then unblocks it
    whatever it was before). Started inside the block, by the pool's first queue, it let the worker
    started next inherit an unblocked SIGINT: a Ctrl-C while that worker was starting Python made
    it print "Fatal Python error ... KeyboardInterrupt" under the command's one line.
    """
    if hasattr(signal, "pthread_sigmask"):  # POSIX: where the tracker and the masks exist
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    with sigint_deferred():
        yield


@contextmanager
def stop_pool_on_interrupt(pool: Executor) -> Iterator[Executor]:
    """On any exception in the block, cancel the pool's queued tasks (the running ones finish)."""
    try:
        yield pool
    except BaseException:
        with sigint_deferred():
            pool.shutdown(wait=True, cancel_futures=True)
        raise
