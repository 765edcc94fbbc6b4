"""Progress chart: is the client getting better? Daily scores, 7-day mean, trend and the MCID band.

Each panel shows one score for one client:

- the daily mean score (dots; :func:`backanalytics.metrics.outcomes.daily_scores`),
- its rolling 7-calendar-day mean (line, broken where there are no scores for longer than the
  window; :func:`~backanalytics.metrics.outcomes.rolling_mean`),
- the Theil-Sen trend line (:func:`~backanalytics.metrics.outcomes.trends`),
- a shaded band of baseline +/- the minimal clinically important difference (2 points on the 0-10
  scales, :data:`backanalytics.thresholds.THRESHOLDS`): a current mean outside the band is a change
  a patient would notice,
- a vertical line where stretching started, when scores were logged before it (A/B design),
- markers on the days flagged as pain flares (:func:`backanalytics.metrics.flags.flags`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from backanalytics import columns as C
from backanalytics.metrics.flags import FLAG_COLUMNS
from backanalytics.metrics.flags import flags as flag_table
from backanalytics.metrics.outcomes import outcomes, rolling_mean, trends
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.plots.placement import place_column
from backanalytics.plots.style import (
    COLORS,
    GREY,
    SCORE_LABELS,
    SCORE_NAMES,
    client_log,
    date_axis,
    empty_panel,
    fmt,
    get_ax,
    get_fig,
    pad_dates,
    phase_start,
    styled,
)
from backanalytics.thresholds import THRESHOLDS

#: Score -> (threshold key, words) for the band drawn around the baseline.
MCID_KEYS: dict[str, str] = {C.PAIN: "pain_mcid_points", C.PAIN_AFTER: "pain_mcid_points",
                             C.FLEXIBILITY: "flexibility_mcid_points", C.REACH_CM: "reach_cm_mdc"}
ZERO_TEN = (C.PAIN, C.PAIN_AFTER, C.FLEXIBILITY)
FLAG_MARKERS = {"pain_flare": "^", "pain_during_stretching": "v"}
FLAG_WORDS = {"pain_flare": "pain flare", "pain_during_stretching": "pain rose while stretching"}


def broken_at_gaps(dates: pd.Series, values: pd.Series, max_gap_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Insert a NaN between points more than ``max_gap_days`` apart, so a line shows the gap."""
    d = pd.DatetimeIndex(dates).to_numpy()
    v = np.asarray(values, dtype=float)
    if len(d) < 2:
        return d, v
    gap = np.flatnonzero(np.diff(d) > np.timedelta64(max_gap_days, "D"))
    mid = d[gap] + (d[gap + 1] - d[gap]) / 2
    return np.insert(d, gap + 1, mid), np.insert(v, gap + 1, np.nan)


def client_flags(rows: pd.DataFrame, as_of: pd.Timestamp, thresholds: Mapping[str, float] | None = None
                 ) -> pd.DataFrame:
    """:func:`~backanalytics.metrics.flags.flags` of one client's rows (empty without pain scores)."""
    if not rows[C.PAIN].notna().any():  # nothing to flag on the pain panel
        return pd.DataFrame(columns=FLAG_COLUMNS)
    return flag_table(rows, as_of=as_of, thresholds=thresholds)


def trend_words(slope_per_day: float, score: str) -> str:
    """'trending down 0.24 points a week' / 'flat trend' in the score's units."""
    if pd.isna(slope_per_day):
        return "too few days for a trend"
    week = slope_per_day * 7
    unit = "cm" if score == C.REACH_CM else "points"
    if abs(week) < 0.05:
        return "flat trend"
    return f"trending {'up' if week > 0 else 'down'} {abs(week):.2f} {unit} a week"


def change_words(client: str, row: pd.Series | None, score: str = C.PAIN,
                 thresholds: Mapping[str, float] | None = None) -> str:
    """A title in words, e.g. 'anna: pain fell from 6.9 to 3.4 (MCID reached)'."""
    name = SCORE_NAMES.get(score, score)
    if row is None or pd.isna(row.get(f"{score}_baseline")) or pd.isna(row.get(f"{score}_current")):
        return f"{client}: no {name} scores logged yet"
    base, cur = row[f"{score}_baseline"], row[f"{score}_current"]
    mcid = {**THRESHOLDS, **(thresholds or {})}[MCID_KEYS.get(score, "pain_mcid_points")]
    lower_is_better = score in (C.PAIN, C.PAIN_AFTER)
    if abs(cur - base) < 0.5:
        return f"{client}: {name} about the same ({fmt(base)} at baseline, {fmt(cur)} latest)"
    verb = "fell" if cur < base else "rose"
    better = (cur < base) == lower_is_better
    reached = row.get(f"{score}_mcid_reached") if score in (C.PAIN, C.FLEXIBILITY) else None
    if not better:
        note = "worse"
    elif reached is None or pd.isna(reached):
        note = "better" if abs(cur - base) < mcid else "better by the MCID or more"
    else:
        note = "MCID reached" if bool(reached) else f"less than the {mcid:g}-point MCID"
    return f"{client}: {name} {verb} from {fmt(base)} to {fmt(cur)} ({note})"


