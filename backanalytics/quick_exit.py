"""End a process without tearing its interpreter down, once everything it owes is done.

At exit Python frees every module and object one by one: with pandas, pandera, matplotlib and
WeasyPrint loaded that takes 0.2-0.3 s, a quarter of ``backanalytics validate`` and, in a worker
process, time its parent waits for when it shuts the pool down. Nothing a command or a worker
writes depends on it: files are written and closed (atomically) before the command returns,
pools are shut down, results are sent. So the last exit function ends the process with
``os._exit``, after the interpreter has done everything else it does on the way out:

1. ``threading`` joins the threads that are not daemons (a process pool's manager among them);
2. the ``atexit`` functions run, last registered first; the one registered here runs last of
   all but two registered earlier: ``logging.shutdown``, which it calls itself, and in a worker
   multiprocessing's, which the worker has already run before returning (:func:`for_command` is
   the first thing ``main`` does, :func:`in_worker` the first thing a worker's initializer does);
3. it flushes ``stdout`` and ``stderr``, runs ``logging.shutdown`` (registered on import, before
   it), and calls ``os._exit`` with the exit code the command raised.

Only the ``backanalytics`` command (not ``main`` called from another program or a test) and the
report workers do this; a notebook or a script importing the package ends as usual. The same
processes, and only they, also collect garbage less often (:data:`THRESHOLDS`) and leave what
they keep to the end out of later collections (:func:`freeze_long_lived`).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class QuickExit:
    """The exit code to leave with (a ``SystemExit`` code: None, an int, or a message)."""

    code: object = 0

    def status(self) -> int:
        """The process status Python would give ``code``: None is 0, a message is 1.

        Examples
        --------
        >>> [QuickExit(c).status() for c in (None, 0, 2, 130, "error: no file")]
        [0, 0, 2, 130, 1]
        """
        if self.code is None:
            return 0
        return self.code if isinstance(self.code, int) else 1

    def leave(self) -> None:
        """Flush what is buffered and end the process with :meth:`status` (an ``atexit`` function).

        When what is buffered cannot be written (a full disk, a pipe closed by its reader), the
        status is 120, as Python's own exit gives it, or the error's own when the command already
        failed: output that was lost is never reported as a success.
        """
        status = self.status()
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except ValueError:  # closed: nothing left in it
                pass
            except OSError:
                status = status or 120
        if "logging" in sys.modules:
            sys.modules["logging"].shutdown()
        os._exit(status)


#: The exits registered in this process (by :func:`in_worker` or :func:`for_command`).
_REGISTERED: list[QuickExit] = []

#: Garbage collection thresholds of the command and its workers until :func:`freeze_long_lived`
#: (Python's are 700, 10, 10): a young collection every 20,000 new objects instead of every 700.
#: Importing pandas, pandera and matplotlib makes hundreds of thousands of objects that live to the
#: end, and with Python's thresholds the collector scanned them again and again while they were
#: being made: 0.18-0.20 s of one client's report and 0.09 s of ``validate``; 0.04-0.07 s and
#: 0.03 s with these. Once they are frozen, Python's thresholds are back: drawing charts with these
#: kept more dead figures alive between collections (a 40-client batch: 26 MB more memory).
THRESHOLDS = (20_000, 20, 20)
#: The thresholds this process started with, restored by :func:`freeze_long_lived`.
_STARTED_WITH = gc.get_threshold()


def _register(done: QuickExit) -> QuickExit:
    atexit.register(done.leave)
    _REGISTERED.append(done)
    gc.set_threshold(*THRESHOLDS)
    return done


def in_worker() -> QuickExit:
    """In a worker process (a pool's initializer): leave without teardown once the pool stops it.

    multiprocessing has flushed and finalised the worker before its ``atexit`` functions run.
    """
    return _register(QuickExit(0))


def freeze_long_lived() -> None:
    """In a process that ends without teardown, leave every object alive now out of all later
    garbage collections (:func:`gc.freeze`); elsewhere (a test, a notebook, a program importing
    the package) do nothing.

    Call it once the imports are done and what the process works with is loaded (the log, the
    metrics): those live until the process ends, yet every full collection scanned them again,
    and drawing charts sets many off (0.06-0.07 s of a client's report with a 40-client caseload
    in memory; 0.02 s once they are frozen). What becomes garbage later is collected as usual,
    with Python's thresholds again (see :data:`THRESHOLDS`).
    """
    if _REGISTERED:
        gc.freeze()
        gc.set_threshold(*_STARTED_WITH)


def for_command() -> QuickExit | None:
    """In the ``backanalytics`` command: leave without teardown with the code ``main`` records.

    None (nothing registered) when ``main`` runs inside another program: a test, a notebook,
    ``python -c``. The caller sets ``code`` from the ``SystemExit`` the command ends with.
    """
    if not _run_as_the_command():
        return None
    return _register(QuickExit(0))


def _run_as_the_command() -> bool:
    """True in the console script (``backanalytics``) and in ``python -m backanalytics.cli``."""
    script = Path(getattr(sys.modules.get("__main__"), "__file__", None) or "")
    return script.stem == "backanalytics" or script.parts[-3:] == ("backanalytics", "cli", "__main__.py")
