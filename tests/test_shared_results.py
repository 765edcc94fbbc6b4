"""The fast paths give the same results as the straightforward ones, on the sample log.

A report computes every metric once for the caseload (``compute_metrics``) and shares it with every
client's report, the caseload chart and the exports; charts solve their layout instead of iterating
it. Each test here computes the straightforward way beside the fast way and compares: the metric
tables against the per-call public functions, each client's report text against a report computed
from that client's rows alone, the caseload table against one computed from the log, and the small
multiples' axes against matplotlib's shared axes.
"""

from __future__ import annotations

import re

import matplotlib.dates as mdates
import pandas as pd
import pytest
from matplotlib.figure import Figure

import backanalytics as ba
from backanalytics import columns as C
from backanalytics import plots
from backanalytics.metrics.dose import dose_by_stretch
from backanalytics.metrics.effect_sizes import phase_effect_sizes
from backanalytics.plots.style import date_axis
from backanalytics.report.content import client_summary, compute_metrics


@pytest.fixture(scope="module")
def metrics(sample_log):
    return compute_metrics(sample_log, prescription=5)


def test_shared_metric_tables_equal_the_per_call_functions(sample_log, metrics):
    as_of = metrics.as_of
    pd.testing.assert_frame_equal(metrics.consistency, ba.consistency(sample_log, prescription=5, as_of=as_of))
    pd.testing.assert_frame_equal(metrics.outcomes, ba.outcomes(sample_log, as_of=as_of))
    pd.testing.assert_frame_equal(metrics.flags, ba.flags(sample_log, as_of=as_of, prescription=5))
    pd.testing.assert_frame_equal(metrics.weekly, ba.weekly_consistency(sample_log, prescription=5, as_of=as_of))
    pd.testing.assert_frame_equal(metrics.dose, dose_by_stretch(sample_log))
    pd.testing.assert_frame_equal(metrics.effects, phase_effect_sizes(sample_log, C.PAIN))


def test_each_client_report_says_what_a_report_from_their_rows_alone_says(sample_log, metrics):
    for client in metrics.clients:
        shared = client_summary(metrics, client, prescription=5)
        alone = client_summary(sample_log, client, prescription=5, as_of=metrics.as_of)
        assert shared["sentences"] == alone["sentences"], client
        assert shared["metrics"].keys() == alone["metrics"].keys()
        for key, value in shared["metrics"].items():
            other = alone["metrics"][key]
            if isinstance(value, float) and isinstance(other, float):
                # A mean over the caseload's grouped rows may differ in the last bit from the same
                # mean over one client's rows (summation order): the words above are identical.
                assert value == pytest.approx(other, rel=1e-12, nan_ok=True), (client, key)
            else:
                assert (pd.isna(value) and pd.isna(other)) or value == other, (client, key)


def test_caseload_chart_table_from_the_shared_metrics_equals_one_computed_from_the_log(sample_log, metrics):
    shared = plots.caseload_table(metrics.log, metrics.as_of, 5, tables=metrics)
    pd.testing.assert_frame_equal(shared, plots.caseload_table(sample_log, metrics.as_of, 5))
    assert shared["severity"].iloc[0] == "alert"  # the table is not trivially empty