@styled
def progress_panel(log: pd.DataFrame, client: str, score: str = C.PAIN, ax: Axes | None = None, *,
                   as_of: object | None = None, baseline: object = None, window: int = 7,
                   flags: pd.DataFrame | None = None,
                   flag_kinds: Sequence[str] = ("pain_flare",),
                   thresholds: Mapping[str, float] | None = None,
                   outcomes_table: pd.DataFrame | None = None) -> Axes:
    """One score over time for one client: daily dots, rolling mean, trend, MCID band, phase line.

    Parameters
    ----------
    log : pandas.DataFrame
        The canonical log (not changed).
    client : str
        The client to draw.
    score : str, default "pain"
        ``pain``, ``flexibility``, ``reach_cm`` or ``pain_after``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    as_of : date-like, optional
        Last day to show (default: the latest date in the log).
    baseline : optional
        Passed to :func:`~backanalytics.metrics.outcomes.outcomes` (None: the first 7 score days;
        ``"phase"``: the days before the first stretch).
    window : int, default 7
        Rolling-mean window in calendar days.
    flags : pandas.DataFrame, optional
        A precomputed :func:`~backanalytics.metrics.flags.flags` table; computed when omitted.
        Markers are drawn only on the ``pain`` panel.
    flag_kinds : sequence of str, default ("pain_flare",)
        Which flags get a marker.
    thresholds : mapping, optional
        Overrides for :data:`backanalytics.thresholds.THRESHOLDS`, as for the metrics: the MCID
        band, the flags and the silence shading follow them.
    outcomes_table : pandas.DataFrame, optional
        A precomputed :func:`~backanalytics.metrics.outcomes.outcomes` table with a row for
        ``client`` (e.g. the report's, computed once for the caseload); computed when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry a ``gid``: "daily" (dots, ydata = daily means), "rolling" (ydata = the rolling
        mean, NaN where broken at gaps), "trend" (Theil-Sen line), "baseline", "mcid_band",
        "phase" (x = first stretch day), "flag:<kind>" (markers at flagged days) and "silence"
        (shading from the last score to ``as_of`` when that is a week or more).
    """
    ax = get_ax(ax)
    as_of = resolve_as_of(log, as_of)
    rows = client_log(log, client)
    rows = rows[rows[C.DATE] <= as_of]
    label = SCORE_LABELS.get(score, score)
    name = SCORE_NAMES.get(score, score).capitalize()
    daily = rolling_mean(rows, score, window) if score in rows else rows.iloc[:0]
    if daily.empty:
        ax.set_ylabel(label)
        return empty_panel(ax, f"No {name.lower()} scores logged for {client}.", f"{name}: no scores")
    color = COLORS.get(score, COLORS[C.PAIN])

    t = {**THRESHOLDS, **(thresholds or {})}
    if outcomes_table is None or client not in outcomes_table.index:
        outcomes_table = outcomes(rows, as_of=as_of, baseline=baseline, thresholds=thresholds)
    row = outcomes_table.loc[client]
    base = row.get(f"{score}_baseline")
    mcid = t[MCID_KEYS.get(score, "pain_mcid_points")]
    if pd.notna(base):
        unit = "cm" if score == C.REACH_CM else "points"
        ax.axhspan(base - mcid, base + mcid, color=COLORS["band"], alpha=0.18, linewidth=0,
                   label=f"baseline ± {mcid:g} {unit} (MCID)", gid="mcid_band")
        ax.axhline(base, color=COLORS["band"], linewidth=1.0, linestyle=":", gid="baseline")

    few = len(daily) < 10  # a short series gets bigger, solid dots
    ax.plot(daily[C.DATE], daily["value"], "o", color=color, markersize=6 if few else 3.5,
            alpha=1.0 if few else 0.55,
            markeredgewidth=0, label="daily score", gid="daily")
    x, y = broken_at_gaps(daily[C.DATE], daily["rolling_mean"], window)
    ax.plot(x, y, color=color, linewidth=2.0, label=f"{window}-day mean", gid="rolling")

    tr = trends(rows, score, as_of)
    slope = tr["slope_theil_sen"].get(client, np.nan)
    if pd.notna(slope):
        origin = tr.loc[client, "origin"]
        ends = pd.DatetimeIndex([daily[C.DATE].min(), daily[C.DATE].max()])
        fitted = tr.loc[client, "intercept_theil_sen"] + slope * (ends - origin).days.to_numpy()
        ax.plot(ends, fitted, color=COLORS["trend"], linewidth=1.3, linestyle="--",
                label="trend (Theil-Sen)", gid="trend")

    phase = phase_start(rows, score)
    if phase is not None:
        ax.axvline(phase, color=COLORS["phase"], linewidth=1.2, gid="phase", label="stretching started")
        ax.annotate(" A: baseline", (phase, 1), xycoords=("data", "axes fraction"), ha="right",
                    va="top", fontsize=8, color=GREY, xytext=(-2, -2), textcoords="offset points",
                    gid="phase:A")
        ax.annotate("B: stretching", (phase, 1), xycoords=("data", "axes fraction"), ha="left",
                    va="top", fontsize=8, color=GREY, xytext=(3, -2), textcoords="offset points")

    if score == C.PAIN and flag_kinds:
        table = client_flags(rows, as_of, thresholds) if flags is None else flags
        _flag_markers(ax, table[table[C.CLIENT_ID] == client], daily, flag_kinds)

    if score in ZERO_TEN:
        ax.set_ylim(-0.4, 10.4)
        ax.set_yticks(range(0, 11, 2))
    ax.set_ylabel(label)
    ax.set_title(f"{name}: {trend_words(slope, score)}", y=1.0)
    last = daily[C.DATE].max()
    shown = daily[C.DATE]
    if (as_of - last).days >= t["silent_days"]:  # show the silence up to as_of
        ax.axvspan(last, as_of, color=COLORS["missing"], alpha=0.35, linewidth=0, gid="silence")
        ax.text(last + (as_of - last) / 2, 0.88, f"no {name.lower()} scores\nsince {last:%d %b}",
                transform=ax.get_xaxis_transform(), ha="center", va="center", fontsize=8, color=GREY)
        shown = pd.concat([shown, pd.Series([as_of])])
    pad_dates(ax, shown)
    date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


