"""One client's charts shared between the command's process and its chart worker
(:func:`backanalytics.report.chart_worker.share_charts`): the worker takes them from the front of
the line, one at a time, this process from the back, so both end together; the metrics are pickled
once; a pool that is shut down or a chart that fails behaves as without the worker."""

from __future__ import annotations

import time
from concurrent.futures import Executor, Future

import pytest

from backanalytics.report.chart_worker import share_charts

KEYS = ["a", "b", "c", "d", "e", "f"]


class Scripted(Executor):
    """A stand-in for the worker: each task waits until the test finishes it (or, with ``eager``,
    is finished as soon as it is handed over); a finished task's result is ``("worker", key)``."""

    def __init__(self, eager: bool = False) -> None:
        self.eager = eager
        self.waiting: list[tuple[Future, tuple]] = []
        self.handed: list[tuple] = []

    def submit(self, fn, /, *args, **kwargs):
        task: Future = Future()
        task.set_running_or_notify_cancel()
        self.handed.append(args)
        self.waiting.append((task, args))
        if self.eager:
            self.finish_one()
        return task

    def finish_one(self) -> None:
        if self.waiting:
            task, args = self.waiting.pop(0)
            task.set_result(("worker", args[2]))

    def keys(self) -> list[str]:
        return [args[2] for args in self.handed]


