"""Charts: what was drawn (lines, bars, cells, labels, titles) matches the metrics, not pixels.

The sample log's stories (README): anna improves steadily, carla flares up in weeks 7-8, dev drops
out, emma stretches only at weekends, grace's pain rises during stretching, hugo has three weeks
of score-only baseline before stretching starts on 2026-08-31.
"""

from __future__ import annotations

import re

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from backanalytics import catalog, load_log, plots
from backanalytics.metrics.consistency import consistency, weekly_consistency
from backanalytics.metrics.dose import dose_by_stretch
from backanalytics.metrics.effect_sizes import phase_effect_sizes
from backanalytics.metrics.flags import flags
from backanalytics.metrics.outcomes import daily_scores, outcomes, rolling_mean, trends
from backanalytics.plots.mix import session_relief

HUGO_FIRST_STRETCH = pd.Timestamp("2026-08-31")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def edge_log() -> pd.DataFrame:
    """Hand-made clients: one day only, scores only, stretches only, a planned rest and a gap."""
    raw = pd.DataFrame([
        {"client_id": "one", "date": "2026-03-02", "stretch": "Cobra Stretch", "hold_s": 20, "reps": 3,
         "pain": 5, "pain_after": 4, "flexibility": 5},
        {"client_id": "scores", "date": "2026-03-02", "pain": 6, "flexibility": 4},
        {"client_id": "scores", "date": "2026-03-03", "pain": 5},
        {"client_id": "scores", "date": "2026-03-09", "pain": 5},
        {"client_id": "nopain", "date": "2026-03-02", "stretch": "Cat-Cow", "reps": 10},
        {"client_id": "nopain", "date": "2026-03-04", "stretch": "Cobra Stretch", "hold_s": 20, "reps": 3},
        {"client_id": "rest", "date": "2026-03-02", "stretch": "Cat-Cow", "reps": 10, "pain": 4},
        {"client_id": "rest", "date": "2026-03-03", "planned_rest": True},
        {"client_id": "rest", "date": "2026-03-20", "stretch": "Cat-Cow", "reps": 10, "pain": 3},
    ])
    return load_log(raw, today="2026-04-01")


def by_gid(ax, gid):
    found = [a for a in [*ax.lines, *ax.collections, *ax.patches, *ax.texts] if a.get_gid() == gid]
    assert found, f"no artist with gid {gid!r}"
    return found[0]


def has_gid(ax, gid) -> bool:
    return any(a.get_gid() == gid for a in [*ax.lines, *ax.collections, *ax.patches, *ax.texts])


def xdates(line) -> np.ndarray:
    """x data of a line as day numbers (matplotlib's date units)."""
    return mdates.date2num(pd.DatetimeIndex(line.get_xdata()))


def cell_centre(path) -> tuple[float, float]:
    v = path.vertices
    return (v[:, 0].min() + v[:, 0].max()) / 2, (v[:, 1].min() + v[:, 1].max()) / 2


def all_text(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(mpl.text.Text))


def assert_texts_inside(fig) -> list:
    """Every text drawn (x tick labels inside their limits: matplotlib keeps undrawn ones beyond
    them) lies within the figure; returns those texts."""
    from matplotlib.text import Text

    def drawn(ax):
        lo, hi = sorted(ax.get_xlim())
        return [t for t in ax.get_xticklabels() if t.get_text() and lo <= t.get_position()[0] <= hi]

    tick_labels = {id(t) for ax in fig.axes for t in ax.get_xticklabels()}
    texts = [t for t in fig.findobj(Text) if t.get_text() and t.get_visible() and id(t) not in tick_labels]
    texts += [t for ax in fig.axes for t in drawn(ax)]
    box = fig.bbox
    for text in texts:
        extent = text.get_window_extent()
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, text.get_text()
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1, text.get_text()
    return texts


def every_chart(log: pd.DataFrame, client: str) -> dict:
    return {
        "progress": plots.progress_chart(log, client),
        "calendar": plots.calendar_heatmap(log, client).figure,
        "adherence": plots.weekly_adherence(log, client).figure,
        "mix": plots.stretch_mix_chart(log, client),
        "relief": plots.relief_chart(log, client).figure,
        "phases": plots.phase_chart(log, client).figure,
        "caseload": plots.caseload_chart(log),
    }


# --- contract: style context, no show, input untouched, axes returned ---------------------------

def test_global_rcparams_are_unchanged_by_every_chart(sample_log):
    before = dict(mpl.rcParams)
    every_chart(sample_log, "hugo")
    assert dict(mpl.rcParams) == before