def shared_axes_reference(log: pd.DataFrame, table: pd.DataFrame, ncols: int) -> Figure:
    """The straightforward small multiples: matplotlib's shared axes and the automatic date ticks."""
    fig = Figure(figsize=(10.5, 6), layout="constrained")
    axes = fig.subplots(-(-len(table) // ncols), ncols, sharex=True, sharey=True, squeeze=False).ravel()
    daily = ba.rolling_mean(log, C.PAIN)
    for ax, client in zip(axes, table.index, strict=False):
        d = daily[daily[C.CLIENT_ID] == client]
        ax.plot(d[C.DATE], d["value"], "o")
    axes[0].set_ylim(-0.4, 10.4)
    axes[0].set_yticks(range(0, 11, 2))
    date_axis(axes[0])
    return fig


def tick_texts(ax) -> list[tuple[float, str]]:
    lo, hi = ax.get_xlim()
    return [(round(t.get_position()[0], 6), t.get_text()) for t in ax.get_xticklabels()
            if lo <= t.get_position()[0] <= hi]


def test_small_multiples_show_the_dates_and_range_of_shared_axes(sample_log):
    table = plots.caseload_table(sample_log)
    fast = plots.caseload_trends(sample_log, Figure(figsize=(10.5, 6), layout="constrained"), ncols=4, table=table)
    slow = shared_axes_reference(sample_log, table, ncols=4)
    fast.draw_without_rendering()
    slow.draw_without_rendering()
    reference = slow.axes[0]
    for ax in fast.axes:
        assert ax.get_xlim() == pytest.approx(reference.get_xlim())
        assert ax.get_ylim() == reference.get_ylim()
        assert ax.get_yticks().tolist() == reference.get_yticks().tolist()
    bottom = fast.axes[-1]  # bottom row: labelled, as the reference's bottom row
    assert tick_texts(bottom) == tick_texts(slow.axes[len(table) - 1])
    assert bottom.xaxis.get_offset_text().get_text() == slow.axes[len(table) - 1].xaxis.get_offset_text().get_text()
    assert {text for _, text in tick_texts(bottom)} >= {"Sep", "Oct", "Nov"}
    assert mdates.num2date(reference.get_xlim()[0]).year == 2026


@pytest.mark.parametrize("client", ["anna", "dev", "hugo"])
def test_stretch_mix_bar_labels_end_inside_their_axes_in_the_final_layout(sample_log, client):
    fig = plots.stretch_mix_chart(sample_log, client, fig=Figure(figsize=(8.0, 4.0), layout="constrained"))
    fig.draw_without_rendering()
    left = fig.axes[0]
    labels = [t for t in left.texts if t.get_gid() == "bar_label"]
    assert labels
    right_edge = left.get_window_extent().x1
    assert max(t.get_window_extent().x1 for t in labels) <= right_edge + 1
    # and no wider than needed: without the widest label the range would not have had to grow
    widest = max(labels, key=lambda t: t.get_window_extent().x1)
    assert widest.get_window_extent().x1 >= right_edge - 40


def test_report_text_is_the_same_from_the_batch_and_from_one_call(sample_log, tmp_path):
    from datetime import datetime

    from backanalytics.report.batch import build_reports
    from backanalytics.report.html import render_client_html

    when = datetime(2026, 11, 16, 9, 0)
    build_reports(sample_log, tmp_path, clients=["anna", "grace"], formats=("html",), caseload=True,
                  generated=when, progress=False)
    direct = render_client_html(compute_metrics(sample_log), "grace", generated=when)
    without_images = re.compile(r'src="data:image/png;base64,[^"]*"')
    batch = (tmp_path / "client_grace.html").read_text(encoding="utf-8")
    assert without_images.sub("", batch) == without_images.sub("", direct)
    assert (tmp_path / "caseload.html").exists()


def drawn(fig: Figure) -> list[tuple]:
    """What a progress chart shows: titles, and each artist's gid and data."""
    shown: list[tuple] = [(fig.get_suptitle(),)]
    for ax in fig.axes:
        shown.append((ax.get_title("left"), ax.get_title()))
        shown += [(line.get_gid(), [round(float(v), 9) for v in line.get_ydata()]) for line in ax.lines]
        shown += [(c.get_gid(), c.get_offsets().tolist()) for c in ax.collections if c.get_gid()]
    return shown


@pytest.mark.parametrize("client", ["anna", "grace", "hugo"])
def test_progress_chart_from_the_shared_tables_draws_what_it_computes_alone(sample_log, metrics, client):
    shared = plots.progress_chart(metrics.log, client, fig=Figure(), as_of=metrics.as_of, flags=metrics.flags,
                                  outcomes_table=metrics.outcomes)
    alone = plots.progress_chart(metrics.log, client, fig=Figure(), as_of=metrics.as_of)
    assert drawn(shared) == drawn(alone)
    assert any(gid == "mcid_band" or gid == "baseline" for gid, *_ in drawn(shared)[1:] if gid)