def until(condition) -> None:
    """Wait for the thread that hands out charts (a few milliseconds; fail after 10 s)."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the worker was not handed its chart"
        time.sleep(0.001)


def share(pool: Executor, here: list[str], on_draw=lambda: None) -> dict:
    def draw_here(key: str) -> tuple[str, str]:
        here.append(key)
        on_draw()
        return ("here", key)
    return share_charts(pool, {"metrics": 1}, "anna", KEYS, None, draw_here)


def test_the_worker_takes_charts_from_the_front_one_at_a_time_and_this_process_from_the_back():
    pool, here = Scripted(), []

    def one_each() -> None:  # the worker draws one chart while this process draws one
        until(lambda: pool.handed)
        assert len(pool.waiting) <= 1  # never handed a second chart before it sent the first back
        handed = len(pool.handed)
        pool.finish_one()
        until(lambda: len(pool.handed) > handed or len(here) + len(pool.handed) == len(KEYS))

    done = share(pool, here, on_draw=one_each)
    assert here == ["f", "e", "d"] and pool.keys() == ["a", "b", "c"]
    assert done == {"a": ("worker", "a"), "b": ("worker", "b"), "c": ("worker", "c"),
                    "d": ("here", "d"), "e": ("here", "e"), "f": ("here", "f")}


def test_a_worker_that_is_quicker_draws_every_chart_this_process_has_not_started():
    pool, here = Scripted(eager=True), []
    # While this process draws its first chart, the worker draws all the others.
    done = share(pool, here, on_draw=lambda: until(lambda: len(here) + len(pool.handed) == len(KEYS)))
    assert here in ([], ["f"]) and pool.keys() == KEYS[:len(KEYS) - len(here)]
    assert done == {key: ("here" if key in here else "worker", key) for key in KEYS}


def test_this_process_draws_the_rest_while_the_worker_is_busy_with_its_first():
    pool, here = Scripted(), []

    def busy() -> None:  # the worker sends its first chart back once this process has drawn the rest
        until(lambda: pool.handed)
        if len(here) == len(KEYS) - 1:
            pool.finish_one()

    done = share(pool, here, on_draw=busy)
    assert here == ["f", "e", "d", "c", "b"] and pool.keys() == ["a"]
    assert done["a"] == ("worker", "a") and len(done) == len(KEYS)


def test_the_metrics_are_pickled_once_for_every_chart_the_worker_draws():
    pool, here = Scripted(eager=True), []
    share(pool, here, on_draw=lambda: until(lambda: len(here) + len(pool.handed) == len(KEYS)))
    shared = {id(args[0]) for args in pool.handed}
    assert len(pool.handed) >= len(KEYS) - 1 and len(shared) == 1
    assert all(args[1] == "anna" for args in pool.handed)


class ShutDown(Executor):
    def submit(self, fn, /, *args, **kwargs):
        raise RuntimeError("cannot schedule new futures after shutdown")


def test_a_pool_that_takes_no_task_leaves_every_chart_to_this_process():
    here: list[str] = []
    done = share(ShutDown(), here)
    assert here == KEYS[::-1] and done == {key: ("here", key) for key in KEYS}


def test_a_chart_the_worker_fails_on_fails_the_report():
    pool = Scripted()

    def fail_first() -> None:
        until(lambda: pool.handed)
        if pool.waiting:
            task, _ = pool.waiting.pop(0)
            task.set_exception(ValueError("no such chart"))

    with pytest.raises(ValueError, match="no such chart"):
        share(pool, [], on_draw=fail_first)
    assert pool.keys() == ["a"]  # and nothing after it


def test_once_this_process_fails_on_a_chart_the_worker_is_handed_no_more():
    pool = Scripted()

    def draw_here(key: str) -> None:
        raise ValueError("a chart failed here")

    with pytest.raises(ValueError, match="failed here"):
        share_charts(pool, {"metrics": 1}, "anna", KEYS, None, draw_here)
    pool.finish_one()  # the worker sends its chart back afterwards
    time.sleep(0.05)
    assert pool.keys() in ([], ["a"])  # at most the chart it had when this process failed


class Recording(Executor):
    """A real pool, recording what it is handed (function name, chart key)."""

    def __init__(self, pool: Executor) -> None:
        self.pool, self.calls = pool, []

    def submit(self, fn, /, *args, **kwargs):
        self.calls.append((fn.__name__, args[2] if fn.__name__ == "_draw_chart" else None))
        return self.pool.submit(fn, *args, **kwargs)


@pytest.fixture(scope="module")
def sample_metrics():
    import backanalytics as ba
    from backanalytics.report.content import compute_metrics
    from tests.conftest import SAMPLE

    # With the questionnaires: every kind of chart a client's report can have is in the line.
    return compute_metrics(ba.validate(SAMPLE).valid,
                           assessments=ba.load_assessments(SAMPLE.with_name("sample_assessments.csv")))


def test_a_real_worker_draws_the_first_chart_and_the_same_pixels(sample_metrics):
    from backanalytics.report import figures
    from backanalytics.report.chart_worker import start_chart_worker

    keys = [key for key, *_ in figures._client_charts(sample_metrics, "hugo")]
    pool = start_chart_worker(cpus=2)
    try:
        done = share_charts(pool, sample_metrics, "hugo", keys, None, draw_here=lambda key: "here")
    finally:
        pool.shutdown()
    assert set(done) == set(keys)
    assert done[keys[0]] == figures.render_chart(sample_metrics, "hugo", keys[0])  # same heading and PNG


def test_a_clients_report_hands_charts_to_its_worker_and_the_pdf_too(sample_metrics, tmp_path):
    from backanalytics.report import figures
    from backanalytics.report.batch import build_reports
    from backanalytics.report.chart_worker import start_chart_worker

    pool = start_chart_worker(cpus=2, pdf=True)
    recording = Recording(pool)
    try:
        charts = figures.client_figures(sample_metrics, "hugo", pool=recording)
        build_reports(sample_metrics.log, tmp_path, clients=["hugo"], chart_pool=recording)
    finally:
        pool.shutdown()
    drawn = [key for name, key in recording.calls if name == "_draw_chart"]
    assert drawn and drawn[0] == "progress"  # the first in line
    assert {"phases", "function-odi"} <= {chart.key for chart in charts}
    assert charts == figures.client_figures(sample_metrics, "hugo")  # the same as drawn here alone
    assert ("pdf_bytes", None) in recording.calls
    assert (tmp_path / "client_hugo.pdf").read_bytes().startswith(b"%PDF-")


KILLED_WORKER = """
import os, signal, threading, time
from backanalytics.report.chart_worker import share_charts, start_chart_worker
if __name__ == "__main__":
    pool = start_chart_worker(cpus=2)
    worker = next(iter(pool._processes.values()))
    threading.Timer(0.5, lambda: os.kill(worker.pid, signal.SIGKILL)).start()
    try:
        share_charts(pool, {"metrics": 1}, "anna", list("abcdef"), None,
                     draw_here=lambda key: time.sleep(0.3))
    except BaseException as exc:
        print(type(exc).__name__, flush=True)
    pool.shutdown(cancel_futures=True)
"""


def test_a_worker_killed_while_it_draws_fails_the_charts_at_once(tmp_path):
    # The next chart was handed out from the pool's callbacks: Python 3.12+ runs those for a
    # broken pool while holding the lock a new task takes, and the command hung for good.
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = tmp_path / "killed.py"
    script.write_text(KILLED_WORKER, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["BrokenProcessPool"], done.stderr
