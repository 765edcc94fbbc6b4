"""Caseload overview for a therapist: who is doing the programme, who is better, who needs a call.

- :func:`caseload_scatter`: one dot per client, adherence (x) against the change in pain since
  baseline (y), with the MCID line (2 points better) and the 80 % adherence line; clients with a
  recent warning or alert are drawn as a triangle / diamond and labelled with their flags.
- :func:`caseload_trends`: small multiples of each client's daily pain and 7-day mean, sorted by
  need (alerts first, then warnings, then whose pain improved least).
- :func:`caseload_chart`: both in one figure.

"Recent" flags are those dated in the last ``recent_days`` (default 14) days before ``as_of``;
info-level flags are left out, a caseload view is for what needs action.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.transforms import Bbox

from backanalytics import columns as C
from backanalytics.metrics.caseload import CaseloadMetrics, caseload_metrics
from backanalytics.metrics.consistency import consistency
from backanalytics.metrics.flags import SEVERITY_ORDER
from backanalytics.metrics.outcomes import outcomes, rolling_mean
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.plots.progress import broken_at_gaps
from backanalytics.plots.style import (
    COLORS,
    GREY,
    date_axis,
    fixed_date_ticks,
    get_ax,
    get_fig,
    root_figure,
    settle_layout,
    styled,
)
from backanalytics.thresholds import THRESHOLDS

MARKERS = {"alert": "D", "warning": "^", "none": "o"}
FLAG_WORDS = {"pain_flare": "flare", "pain_during_stretching": "pain while stretching",
              "silent": "silent", "low_adherence": "low adherence", "no_improvement": "no improvement"}


def caseload_table(log: pd.DataFrame, as_of: object | None = None,
                   prescription: float | pd.DataFrame | None = None, recent_days: int = 14,
                   flags: pd.DataFrame | None = None, thresholds: Mapping[str, float] | None = None,
                   tables: CaseloadMetrics | None = None) -> pd.DataFrame:
    """Per client: ``adherence, pain_change, pain_mcid_reached, severity`` (worst recent flag or
    "none"), ``flags`` (recent flag kinds in words) and ``need`` (sort key: smaller = more urgent).

    ``thresholds`` overrides :data:`backanalytics.thresholds.THRESHOLDS` for the outcomes and flags.
    ``tables``: the caseload's metrics already computed (a :class:`CaseloadMetrics`, or the
    report's ``Metrics``: anything with ``consistency``, ``outcomes`` and ``flags``), used as they
    are instead of computing them again from ``log``."""
    as_of = resolve_as_of(log, as_of)
    if tables is not None:
        cons, out, fl = tables.consistency, tables.outcomes, tables.flags
    elif flags is None:
        tables = caseload_metrics(log, as_of=as_of, prescription=prescription, thresholds=thresholds)
        cons, out, fl = tables.consistency, tables.outcomes, tables.flags
    else:
        cons = consistency(log, prescription, as_of)
        out, fl = outcomes(log, as_of=as_of, thresholds=thresholds), flags
    table = pd.DataFrame({"adherence": cons["adherence"], "pain_change": out["pain_change"],
                          "pain_mcid_reached": out["pain_mcid_reached"]})
    recent = fl[(fl[C.DATE] > as_of - pd.Timedelta(days=recent_days)) & (fl["severity"] != "info")]
    rank = recent["severity"].map(SEVERITY_ORDER).groupby(recent[C.CLIENT_ID]).min()
    names = {v: k for k, v in SEVERITY_ORDER.items()}
    table["severity"] = rank.map(names).reindex(table.index).fillna("none")
    kinds = recent.drop_duplicates([C.CLIENT_ID, "flag"]).groupby(C.CLIENT_ID)["flag"].agg(
        lambda f: ", ".join(FLAG_WORDS.get(k, k) for k in f))
    table["flags"] = kinds.reindex(table.index).fillna("")
    severity_rank = table["severity"].map({**SEVERITY_ORDER, "none": 3})
    # Most urgent first: worst flag, then the least pain improvement (unknown change last).
    table["need"] = severity_rank * 100 - table["pain_change"].fillna(-99).clip(-50, 50)
    return table.sort_values(["need"], kind="stable")


@styled
def caseload_scatter(log: pd.DataFrame, ax: Axes | None = None, *, as_of: object | None = None,
                     prescription: float | pd.DataFrame | None = None, recent_days: int = 14,
                     table: pd.DataFrame | None = None, thresholds: Mapping[str, float] | None = None) -> Axes:
    """Dot plot of adherence (%) against pain change since baseline, one dot per client.

    Parameters
    ----------
    log : pandas.DataFrame
        The canonical log (all clients; not changed).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    as_of, prescription, recent_days
        Passed to :func:`caseload_table`.
    table : pandas.DataFrame, optional
        A precomputed :func:`caseload_table`.
    thresholds : mapping, optional
        Overrides for :data:`backanalytics.thresholds.THRESHOLDS`: the MCID and adherence lines
        (and the table, when computed here) follow them.

    Returns
    -------
    matplotlib.axes.Axes
        One PathCollection per severity with ``gid`` "clients:<severity>" (offsets = adherence in
        %, pain change), a line with ``gid`` "mcid" at minus the MCID, one with ``gid``
        "adherent" at 80 %, and a text label per client (flagged ones in bold with their flags).
    """
    ax = get_ax(ax, figsize=(7.5, 5.5))
    if table is None:
        table = caseload_table(log, as_of, prescription, recent_days, thresholds=thresholds)
    t = {**THRESHOLDS, **(thresholds or {})}
    mcid = t["pain_mcid_points"]
    ax.axhline(-mcid, color=COLORS["good"], linestyle="--", linewidth=1.2, gid="mcid",
               label=f"MCID: {mcid:g} points less pain")
    ax.axhline(0, color=GREY, linewidth=0.8, gid="zero")
    ax.axvline(100 * t["adherent"], color=GREY, linestyle=":", linewidth=1.2, gid="adherent",
               label=f"adherent: {t['adherent']:.0%} of sessions")
    shown = table.dropna(subset=["adherence", "pain_change"])
    for severity in ("alert", "warning", "none"):
        part = shown[shown["severity"] == severity]
        if part.empty:
            continue
        color = COLORS.get(severity, GREY)
        words = {"none": "no recent flag"}.get(severity, f"recent {severity}")
        ax.scatter(100 * part["adherence"], part["pain_change"], s=70, marker=MARKERS[severity],
                   c=color, edgecolors="black", linewidths=0.6, zorder=4, label=words,
                   gid=f"clients:{severity}")
    missing = table.index.difference(shown.index)
    if len(missing):
        ax.text(0.0, 1.0, "not shown (no pain change or no sessions): " + ", ".join(map(str, missing)),
                transform=ax.transAxes, fontsize=8, color=GREY, va="top")
    lo = min(-mcid - 1.0, float(shown["pain_change"].min()) - 0.5) if len(shown) else -mcid - 1
    hi = max(1.0, float(shown["pain_change"].max()) + 0.5) if len(shown) else 1.0
    ax.set_ylim(lo, hi)
    right = max(105.0, float(100 * shown["adherence"].max()) + 25) if len(shown) else 105.0
    ax.set_xlim(0, right)
    ax.set_xlabel("adherence (% of prescribed session days)")
    ax.set_ylabel("change in pain since baseline (points)\nbelow 0 = less pain")
    ax.grid(axis="x")
    improved = int((shown["pain_change"] <= -mcid).sum())
    at_risk = int((table["severity"] != "none").sum())
    # In a narrow panel the title wraps and the legend stacks: a legend or title wider than its
    # (sub)figure makes constrained layout collapse the axes.
    room = ax.figure.bbox.width / root_figure(ax).dpi
    ax.set_title(wrap_to(f"Caseload: {improved} of {len(table)} clients improved by the MCID; "
                         f"{at_risk} with a recent flag", room - 0.9))  # less the y labels
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=3 if room >= 7.5 else 2 if room >= 4 else 1,
              borderaxespad=0)
    _label_clients(ax, shown)
    return ax


#: Where a client's label may go, tried in order: (offset in points, horizontal alignment).
LABEL_SPOTS = (((7, 0), "left"), ((-7, 0), "right"), ((7, 12), "left"), ((7, -12), "left"),
               ((-7, 12), "right"), ((-7, -12), "right"))


def wrap_to(title: str, inches: float, points: float = 11.0) -> str:
    """Wrap a bold title to lines that fit ``inches`` (about 0.66 em per character)."""
    return "\n".join(textwrap.wrap(title, max(20, int(inches * 72 / (0.66 * points)))))


def _inside(box: Bbox, area: Bbox) -> bool:
    return box.x0 >= area.x0 and box.x1 <= area.x1 and box.y0 >= area.y0 and box.y1 <= area.y1


def _label_clients(ax: Axes, shown: pd.DataFrame) -> None:
    """Label every dot, flagged clients in bold with their flags, avoiding other labels and dots.

    Greedy: the layout is settled first, then each label takes the first spot in
    :data:`LABEL_SPOTS` whose box overlaps no placed label and no dot (flagged clients first).
    """
    settle_layout(root_figure(ax))
    area = ax.get_window_extent()
    dots = ax.transData.transform(np.c_[100 * shown["adherence"], shown["pain_change"]])
    taken = [Bbox.from_bounds(x - 6, y - 6, 12, 12) for x, y in dots]
    order = sorted(range(len(shown)), key=lambda i: shown["severity"].iloc[i] == "none")
    for i in order:
        client, row = shown.index[i], shown.iloc[i]
        flagged = row["severity"] != "none"
        text = "\n".join([str(client), *textwrap.wrap(row["flags"], 18)]) if flagged else str(client)
        label = ax.annotate(text, (100 * row["adherence"], row["pain_change"]), xytext=(7, 0),
                            textcoords="offset points", va="center", fontsize=8, gid=f"label:{client}",
                            fontweight="bold" if flagged else "normal", color="black" if flagged else GREY)
        mine = Bbox.from_bounds(dots[i][0] - 6, dots[i][1] - 6, 12, 12)
        free = []  # spots clear of other labels and dots, those inside the axes first
        for offset, ha in LABEL_SPOTS:
            label.set_position(offset)
            label.set_horizontalalignment(ha)
            box = label.get_window_extent().expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in taken if other is not mine):
                free.append((not _inside(box, area), offset, ha))
        offset, ha = (min(free, key=lambda f: f[0])[1:] if free else (LABEL_SPOTS[0][0], "left"))
        label.set_position(offset)
        label.set_horizontalalignment(ha)
        taken.append(label.get_window_extent().expanded(1.05, 1.1))


@styled
def caseload_trends(log: pd.DataFrame, fig: Figure | SubFigure | None = None, *,
                    as_of: object | None = None, prescription: float | pd.DataFrame | None = None,
                    recent_days: int = 14, ncols: int = 3, table: pd.DataFrame | None = None,
                    first_rank: int = 1) -> Figure | SubFigure:
    """Small multiples of each client's daily pain and 7-day mean, most in need first.

    Parameters
    ----------
    log : pandas.DataFrame
        The canonical log (all clients; not changed).
    fig : matplotlib.figure.Figure or SubFigure, optional
        Where to draw; a new figure when omitted.
    as_of, prescription, recent_days
        Passed to :func:`caseload_table`.
    ncols : int, default 3
        Panels per row; the clients wrap into as many rows as needed.
    table : pandas.DataFrame, optional
        A precomputed :func:`caseload_table` (or a slice of it: one page of a long caseload).
    first_rank : int, default 1
        The need rank of the table's first client (a slice starting at the 13th client: 13).

    Returns
    -------
    Figure or SubFigure
        ``fig.axes`` holds exactly one Axes per client, in need order (see :func:`caseload_table`),
        each titled "<rank>. <client>" with its flags, sharing the date range and the 0-10 scale.
    """
    as_of = resolve_as_of(log, as_of)
    if table is None:
        table = caseload_table(log, as_of, prescription, recent_days)
    n = len(table)
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig = get_fig(fig, (2.6 * ncols + 0.4, 1.9 * nrows + 0.6))
    # Not sharex/sharey: matplotlib lays out a shared axis by measuring every sibling's tick labels,
    # n^2 text boxes per layout pass. The panels get the same limits and ticks below instead.
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax in axes[max(n, 1):]:  # the unused end of the last row
        fig.delaxes(ax)
    axes = axes[:max(n, 1)]
    for i, ax in enumerate(axes):
        # Date labels where no panel is below (a bottom row cut short leaves its upper neighbours
        # labelled), score labels in the first column.
        ax.tick_params(labelbottom=i + ncols >= n, labelleft=i % ncols == 0)
    daily = rolling_mean(log[log[C.DATE] <= as_of], C.PAIN)
    for i, (ax, (client, row)) in enumerate(zip(axes, table.iterrows(), strict=False)):
        d = daily[daily[C.CLIENT_ID] == client]
        if d.empty:
            ax.text(0.5, 0.5, "no pain scores", transform=ax.transAxes, ha="center", va="center",
                    color=GREY, fontsize=8)
        else:
            ax.plot(d[C.DATE], d["value"], "o", color=COLORS[C.PAIN], markersize=2, alpha=0.4,
                    markeredgewidth=0)
            x, y = broken_at_gaps(d[C.DATE], d["rolling_mean"], 7)
            ax.plot(x, y, color=COLORS[C.PAIN], linewidth=1.8, gid="rolling")
        change = "" if pd.isna(row["pain_change"]) else f"pain {row['pain_change']:+.1f}"
        marker = {"alert": " [ALERT]", "warning": " [warning]"}.get(row["severity"], "")
        ax.set_title(f"{first_rank + i}. {client}{marker}", fontsize=9.5,
                     color=COLORS["bad"] if row["severity"] == "alert" else "black")
        note = "; ".join(p for p in (change, row["flags"]) if p)
        ax.text(0.02, 0.04, "\n".join(textwrap.wrap(note, 34)[:2]), transform=ax.transAxes, fontsize=7.5,
                color=GREY, va="bottom")
        ax.tick_params(labelsize=8)
    drawn = [ax.dataLim for ax in axes if ax.lines]
    if drawn:  # one date range for all, with matplotlib's default 5 % margins
        lo, hi = min(b.x0 for b in drawn), max(b.x1 for b in drawn)
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
    for ax in axes:
        ax.set_ylim(-0.4, 10.4)
        ax.set_yticks(range(0, 11, 2))
    if drawn:
        fixed_date_ticks(list(axes), lo - pad, hi + pad)
    else:
        date_axis(axes[0])
    for ax in axes[:n:ncols]:
        ax.set_ylabel("pain (0-10)", fontsize=8.5)
    fig.suptitle(wrap_to("Pain by client, most in need first (dots: daily pain, line: 7-day mean)",
                         fig.bbox.width / root_figure(axes[0]).dpi),
                 x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig


#: Width of one small multiple (inches) when :func:`caseload_chart` picks the number of columns.
PANEL_WIDTH = 1.9
#: A figure at least this many times as wide as tall puts the scatter beside the small multiples.
SIDE_BY_SIDE_ASPECT = 1.3


def caseload_size(n_clients: int, width: float = 10.5) -> tuple[float, float]:
    """A figure size for :func:`caseload_chart` that prints at its true size on A4 landscape.

    10.5 inches fits the 273 mm text width of an A4 landscape page, so 8-point labels stay 8
    points; the height grows with the rows of small multiples (the scatter beside them).
    """
    trend_width = width * 1.35 / 2.35
    ncols = max(1, min(4, int(trend_width // PANEL_WIDTH)))
    rows = max(1, math.ceil(n_clients / ncols))
    return width, max(4.6, 1.5 * rows + 0.5)


@styled
def caseload_chart(log: pd.DataFrame, fig: Figure | None = None, *, as_of: object | None = None,
                   prescription: float | pd.DataFrame | None = None, recent_days: int = 14,
                   ncols: int | None = None, thresholds: Mapping[str, float] | None = None,
                   table: pd.DataFrame | None = None) -> Figure:
    """One figure for the whole caseload: :func:`caseload_scatter` and :func:`caseload_trends`.

    Parameters
    ----------
    log : pandas.DataFrame
        The canonical log (all clients; not changed).
    fig : matplotlib.figure.Figure, optional
        Where to draw; a new figure of :func:`caseload_size` when omitted.
    as_of, prescription, recent_days
        Passed to :func:`caseload_table`.
    ncols : int, optional
        Small multiples per row (default: as many ~1.9-inch panels as fit, at most 4).
    thresholds : mapping, optional
        Overrides for :data:`backanalytics.thresholds.THRESHOLDS` (see :func:`caseload_scatter`).
    table : pandas.DataFrame, optional
        A precomputed :func:`caseload_table` (a report computes its metrics once and shares them).

    Returns
    -------
    matplotlib.figure.Figure
        A wide figure (width >= 1.3 x height) has the scatter on the left and the small multiples
        on the right; a narrower one stacks the scatter above them. ``fig.axes`` holds the scatter's
        Axes and one Axes per client (titled "<rank>. <client>").
    """
    if table is None:
        table = caseload_table(log, as_of, prescription, recent_days, thresholds=thresholds)
    fig = get_fig(fig, caseload_size(len(table)))
    width, height = fig.get_size_inches()
    if width >= SIDE_BY_SIDE_ASPECT * height:
        left, right = fig.subfigures(1, 2, width_ratios=[1.0, 1.35])
        room = width * 1.35 / 2.35
    else:
        left, right = fig.subfigures(2, 1, height_ratios=[1.0, 1.3])
        room = width
    cols = ncols or max(1, min(4, int(room // PANEL_WIDTH)))
    caseload_trends(log, right, as_of=as_of, table=table, ncols=cols)
    caseload_scatter(log, ax=left.subplots(), table=table, thresholds=thresholds)  # last: labels see the layout
    return fig
