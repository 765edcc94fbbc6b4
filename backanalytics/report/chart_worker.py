"""A second process for one client's report: it starts first and imports the chart code while
this process reads and checks the log, then draws some of the charts
(:data:`backanalytics.report.figures.AWAY`) while this one draws the rest.

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
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from backanalytics.interrupt import starting_workers, stop_pool_on_interrupt


@contextmanager
def chart_worker(wanted: bool = True) -> Iterator[ProcessPoolExecutor | None]:
    """:func:`start_chart_worker` for the block (None when not ``wanted``); stopped after it."""
    pool = start_chart_worker() if wanted else None
    if pool is None:
        yield None
        return
    try:
        with stop_pool_on_interrupt(pool):
            yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def start_chart_worker(cpus: int | None = None) -> ProcessPoolExecutor | None:
    """Start one worker process now (spawned, so no lock of another thread is inherited).

    Parameters
    ----------
    cpus
        CPUs to count on (default: ``os.cpu_count()``); with fewer than 2 there is no worker.

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
            pool.submit(int)  # a pool starts its process on the first task
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
