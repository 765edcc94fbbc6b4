"""A/B phase chart: the single-case picture of "did starting to stretch change the score?"

Phase A is the days with a score before the first stretch (the baseline), phase B the days from
the first stretch on, exactly as :func:`backanalytics.metrics.effect_sizes.phase_effect_sizes`
splits them. The chart shows the daily scores of each phase (hollow A, filled B, joined within
a phase but not across), the phase means, the phase-change line, and NAP and Tau with their 95 %
intervals beside the plot.

NAP (non-overlap of all pairs) is the share of (A day, B day) pairs in which the B day is better;
Parker & Vannest (2009) call 0.93-1 a strong effect, 0.66-0.92 medium and below 0.66 weak.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from backanalytics import columns as C
from backanalytics.metrics.effect_sizes import IMPROVEMENT, phase_effect_sizes
from backanalytics.metrics.outcomes import daily_scores
from backanalytics.plots.style import (
    COLORS,
    GREY,
    SCORE_LABELS,
    SCORE_NAMES,
    client_log,
    date_axis,
    empty_panel,
    first_stretch_day,
    get_ax,
    pad_dates,
    styled,
)

#: Parker & Vannest (2009) NAP bands: lower bound -> words.
NAP_BANDS = ((0.93, "strong"), (0.66, "medium"), (0.0, "weak"))


def nap_words(nap: float) -> str:
    """'strong' / 'medium' / 'weak' (Parker & Vannest 2009)."""
    return next(words for lower, words in NAP_BANDS if nap >= lower)


def phase_title(client: str, score: str, nap: float | None, ci: tuple[float, float] | None = None,
                since: str = "once stretching began") -> str:
    """A title in words from NAP (oriented so that > 0.5 means improvement) and its 95 % CI.

    When the interval includes 0.5 (no effect) the title says the change is uncertain. ``since``
    names phase B ("once stretching began", or "from 31 Aug" for an explicit phase date).
    """
    name = SCORE_NAMES.get(score, score)
    if nap is None or pd.isna(nap):
        return f"{client}: {name} before and after {since.removeprefix('once ').removeprefix('from ')}"
    sure = ci is None or pd.isna(ci[0]) or not ci[0] <= 0.5 <= ci[1]
    if nap >= 0.66:
        what = "improved" if sure else "may have improved"
    elif nap <= 0.34:
        what = "got worse" if sure else "may have got worse"
    else:
        what = "did not clearly change"
    size = f"{nap_words(max(nap, 1 - nap))} effect" if sure else "95% CI includes no change"
    return f"{client}: {name} {what} {since} (NAP {nap:.2f}, {size})"


def _interval(row: pd.Series) -> str:
    if pd.isna(row["ci_lower"]):
        return f"{row['est']:.2f}"
    return f"{row['est']:.2f} (95% CI {row['ci_lower']:.2f} to {row['ci_upper']:.2f})"


@styled
def phase_chart(log: pd.DataFrame, client: str, score: str = C.PAIN, ax: Axes | None = None, *,
                phase_date: object | None = None, effects: pd.DataFrame | None = None) -> Axes:
    """A/B chart of one score with the phase line, phase means and NAP / Tau annotation.

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
    phase_date : date-like, optional
        First day of phase B (default: the client's first stretch day).
    effects : pandas.DataFrame, optional
        A precomputed :func:`phase_effect_sizes` table (with NAP and Tau rows); computed when
        omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Lines with ``gid`` "phase_a" / "phase_b" (the daily means of each phase), "mean_a" /
        "mean_b", "phase" (vertical line at the first day of B) and a text artist with
        ``gid`` "effect_sizes".
    """
    ax = get_ax(ax, figsize=(9.0, 3.8))
    rows = client_log(log, client)
    label = SCORE_LABELS.get(score, score)
    name = SCORE_NAMES.get(score, score)
    daily = daily_scores(rows, score) if score in rows else pd.DataFrame(columns=[C.DATE, "value"])
    if daily.empty:
        ax.set_ylabel(label)
        return empty_panel(ax, f"No {name} scores logged for {client}.", f"{client}: no {name} scores")
    cut = pd.Timestamp(phase_date).normalize() if phase_date is not None else first_stretch_day(rows)
    color = COLORS.get(score, COLORS[C.PAIN])
    # An explicit phase date need not be the day stretching began (a client may stretch from day one).
    b_words = f"from {cut:%d %b}" if phase_date is not None else "stretching"
    in_a = daily[C.DATE] < cut if cut is not None else pd.Series(True, index=daily.index)
    a, b = daily[in_a], daily[~in_a]
    ax.plot(a[C.DATE], a["value"], "-o", color=GREY, markerfacecolor="white", markersize=4,
            linewidth=0.8, label=f"A: baseline ({len(a)} days)" if len(a) else "_no A", gid="phase_a")
    ax.plot(b[C.DATE], b["value"], "-o", color=color, markersize=3.5, linewidth=0.8, alpha=0.85,
            label=f"B: {b_words} ({len(b)} days)" if len(b) else "_no B", gid="phase_b")
    for part, gid, tone in ((a, "mean_a", GREY), (b, "mean_b", color)):
        if not part.empty:
            mean = float(part["value"].mean())
            ax.plot([part[C.DATE].min(), part[C.DATE].max()], [mean, mean], color=tone,
                    linestyle="--", linewidth=1.8, gid=gid, label=f"{gid[-1].upper()} mean {mean:.1f}")
    if cut is not None:
        ax.axvline(cut, color=COLORS["phase"], linestyle="-", linewidth=1.4, gid="phase",
                   label=f"phase B from {cut:%d %b}" if phase_date is not None
                   else f"stretching began {cut:%d %b}")

    nap, ci = None, None
    if cut is None:
        text = "No stretching logged yet:\nno phase B to compare."
    else:
        if effects is None:
            effects = phase_effect_sizes(rows, score, phase_date=phase_date, client=client,
                                         metrics=["NAP", "Tau"])
        es = effects[effects[C.CLIENT_ID] == client].set_index("metric")
        if {"NAP", "Tau"} <= set(es.index):
            nap = float(es.loc["NAP", "est"])
            ci = (float(es.loc["NAP", "ci_lower"]), float(es.loc["NAP", "ci_upper"]))
            better = "lower" if IMPROVEMENT.get(score) == "decrease" else "higher"
            text = (f"NAP {_interval(es.loc['NAP'])}\nTau {_interval(es.loc['Tau'])}\n"
                    f"NAP = share of (A, B) day pairs\nwith B {better} (better)")
        else:
            text = (f"Effect sizes need at least 2\nbaseline days before stretching\n"
                    f"and 1 after (A: {len(a)}, B: {len(b)}).")
    ax.text(1.02, 0.0, text, transform=ax.transAxes, ha="left", va="bottom", fontsize=8.5,
            gid="effect_sizes", bbox=dict(boxstyle="round,pad=0.4", facecolor="white", edgecolor=GREY,
                                          linewidth=0.6))
    if score in (C.PAIN, C.PAIN_AFTER, C.FLEXIBILITY):
        ax.set_ylim(-0.4, 10.4)
        ax.set_yticks(range(0, 11, 2))
    ax.set_ylabel(label)
    if cut is None:
        ax.set_title(f"{client}: {name} baseline only, no stretching logged yet", y=1.0)
    elif nap is None and a.empty:
        ax.set_title(f"{client}: stretching began on day one, so no baseline to compare {name} with", y=1.0)
    elif nap is None:
        ax.set_title(f"{client}: too few days to compare {name} before and after stretching began", y=1.0)
    else:
        since = f"from {cut:%d %b}" if phase_date is not None else "once stretching began"
        ax.set_title(phase_title(client, score, nap, ci, since), y=1.0)
    pad_dates(ax, daily[C.DATE])
    date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax
