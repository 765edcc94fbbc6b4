"""One client's charts shared between the command's process and its chart worker
(:func:`backanalytics.report.chart_worker.share_charts`): the worker takes them from the front of
the line, one at a time, this process from the back, so both end together; the metrics are pickled
once; a pool that is shut down or a chart that fails behaves as without the worker."""

from __future__ import annotations

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


def share(pool: Executor, here: list[str], on_draw=lambda: None) -> dict:
    def draw_here(key: str) -> tuple[str, str]:
        here.append(key)
        on_draw()
        return ("here", key)
    return share_charts(pool, {"metrics": 1}, "anna", KEYS, None, draw_here)


def test_the_worker_takes_charts_from_the_front_one_at_a_time_and_this_process_from_the_back():
    pool, here = Scripted(), []
    # The worker draws one chart while this process draws one; it is never handed a second
    # chart before it has sent the first back.
    done = share(pool, here, on_draw=lambda: (len(pool.waiting) <= 1 or pytest.fail("two handed"),
                                             pool.finish_one()))
    assert here == ["f", "e", "d"]
    assert [args[2] for args in pool.handed] == ["a", "b", "c"]
    assert done == {"a": ("worker", "a"), "b": ("worker", "b"), "c": ("worker", "c"),
                    "d": ("here", "d"), "e": ("here", "e"), "f": ("here", "f")}


def test_a_worker_that_is_quicker_draws_every_chart():
    pool, here = Scripted(eager=True), []
    done = share(pool, here)
    assert here == [] and done == {key: ("worker", key) for key in KEYS}


def test_this_process_draws_the_rest_while_the_worker_is_busy_with_its_first():
    pool, here = Scripted(), []
    # The worker finishes its first chart only once this process has drawn every other one.
    done = share(pool, here, on_draw=lambda: len(here) == len(KEYS) - 1 and pool.finish_one())
    assert here == ["f", "e", "d", "c", "b"]
    assert done["a"] == ("worker", "a") and len(done) == len(KEYS)


def test_the_metrics_are_pickled_once_for_every_chart_the_worker_draws():
    pool = Scripted(eager=True)
    share(pool, [])
    shared = {id(args[0]) for args in pool.handed}
    assert len(pool.handed) == len(KEYS) and len(shared) == 1
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
        if pool.waiting:
            task, _ = pool.waiting.pop(0)
            task.set_exception(ValueError("no such chart"))

    with pytest.raises(ValueError, match="no such chart"):
        share(pool, [], on_draw=fail_first)


def test_a_real_worker_draws_the_first_chart_and_the_same_pixels():
    import backanalytics as ba
    from backanalytics.report import figures
    from backanalytics.report.chart_worker import start_chart_worker
    from backanalytics.report.content import compute_metrics
    from tests.conftest import SAMPLE

    metrics = compute_metrics(ba.validate(SAMPLE).valid)
    charts = {key: (key, title, caption, make) for key, title, caption, make in figures._client_charts(metrics, "hugo")}
    keys = list(charts)
    pool = start_chart_worker(cpus=2)
    try:
        done = share_charts(pool, metrics, "hugo", keys, None, draw_here=lambda key: "here")
    finally:
        pool.shutdown()
    assert set(done) == set(keys)
    assert done[keys[0]] == figures.render_chart(metrics, "hugo", keys[0])  # the worker's: same heading, PNG
    assert done[keys[-1]] == "here"  # this process starts at the back, before the worker sends any back


def test_once_this_process_fails_on_a_chart_the_worker_is_handed_no_more():
    pool = Scripted()

    def draw_here(key: str) -> None:
        raise ValueError("a chart failed here")

    with pytest.raises(ValueError, match="failed here"):
        share_charts(pool, {"metrics": 1}, "anna", KEYS, None, draw_here)
    pool.finish_one()  # the worker sends its chart back afterwards
    assert [args[2] for args in pool.handed] == ["a"]
