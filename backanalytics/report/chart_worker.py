"""A second process for one client's report: it starts first and imports the chart code while
this process reads and checks the log, then draws charts while this one imports matplotlib and
draws the others (:func:`share_charts`).

A batch of reports (``--all``) already spreads clients over worker processes; one client's report
would otherwise draw its charts one after another on one core.

Examples
--------
>>> pool = start_chart_worker(cpus=1)  # one CPU: no second process
>>> pool is None
True
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import secrets
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from backanalytics.interrupt import starting_workers, stop_pool_on_interrupt

if TYPE_CHECKING:
    from backanalytics.report.content import Metrics
    from backanalytics.report.figures import EmbeddedFigure

T = TypeVar("T")


@contextmanager
def chart_worker(wanted: bool = True, pdf: bool = False) -> Iterator[ProcessPoolExecutor | None]:
    """:func:`start_chart_worker` for the block (None when not ``wanted``); stopped after it."""
    pool = start_chart_worker(pdf=pdf) if wanted else None
    if pool is None:
        yield None
        return
    try:
        with stop_pool_on_interrupt(pool):
            yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def start_chart_worker(cpus: int | None = None, pdf: bool = False) -> ProcessPoolExecutor | None:
    """Start one worker process now (spawned, so no lock of another thread is inherited).

    Parameters
    ----------
    cpus
        CPUs to count on (default: ``os.cpu_count()``); with fewer than 2 there is no worker.
    pdf
        The report is also wanted as a PDF: once warmed up, the worker imports WeasyPrint (0.6 s)
        before it takes a chart, so that it can render the PDF
        (:func:`backanalytics.report.batch.write_document`) as soon as the HTML is ready. The
        import is then done while both processes draw, instead of after the charts with one
        CPU idle.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor or None
        None when there is one CPU or the system refuses a new process. Pass it to
        :func:`backanalytics.report.figures.client_figures` (``pool=``); shut it down when the
        report is written (``pool.shutdown()``).
    """
    if (cpus if cpus is not None else os.cpu_count() or 1) < 2:
        return None
    # Ctrl-C waits until the pool is whole: its queues register their semaphores with the resource
    # tracker, and one registered but not yet set to be released would be reported as leaked.
    with starting_workers():  # the worker starts here too; Ctrl-C is the parent's to handle
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up)
        try:
            pool.submit(_prepare_pdf if pdf else int)  # a pool starts its process on the first task
        except OSError:  # refused (too many processes or open files): this process draws every chart
            pool.shutdown()
            return None
    return pool


def _warm_up() -> None:
    """Import what drawing a chart needs and draw a small one (fonts loaded, text caches filled),
    while the parent process reads the log."""
    from backanalytics import quick_exit

    quick_exit.in_worker()
    import matplotlib

    matplotlib.use("Agg")
    import backanalytics.plots
    import backanalytics.report.words
    from backanalytics.report.figures import new_figure, to_data_uri

    fig = new_figure((3.0, 2.0))
    with backanalytics.plots.plot_style():
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 10], "o-")
        ax.set_title("Pain (0-10 NPRS)")
        fig.suptitle("warm-up", fontweight="bold")
    to_data_uri(fig)
    quick_exit.freeze_long_lived()  # the modules: kept to the end


def _prepare_pdf() -> None:
    """Import WeasyPrint and load its fonts; without them, the PDF will say so when it is asked for."""
    from backanalytics.report.pdf import PdfUnavailableError, font_config

    try:
        font_config()
    except PdfUnavailableError:
        pass


def share_charts(pool: Executor, metrics: Metrics, client: str, keys: Sequence[str],
                 prescription: float | object, draw_here: Callable[[str], T]) -> dict[str, T | EmbeddedFigure]:
    """Draw one client's charts ``keys`` in ``pool``'s worker and in this process at once.

    The charts wait in one line, in the order of ``keys``: the worker is handed the first, and the
    next one each time it sends a chart back, while this process draws from the end of the line
    (``draw_here(key)``) until none is left. So the two processes end together whatever each chart
    costs and whenever each is ready: the worker, warmed up while the log was read, starts at
    once; this process imports matplotlib first. The metrics are pickled once for all the charts.

    The worker is handed one chart at a time (a process pool queues two more ahead of the running
    one, out of this process's reach), by a thread of this function's own that waits for each
    chart: not from the pool's callbacks, which Python 3.12+ runs for a broken pool while holding
    the lock that handing out a chart takes. A chart the worker fails on, or a pool that is shut
    down or broken, ends the handing out; the error is raised here.

    Returns
    -------
    dict
        Chart key -> what ``draw_here`` returned, or the worker's
        :class:`~backanalytics.report.figures.EmbeddedFigure`.
    """
    shared = _Pickled(secrets.token_hex(8), pickle.dumps(metrics, protocol=pickle.HIGHEST_PROTOCOL))
    waiting = deque(keys)
    sent: dict[str, Future[EmbeddedFigure]] = {}
    lock = threading.Lock()

    def hand_out() -> None:
        while True:
            with lock:
                if not waiting:
                    return
                key = waiting.popleft()
                try:
                    sent[key] = task = pool.submit(_draw_chart, shared, client, key, prescription)
                except RuntimeError:  # shut down (Ctrl-C) or broken: this process draws what is left
                    waiting.appendleft(key)
                    return
            try:
                task.result()  # until the worker sends it back
            except BaseException:  # failed, cancelled or broken: raised below, by the same call
                return

    handing = threading.Thread(target=hand_out, name="hand out charts", daemon=True)
    handing.start()
    done: dict[str, T | EmbeddedFigure] = {}
    try:
        while True:
            with lock:
                if not waiting:
                    break  # and nothing more is sent
                key = waiting.pop()
            done[key] = draw_here(key)
        handing.join()  # it has sent its last chart back, or failed
        for key, task in sent.items():
            done[key] = task.result()
    except BaseException:  # a chart failed, or Ctrl-C: the worker is handed no more
        with lock:
            waiting.clear()
        raise
    for key in waiting:  # put back by a hand-out the pool refused after this process found the line empty
        done[key] = draw_here(key)
    return done


@dataclass(frozen=True)
class _Pickled:
    """Metrics pickled once in the parent; unpickled once per worker process (by ``token``)."""

    token: str
    data: bytes


_LOADED: dict[str, Metrics] = {}


def _draw_chart(shared: _Pickled, client: str, key: str, prescription: float | object) -> EmbeddedFigure:
    """In the worker: one chart of one client's report."""
    from backanalytics.report.figures import render_chart

    if shared.token not in _LOADED:
        _LOADED.clear()  # one report's metrics at a time
        _LOADED[shared.token] = pickle.loads(shared.data)  # pickled by our own parent process
    return render_chart(_LOADED[shared.token], client, key, prescription)