def _flag_markers(ax: Axes, table: pd.DataFrame, daily: pd.DataFrame, kinds: Sequence[str]) -> None:
    values = daily.set_index(C.DATE)["value"]
    for kind in kinds:
        hit = table[(table["flag"] == kind) & table[C.DATE].isin(values.index)]
        if hit.empty:
            continue
        hit = hit.drop_duplicates(C.DATE).sort_values(C.DATE)
        colors = [COLORS.get(s, COLORS["warning"]) for s in hit["severity"]]
        y = values.reindex(hit[C.DATE]).to_numpy()
        ax.scatter(hit[C.DATE], y, marker=FLAG_MARKERS.get(kind, "D"), s=60, c=colors,
                   edgecolors="black", linewidths=0.7, zorder=5, clip_on=False,
                   label=FLAG_WORDS.get(kind, kind), gid=f"flag:{kind}")


@styled
def progress_chart(log: pd.DataFrame, client: str, fig: Figure | None = None, *,
                   scores: Sequence[str] = (C.PAIN, C.FLEXIBILITY), as_of: object | None = None,
                   baseline: object = None, window: int = 7,
                   thresholds: Mapping[str, float] | None = None, flags: pd.DataFrame | None = None,
                   outcomes_table: pd.DataFrame | None = None) -> Figure:
    """Progress figure: one :func:`progress_panel` per score (pain, flexibility), titled in words.

    Returns the Figure; its suptitle says what changed, e.g. "anna: pain fell from 6.9 to 3.4
    (MCID reached)". Panels share the same date range (set explicitly, so an empty panel with
    a message does not disturb the others). ``flags`` and ``outcomes_table``: the caseload's
    tables when already computed (a report shares its metrics); computed from the client's rows
    when omitted. The panels are placed from their measured text
    (:func:`backanalytics.plots.placement.place_column`; the figure's layout engine is turned off).
    """
    fig = get_fig(fig, (9.0, 2.9 * len(scores) + 0.5))
    axes = fig.subplots(len(scores), 1, squeeze=False)[:, 0]
    as_of = resolve_as_of(log, as_of)
    rows = client_log(log, client)
    rows = rows[rows[C.DATE] <= as_of]
    table = flags if flags is not None else client_flags(rows, as_of, thresholds) if C.PAIN in scores else None
    if outcomes_table is None or client not in outcomes_table.index:
        outcomes_table = outcomes(rows, as_of=as_of, baseline=baseline, thresholds=thresholds)
    for ax, score in zip(axes, scores, strict=True):
        progress_panel(rows, client, score, ax=ax, as_of=as_of, baseline=baseline, window=window,
                       flags=table, thresholds=thresholds, outcomes_table=outcomes_table)
    drawn = [ax for ax in axes if ax.lines]
    if drawn:
        lo = min(ax.get_xlim()[0] for ax in drawn)
        hi = max(ax.get_xlim()[1] for ax in drawn)
        for ax in drawn:
            ax.set_xlim(lo, hi)
    row = outcomes_table.loc[client]
    fig.suptitle(change_words(client, row, scores[0], thresholds), x=0.01, ha="left", fontsize=13, fontweight="bold")
    place_column(fig, axes)  # from the measured text: no layout engine pass
    for ax in axes:  # a baseline too short for its label: the label would cross the y axis
        for text in ax.texts:
            if text.get_gid() == "phase:A" and text.get_window_extent().x0 < ax.get_window_extent().x0:
                text.set_visible(False)
    return fig