def test_plot_style_applies_only_inside_the_context():
    before = mpl.rcParams["axes.spines.top"]
    with plots.plot_style():
        assert mpl.rcParams["axes.spines.top"] is False
    assert mpl.rcParams["axes.spines.top"] == before


def test_plot_style_keeps_interactive_mode_that_a_backend_turned_on_inside_it():
    # Jupyter's inline backend switches interactive mode on when the first chart activates it; were
    # that undone on leaving the style context, the notebook would show no later chart.
    before = mpl.is_interactive()
    try:
        mpl.interactive(False)
        with plots.plot_style():
            mpl.interactive(True)
        assert mpl.is_interactive()
    finally:
        mpl.interactive(before)


def test_charts_never_call_show_and_never_mutate_the_log(sample_log, monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", no_show)
    copy = sample_log.copy(deep=True)
    every_chart(sample_log, "carla")
    pd.testing.assert_frame_equal(sample_log, copy)


def test_axes_level_functions_draw_on_the_given_axes(sample_log):
    fig, axes = plt.subplots(2, 3)
    drawn = [plots.progress_panel(sample_log, "anna", ax=axes[0, 0]),
             plots.calendar_heatmap(sample_log, "anna", ax=axes[0, 1], colorbar=False),
             plots.weekly_adherence(sample_log, "anna", ax=axes[0, 2]),
             plots.stretch_mix(sample_log, "anna", ax=axes[1, 0]),
             plots.relief_chart(sample_log, "anna", ax=axes[1, 1]),
             plots.phase_chart(sample_log, "anna", ax=axes[1, 2])]
    assert drawn == list(axes.ravel())
    assert len(fig.axes) == 6


@pytest.mark.filterwarnings("error")  # e.g. "constrained_layout not applied because axes sizes collapsed"
def test_figure_level_functions_fill_a_figure_made_without_pyplot(sample_log):
    from matplotlib.figure import Figure

    figs = [Figure(figsize=(9, 6), layout="constrained") for _ in range(3)]
    assert plots.progress_chart(sample_log, "hugo", fig=figs[0]) is figs[0]
    assert plots.stretch_mix_chart(sample_log, "hugo", fig=figs[1]) is figs[1]
    assert plots.caseload_chart(sample_log, fig=figs[2]) is figs[2]
    for fig in figs:
        fig.draw_without_rendering()  # constrained layout runs (and would warn) at draw time
    assert plt.get_fignums() == []  # nothing registered with pyplot
    assert len(figs[0].axes) == 2 and len(figs[2].axes) == 1 + 9


def test_unknown_client_is_a_readable_error(sample_log):
    with pytest.raises(ValueError, match=r"'zoe' is not in the log.*anna"):
        plots.progress_chart(sample_log, "zoe")


# --- 1. progress ---------------------------------------------------------------------------------

def test_progress_lines_are_the_daily_scores_and_rolling_mean(sample_log):
    ax = plots.progress_panel(sample_log, "anna", "pain")
    daily = daily_scores(sample_log[sample_log["client_id"] == "anna"], "pain")
    np.testing.assert_allclose(by_gid(ax, "daily").get_ydata(), daily["value"])
    rolled = rolling_mean(sample_log[sample_log["client_id"] == "anna"], "pain")
    y = np.asarray(by_gid(ax, "rolling").get_ydata(), float)
    np.testing.assert_allclose(y[~np.isnan(y)], rolled["rolling_mean"])  # NaN only at gaps > 7 days


def test_progress_trend_line_is_the_theil_sen_fit(sample_log):
    ax = plots.progress_panel(sample_log, "anna", "pain")
    tr = trends(sample_log, "pain").loc["anna"]
    line = by_gid(ax, "trend")
    days = (pd.DatetimeIndex(line.get_xdata()) - tr["origin"]).days.to_numpy()
    np.testing.assert_allclose(line.get_ydata(), tr["intercept_theil_sen"] + tr["slope_theil_sen"] * days)
    assert pd.Timestamp(line.get_xdata()[0]) == pd.Timestamp("2026-08-10")


def test_progress_mcid_band_is_baseline_plus_minus_two_points(sample_log):
    ax = plots.progress_panel(sample_log, "anna", "pain")
    base = outcomes(sample_log).loc["anna", "pain_baseline"]
    band = by_gid(ax, "mcid_band")
    ys = ax.transData.inverted().transform(band.get_verts())[:, 1]
    assert (ys.min(), ys.max()) == pytest.approx((base - 2.0, base + 2.0))
    assert "MCID" in band.get_label()


def test_progress_follows_threshold_overrides(sample_log):
    # A 3-point MCID draws a +-3 band and judges the title by it; the flags drawn are those of
    # the same thresholds (a 1-point flare rule finds flares for anna, the default 2 none).
    t = {"pain_mcid_points": 3.0, "flare_points": 1.0}
    ax = plots.progress_panel(sample_log, "anna", "pain", thresholds=t)
    base = outcomes(sample_log).loc["anna", "pain_baseline"]
    ys = ax.transData.inverted().transform(by_gid(ax, "mcid_band").get_verts())[:, 1]
    assert (ys.min(), ys.max()) == pytest.approx((base - 3.0, base + 3.0))
    assert "3 points (MCID)" in by_gid(ax, "mcid_band").get_label()
    def flare_days(axes):
        return sum(len(c.get_offsets()) for c in axes.collections if c.get_gid() == "flag:pain_flare")
    assert flare_days(ax) > flare_days(plots.progress_panel(sample_log, "anna", "pain"))
    fig = plots.progress_chart(sample_log, "anna", thresholds={"pain_mcid_points": 9.0, "pain_mcid_pct": 90.0})
    assert "less than the 9-point MCID" in fig._suptitle.get_text()


def test_progress_phase_line_is_at_the_first_stretch_day_after_a_baseline(sample_log):
    hugo = plots.progress_panel(sample_log, "hugo", "pain")
    assert by_gid(hugo, "phase").get_xdata()[0] == HUGO_FIRST_STRETCH
    anna = plots.progress_panel(sample_log, "anna", "pain")  # stretched from day one: no A phase
    assert not has_gid(anna, "phase")


def test_progress_marks_flagged_flare_days(sample_log):
    ax = plots.progress_panel(sample_log, "carla", "pain")
    table = flags(sample_log[sample_log["client_id"] == "carla"])
    flare_days = np.sort(mdates.date2num(table.loc[table["flag"] == "pain_flare", "date"].unique()))
    markers = by_gid(ax, "flag:pain_flare")
    np.testing.assert_allclose(np.sort(markers.get_offsets()[:, 0]), flare_days)
    assert len(flare_days) >= 3  # the weeks 7-8 flare-up


def test_progress_shows_the_silence_after_a_drop_out(sample_log):
    ax = plots.progress_panel(sample_log, "dev", "pain")
    last = daily_scores(sample_log[sample_log["client_id"] == "dev"])["date"].max()
    xs = ax.transData.inverted().transform(by_gid(ax, "silence").get_verts())[:, 0]
    assert (xs.min(), xs.max()) == pytest.approx(tuple(mdates.date2num([last, pd.Timestamp("2026-11-15")])))
    assert ax.get_xlim()[1] >= mdates.date2num(pd.Timestamp("2026-11-15"))
    assert not has_gid(plots.progress_panel(sample_log, "anna", "pain"), "silence")


def test_progress_chart_has_two_labelled_panels_and_a_title_in_words(sample_log):
    fig = plots.progress_chart(sample_log, "anna")
    row = outcomes(sample_log).loc["anna"]
    expected = f"anna: pain fell from {row['pain_baseline']:.1f} to {row['pain_current']:.1f} (MCID reached)"
    assert fig.get_suptitle() == expected
    pain, flex = fig.axes[:2]
    assert pain.get_ylabel() == "Pain (0-10 NPRS)"
    assert flex.get_ylabel() == "Flexibility (0-10 self-rated)"
    assert pain.get_xlim() == flex.get_xlim()
    assert isinstance(pain.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert "about the same" in plots.progress_chart(sample_log, "grace").get_suptitle()


def test_progress_legend_sits_outside_the_data_area(sample_log):
    ax = plots.progress_panel(sample_log, "anna")
    fig = ax.figure
    fig.draw_without_rendering()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1


@pytest.mark.parametrize("client", ["anna", "dev", "emma", "grace"])
@pytest.mark.parametrize("size", [None, (7.0, 5.0), (12.0, 7.0)], ids=["report", "narrow", "wide"])
def test_progress_chart_places_its_panels_so_no_text_overlaps_or_leaves_the_figure(sample_log, client, size):
    # The panels are placed from their measured text, without a layout engine.
    from matplotlib.figure import Figure

    fig = plots.progress_chart(sample_log, client, fig=None if size is None else Figure(figsize=size))
    fig.draw_without_rendering()
    pain, flex = fig.axes[:2]
    assert_texts_inside(fig)
    title = next(t for t in fig.texts if t.get_text() == fig.get_suptitle()).get_window_extent()
    first_above = [pain.get_window_extent(), *(t.get_window_extent() for t in pain.texts if t.get_visible())]
    assert all(title.y0 >= b.y1 - 0.5 for b in first_above)  # the heading above the first panel and its labels
    below_pain = [t.get_window_extent() for t in pain.get_xticklabels() if t.get_text()]
    below_pain.append(pain.get_legend().get_window_extent())
    top_of_flex = [flex.get_window_extent(), *(t.get_window_extent() for t in flex.texts if t.get_visible())]
    assert max(b.y1 for b in top_of_flex) <= min(b.y0 for b in below_pain)  # the panels keep apart
    for ax in (pain, flex):
        assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
        for text in ax.texts:  # the phase labels stay inside the panel, off the y tick labels
            if text.get_visible():
                assert text.get_window_extent().x0 >= ax.get_window_extent().x0, text.get_text()
    assert pain.get_position().x0 == flex.get_position().x0
    assert pain.get_position().width == flex.get_position().width


# --- 2. calendar ---------------------------------------------------------------------------------

def test_calendar_has_one_cell_per_day_coloured_by_minutes(sample_log):
    ax = plots.calendar_heatmap(sample_log, "anna")
    cells = {gid: len(by_gid(ax, gid).get_paths()) for gid in ("stretched", "no_stretch", "rest", "missing")}
    assert sum(cells.values()) == 98  # 2026-08-10 to 2026-11-15
    assert cells["stretched"] == consistency(sample_log).loc["anna", "active_days"] == 89
    anna = sample_log[(sample_log["client_id"] == "anna") & sample_log["stretch"].notna()]
    minutes = (catalog.seconds_stretched(anna) / 60).groupby(anna["date"]).sum()
    np.testing.assert_allclose(by_gid(ax, "stretched").get_array(), minutes.to_numpy())


def test_calendar_tells_missing_days_from_score_only_days(sample_log):
    ax = plots.calendar_heatmap(sample_log, "hugo")
    hugo = sample_log[sample_log["client_id"] == "hugo"]
    entry_days = set(hugo["date"])
    stretch_days = set(hugo.loc[hugo["stretch"].notna(), "date"])
    assert len(by_gid(ax, "no_stretch").get_paths()) == len(entry_days - stretch_days) >= 21
    assert len(by_gid(ax, "missing").get_paths()) == 98 - len(entry_days)
    missing_face = by_gid(ax, "missing").get_facecolor()[0]
    zero_face = by_gid(ax, "no_stretch").get_facecolor()[0]
    assert not np.allclose(missing_face, zero_face)


def test_calendar_weeks_are_columns_weekdays_rows_with_month_labels(sample_log):
    ax = plots.calendar_heatmap(sample_log, "anna")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Aug 2026", "Sep", "Oct", "Nov"]
    # 2026-08-10 is a Monday: first column, first row; the cell is centred on (0, 0)
    assert cell_centre(by_gid(ax, "stretched").get_paths()[0]) == pytest.approx((0.0, 0.0))


def test_calendar_marks_planned_rest_days(edge_log):
    ax = plots.calendar_heatmap(edge_log, "rest")
    rest = by_gid(ax, "rest")
    assert len(rest.get_paths()) == 1
    assert cell_centre(rest.get_paths()[0]) == pytest.approx((0.0, 1.0))  # 2026-03-03: first week, Tuesday
    assert rest.get_hatch()


def test_calendar_can_count_stretches_instead_of_minutes(sample_log):
    ax = plots.calendar_heatmap(sample_log, "anna", value="stretches")
    anna = sample_log[(sample_log["client_id"] == "anna") & sample_log["stretch"].notna()]
    np.testing.assert_array_equal(by_gid(ax, "stretched").get_array(), anna.groupby("date").size())


# --- 3. weekly adherence -------------------------------------------------------------------------

def test_adherence_one_bar_per_week_with_session_heights(sample_log):
    ax = plots.weekly_adherence(sample_log, "emma")
    weeks = weekly_consistency(sample_log).query("client_id == 'emma'")
    bars = ax.containers[0]
    assert len(bars) == len(weeks) == 14
    assert [b.get_height() for b in bars] == weeks["sessions"].tolist()
    assert [b.get_gid() for b in bars] == ["met" if m else "missed" for m in weeks["met"]]


def test_adherence_met_weeks_differ_by_colour_and_hatch(sample_log):
    bars = plots.weekly_adherence(sample_log, "anna").containers[0]
    met = next(b for b in bars if b.get_gid() == "met")
    missed = next(b for b in bars if b.get_gid() == "missed")
    assert met.get_hatch() in (None, "") and missed.get_hatch() == "///"
    assert not np.allclose(met.get_facecolor(), missed.get_facecolor())


def test_adherence_shows_the_empty_weeks_after_a_drop_out(sample_log):
    bars = plots.weekly_adherence(sample_log, "dev").containers[0]
    assert len(bars) == 14  # to the log's last week, not dev's last entry
    assert [b.get_height() for b in bars][-8:] == [0] * 8


def test_adherence_target_line_follows_the_prescription(sample_log):
    ax = plots.weekly_adherence(sample_log, "emma", prescription=3)
    weeks = weekly_consistency(sample_log, 3).query("client_id == 'emma'")
    target = next(line for line in ax.lines if line.get_label() == "target")
    np.testing.assert_allclose(target.get_ydata()[:-1], weeks["target"])
    assert ax.get_ylabel() == "session days per week"
    assert ax.get_title("left").startswith("emma: met the target (3 days a week) in ")


# --- 4. stretch mix ------------------------------------------------------------------------------

def test_stretch_mix_bars_are_entries_split_by_dose_within_guidance(sample_log):
    ax = plots.stretch_mix(sample_log, "anna")
    dose = dose_by_stretch(sample_log).query("client_id == 'anna'").set_index("stretch")
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(names) == sorted(dose.index)
    within, outside = ax.containers
    assert within.get_label() == "within guidance" and outside.get_label() == "outside guidance"
    totals = [a.get_width() + b.get_width() for a, b in zip(within, outside, strict=True)]
    np.testing.assert_allclose(totals, dose.loc[names, "entries"])
    np.testing.assert_allclose([b.get_width() for b in within],
                               dose.loc[names, "entries"] * dose.loc[names, "within_guidance"])
    assert names[-1] == dose["entries"].idxmax()  # most done on top


def test_target_areas_count_days_per_area(sample_log):
    ax = plots.target_areas(sample_log, "anna")
    areas = [t.get_text() for t in ax.get_yticklabels()]
    anna = sample_log[(sample_log["client_id"] == "anna") & sample_log["stretch"].notna()]
    hits = anna.merge(catalog.areas_table(), on="stretch").drop_duplicates(["date", "area"])
    expected = hits.groupby("area").size()
    assert [b.get_width() for b in ax.containers[0]] == expected[areas].tolist()


# --- 5. within-session relief --------------------------------------------------------------------

def test_relief_shows_every_session_where_pain_rose(sample_log):
    ax = plots.relief_chart(sample_log, "grace")
    sessions = session_relief(sample_log[sample_log["client_id"] == "grace"])
    rose = sessions[sessions["pain_after"] > sessions["pain"]]
    segments = by_gid(ax, "rose").get_segments()
    assert len(segments) == len(rose) > 50
    np.testing.assert_allclose([s[:, 1] for s in segments], rose[["pain", "pain_after"]].to_numpy())
    assert ax.get_title("left").startswith(f"grace: pain rose during {len(rose)} of {len(sessions)} sessions")


def test_relief_for_an_improver_has_few_rises(sample_log):
    ax = plots.relief_chart(sample_log, "anna")
    assert len(by_gid(ax, "rose").get_segments()) == 1
    assert len(by_gid(ax, "eased").get_segments()) > 30
    assert ax.get_ylabel() == "Pain (0-10 NPRS)"


# --- 6. caseload ---------------------------------------------------------------------------------

def test_caseload_dots_are_adherence_against_pain_change(sample_log):
    ax = plots.caseload_scatter(sample_log)
    cons, out = consistency(sample_log), outcomes(sample_log)
    points = np.vstack([c.get_offsets() for c in ax.collections if str(c.get_gid()).startswith("clients:")])
    expected = np.c_[100 * cons["adherence"], out["pain_change"]]
    np.testing.assert_allclose(np.sort(points, axis=0), np.sort(expected, axis=0))
    assert by_gid(ax, "mcid").get_ydata()[0] == -2.0
    assert by_gid(ax, "adherent").get_xdata()[0] == 80.0


def test_caseload_lines_follow_threshold_overrides(sample_log):
    ax = plots.caseload_scatter(sample_log, thresholds={"pain_mcid_points": 3.0, "adherent": 0.7})
    assert by_gid(ax, "mcid").get_ydata()[0] == -3.0
    assert by_gid(ax, "adherent").get_xdata()[0] == 70.0
    table = plots.caseload_table(sample_log, thresholds={"pain_mcid_points": 9.0, "pain_mcid_pct": 90.0})
    assert not table["pain_mcid_reached"].fillna(False).astype(bool).any()
    assert plots.caseload_table(sample_log)["pain_mcid_reached"].fillna(False).astype(bool).any()


def test_caseload_labels_every_client_and_flagged_ones_with_their_flags(sample_log):
    ax = plots.caseload_scatter(sample_log)
    labels = {t.get_gid().split(":")[1]: t for t in ax.texts if str(t.get_gid()).startswith("label:")}
    assert set(labels) == set(sample_log["client_id"])
    grace = labels["grace"]
    assert grace.get_fontweight() == "bold" and "no improvement" in grace.get_text()
    assert labels["anna"].get_text() == "anna"  # no recent flag


def test_caseload_small_multiples_are_sorted_by_need(sample_log):
    fig = plots.caseload_trends(sample_log)
    table = plots.caseload_table(sample_log)
    titles = [ax.get_title("left") for ax in fig.axes[:len(table)]]
    assert [t.split(". ")[1].split(" ")[0] for t in titles] == table.index.tolist()
    assert table["severity"].iloc[0] == "alert" and table["severity"].iloc[-1] == "none"
    assert fig.axes[0].get_ylim() == fig.axes[-1].get_ylim()


# --- 7. A/B phases and effect sizes --------------------------------------------------------------

def test_phase_chart_splits_at_the_first_stretch_day_and_reports_nap_and_tau(sample_log):
    ax = plots.phase_chart(sample_log, "hugo")
    es = phase_effect_sizes(sample_log, client="hugo", metrics=["NAP", "Tau"]).set_index("metric")
    assert by_gid(ax, "phase").get_xdata()[0] == HUGO_FIRST_STRETCH
    assert len(by_gid(ax, "phase_a").get_xdata()) == es.loc["NAP", "n_a"] == 21
    assert len(by_gid(ax, "phase_b").get_xdata()) == es.loc["NAP", "n_b"]
    assert pd.Timestamp(by_gid(ax, "phase_a").get_xdata()[-1]) < HUGO_FIRST_STRETCH
    text = by_gid(ax, "effect_sizes").get_text()
    assert f"NAP {es.loc['NAP', 'est']:.2f}" in text and f"Tau {es.loc['Tau', 'est']:.2f}" in text
    nap = es.loc["NAP", "est"]
    assert ax.get_title("left") == f"hugo: pain improved once stretching began (NAP {nap:.2f}, medium effect)"


def test_phase_means_are_the_phase_averages(sample_log):
    ax = plots.phase_chart(sample_log, "hugo")
    daily = daily_scores(sample_log[sample_log["client_id"] == "hugo"])
    before = daily["date"] < HUGO_FIRST_STRETCH
    assert by_gid(ax, "mean_a").get_ydata()[0] == pytest.approx(daily.loc[before, "value"].mean())
    assert by_gid(ax, "mean_b").get_ydata()[0] == pytest.approx(daily.loc[~before, "value"].mean())


def test_phase_title_is_cautious_when_the_interval_includes_no_effect(sample_log):
    ax = plots.phase_chart(sample_log, "emma")  # 2 baseline days: NAP 0.79, CI 0.40 to 0.95
    assert ax.get_title("left") == ("emma: pain may have improved once stretching began "
                                    "(NAP 0.79, 95% CI includes no change)")


def test_phase_chart_without_baseline_says_so(sample_log):
    ax = plots.phase_chart(sample_log, "anna")
    assert "no baseline" in ax.get_title("left")
    assert "at least 2" in by_gid(ax, "effect_sizes").get_text()


# --- edge cases ----------------------------------------------------------------------------------

def test_one_point_series_draws_a_dot_and_no_trend(edge_log):
    ax = plots.progress_panel(edge_log, "one", "pain")
    assert list(by_gid(ax, "daily").get_ydata()) == [5.0]
    assert not has_gid(ax, "trend")
    assert ax.get_title("left") == "Pain: too few days for a trend"
    left, right = ax.get_xlim()
    assert right - left >= 7  # a week of context around a single day
    assert len(by_gid(plots.relief_chart(edge_log, "one"), "eased").get_segments()) == 1
    assert len(plots.weekly_adherence(edge_log, "one").containers[0]) == 3  # weeks of 2, 9, 16 Mar


def test_score_only_client_has_no_stretching_to_show(edge_log):
    assert not has_gid(plots.progress_panel(edge_log, "scores", "pain"), "phase")
    cal = plots.calendar_heatmap(edge_log, "scores")
    assert not has_gid(cal, "stretched")
    assert len(by_gid(cal, "no_stretch").get_paths()) == 3
    mix = plots.stretch_mix(edge_log, "scores")
    assert "No stretches logged yet." in all_text(mix.figure)
    assert "no stretching logged yet" in plots.weekly_adherence(edge_log, "scores").get_title("left")
    assert "baseline only" in plots.phase_chart(edge_log, "scores").get_title("left")


def test_client_without_scores_gets_panels_with_a_message(edge_log):
    fig = plots.progress_chart(edge_log, "nopain")
    assert fig.get_suptitle() == "nopain: no pain scores logged yet"
    assert all(not ax.lines for ax in fig.axes)
    assert "No pain scores logged for nopain." in all_text(fig)
    assert "No flexibility scores logged for nopain." in all_text(fig)
    assert "No sessions with pain" in all_text(plots.relief_chart(edge_log, "nopain").figure)
    assert "No pain scores" in all_text(plots.phase_chart(edge_log, "nopain").figure)


def test_rolling_line_breaks_at_gaps_longer_than_a_week(edge_log):
    ax = plots.progress_panel(edge_log, "rest", "pain")  # pain on 2 and 20 March
    y = np.asarray(by_gid(ax, "rolling").get_ydata(), float)
    assert np.isnan(y).sum() == 1 and len(y) == 3


# --- layout: nothing overlaps, sizes fit the page ------------------------------------------------

@pytest.mark.parametrize("size", [(8.0, 3.4), (9.0, 6.0), (13.0, 4.2)])
def test_stretch_mix_bar_labels_end_inside_the_axes_clear_of_the_legend(sample_log, size):
    from matplotlib.figure import Figure

    fig = plots.stretch_mix_chart(sample_log, "hugo", fig=Figure(figsize=size, layout="constrained"))
    fig.draw_without_rendering()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_gid() == "bar_label"]
    assert len(labels) == 6 and labels[-1].get_text().startswith("43x, 74% within guidance")
    box, legend = ax.get_window_extent(), ax.get_legend().get_window_extent()
    for label in labels:
        extent = label.get_window_extent()
        assert extent.x1 <= box.x1 and not extent.overlaps(legend), label.get_text()


@pytest.mark.parametrize("client", ["anna", "dev", "hugo", "ines"])
@pytest.mark.parametrize("size", [(9.8, 3.4), (8.0, 3.0), (13.0, 4.2)])
def test_stretch_mix_chart_places_its_panels_so_no_text_overlaps_or_leaves_the_figure(sample_log, client, size):
    # The two panels are placed from their measured text, without a layout engine.
    from matplotlib.figure import Figure

    fig = plots.stretch_mix_chart(sample_log, client, fig=Figure(figsize=size, layout="tight"))
    fig.draw_without_rendering()
    left, right = fig.axes
    assert len(assert_texts_inside(fig)) > 30
    legend = left.get_legend().get_window_extent()
    right_labels = [t.get_window_extent() for t in right.get_yticklabels() if t.get_text()]
    assert legend.x1 < min(b.x0 for b in right_labels)  # the legend ends before the area names start
    assert left.get_window_extent().x1 < legend.x0
    for label in (t for t in left.texts if t.get_gid() == "bar_label"):  # and bar labels end inside
        assert label.get_window_extent().x1 <= left.get_window_extent().x1 + 1
    assert left.get_position().width == pytest.approx(1.6 * right.get_position().width)


@pytest.mark.parametrize("chart", ["relief", "progress", "phases"])
def test_date_axis_offset_is_the_year_never_a_stray_month(sample_log, chart):
    # matplotlib's default offset for day ticks is the last tick's month, "2026-Nov", under a chart
    # spanning September to November; day ticks name their month ("15 Sep"), the offset is the year.
    fig = {"relief": lambda: plots.relief_chart(sample_log, "hugo").figure,
           "progress": lambda: plots.progress_chart(sample_log, "hugo"),
           "phases": lambda: plots.phase_chart(sample_log, "hugo").figure}[chart]()
    fig.draw_without_rendering()
    for ax in fig.axes:
        formatter = ax.xaxis.get_major_formatter()
        if isinstance(formatter, mdates.ConciseDateFormatter):
            assert re.fullmatch(r"(\d{4})?", formatter.get_offset()), formatter.get_offset()
            ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
            assert all(re.fullmatch(r"(\d{2} )?[A-Z][a-z]{2}( \d{4})?|\d{4}", t) for t in ticks), ticks


def test_caseload_chart_default_size_prints_at_true_size_on_a4_landscape(sample_log):
    fig = plots.caseload_chart(sample_log)
    width, height = fig.get_size_inches()
    assert width <= 273 / 25.4 and height <= 186 / 25.4  # A4 landscape less 12 mm margins
    fig.draw_without_rendering()
    trends = [ax for ax in fig.axes if ax.get_title("left")[:1].isdigit()]  # "1. grace [ALERT]"
    assert len(fig.axes) == 10 and len(trends) == 9
    assert len({round(ax.get_position().x0, 3) for ax in trends}) == 3  # rows of 3
    assert min(t.get_fontsize() for ax in fig.axes for t in ax.get_xticklabels()) >= 8


@pytest.mark.parametrize("size", [(10.5, 5.0), (7.0, 9.0)], ids=["side-by-side", "stacked"])
def test_caseload_chart_places_its_axes_so_no_text_runs_into_another_panel(sample_log, size):
    # The axes are placed from the text's font sizes, not by a layout engine measuring it.
    from matplotlib.figure import Figure

    fig = plots.caseload_chart(sample_log, fig=Figure(figsize=size, dpi=150, layout="constrained"))
    fig.draw_without_rendering()
    inside = fig.bbox.expanded(1.01, 1.01)
    boxes = [ax.get_tightbbox() for ax in fig.axes]
    for i, ax in enumerate(fig.axes):
        assert inside.containsx(boxes[i].x0) and inside.containsx(boxes[i].x1), ax.get_title("left")
        assert inside.containsy(boxes[i].y0) and inside.containsy(boxes[i].y1), ax.get_title("left")
        for other in fig.axes[i + 1:]:
            assert not boxes[i].overlaps(other.get_window_extent()), (ax.get_title("left"), other.get_title("left"))
    (heading,) = [t for t in fig.texts if t.get_text().startswith("Pain by client")]
    assert not any(heading.get_window_extent().overlaps(b) for b in boxes)


def test_caseload_labels_overlap_no_other_label_and_the_legend_sits_below_the_x_label(sample_log):
    ax = plots.caseload_scatter(sample_log)
    ax.figure.draw_without_rendering()
    labels = [t.get_window_extent() for t in ax.texts if str(t.get_gid()).startswith("label:")]
    assert len(labels) == 9
    for i, box in enumerate(labels):
        assert not any(box.overlaps(other) for other in labels[i + 1:])
    assert ax.get_legend().get_window_extent().y1 <= ax.xaxis.label.get_window_extent().y0


def test_the_caseload_scatter_alone_keeps_its_last_x_tick_label_inside_the_figure(sample_log):
    # A client at 95 % adherence takes the x axis to 120 %, whose label sits centred on the axes'
    # right edge: in a report's scatter alone (more than nine clients) that edge is the figure's.
    from backanalytics.plots.caseload_layout import place_scatter
    from backanalytics.report import figures

    table = plots.caseload_table(sample_log)
    table.loc[table.index[0], "adherence"] = 0.95
    fig = figures.new_figure((figures.WIDE, 5.5), layout="none")
    ax = plots.caseload_scatter(sample_log, ax=place_scatter(fig, (0, 0, 1, 1), table), table=table)
    fig.draw_without_rendering()
    assert ax.get_xlim()[1] == 120
    last = [t for t in ax.get_xticklabels() if t.get_position()[0] == 120]
    assert [t.get_text() for t in last] == ["120"]
    assert last[0].get_window_extent().x1 <= fig.bbox.x1 - 2 * fig.dpi / 72  # with a margin, not at the edge
    assert_texts_inside(fig)


@pytest.mark.filterwarnings("error")
def test_caseload_small_multiples_wrap_into_rows_and_leave_no_empty_axes(sample_log):
    from matplotlib.figure import Figure

    fig = plots.caseload_trends(sample_log, Figure(figsize=(10.5, 6), layout="constrained"), ncols=4)
    fig.draw_without_rendering()
    assert len(fig.axes) == 9  # 3 rows of 4, the last row's 3 empty panels removed
    columns = sorted({round(ax.get_position().x0, 3) for ax in fig.axes})
    assert len(columns) == 4
    # The panel above an empty slot shows its own date labels (there is no panel below it).
    above_gap = [ax for ax in fig.axes if round(ax.get_position().x0, 3) != columns[0]][-1]
    assert any(t.get_text() for t in above_gap.get_xticklabels())


# --- smoke: every chart saves -------------------------------------------------------------------

@pytest.mark.parametrize("client", ["hugo", "dev"])
def test_every_chart_saves_as_png_and_svg(sample_log, tmp_path, client):
    for name, fig in every_chart(sample_log, client).items():
        for ext in ("png", "svg"):
            path = tmp_path / f"{client}-{name}.{ext}"
            fig.savefig(path)
            assert path.stat().st_size > 1000, path
        assert (tmp_path / f"{client}-{name}.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("client", ["nopain", "scores", "one", "rest"],
                         ids=["no-scores", "no-stretches", "one-point", "three-points"])
def test_edge_case_charts_save_as_png_and_svg(edge_log, tmp_path, client):
    for name, fig in every_chart(edge_log, client).items():
        for ext in ("png", "svg"):
            path = tmp_path / f"{client}-{name}.{ext}"
            fig.savefig(path)
            assert path.stat().st_size > 1000, path
        assert (tmp_path / f"{client}-{name}.svg").read_text().lstrip().startswith("<?xml")
