"""Caseload overview for a therapist: who is doing the programme, who is better, who needs a call.

- :func:`caseload_scatter`: one dot per client, adherence (x) against the change in pain since
  baseline (y), with the MCID line (2 points better) and the 80 % adherence line; clients with a
  recent warning or alert are drawn as a triangle / diamond and labelled with their flags.
- :func:`caseload_trends`: small multiples of each client's daily pain and 7-day mean, sorted by
  need (alerts first, then warnings, then whose pain improved least).
- :func:`caseload_chart`: both in one figure.

Their axes are placed by :mod:`backanalytics.plots.caseload_layout` from the font sizes of their
text (the figure's layout engine is turned off): measuring every panel's text took most of the time.

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
from matplotlib.transforms import Bbox, ScaledTranslation

from backanalytics import columns as C
from backanalytics.metrics.caseload import CaseloadMetrics, caseload_metrics
from backanalytics.metrics.consistency import consistency
from backanalytics.metrics.flags import SEVERITY_ORDER
from backanalytics.metrics.outcomes import outcomes, rolling_mean
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.plots.caseload_layout import (
    PANEL_WIDTH,
    SCORE_LABEL_X,
    SIDE_BY_SIDE_ASPECT,
    X_LABELS,
    Rect,
    caseload_size,
    place_panels,
    place_scatter,
    scatter_words,
    size_in_points,
    wrap_to,
)
from backanalytics.plots.placement import shorten_to_width
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
                     table: pd.DataFrame | None = None, thresholds: Mapping[str, float] | None = None,
                     width: float | None = None) -> Axes:
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
    width : float, optional
        Inches the title and legend may take (a narrow one wraps the title and stacks the
        legend); default: the width of the (sub)figure.

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
    # In a narrow panel the title wraps and the legend stacks: a legend or title wider than its
    # (sub)figure makes constrained layout collapse the axes.
    title, ncols = scatter_words(table, mcid, width or ax.figure.bbox.width / root_figure(ax).dpi)
    ax.set_title(title, y=1.0)  # y: matplotlib need not look for tick labels above the axes
    # Below the x tick labels and axis label, whatever the axes' height.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=ncols, borderaxespad=X_LABELS / 9)
    _label_clients(ax, shown)
    return ax


#: Characters of a client id a dot's label shows (a longer id ends in "…": the label keeps to the dot).
LABEL_CHARS = 16
#: Where a client's label may go, tried in order: (offset in points, horizontal alignment).
LABEL_SPOTS = (((7, 0), "left"), ((-7, 0), "right"), ((7, 12), "left"), ((7, -12), "left"),
               ((-7, 12), "right"), ((-7, -12), "right"))


def _inside(box: Bbox, area: Bbox) -> bool:
    return box.x0 >= area.x0 and box.x1 <= area.x1 and box.y0 >= area.y0 and box.y1 <= area.y1


def _label_clients(ax: Axes, shown: pd.DataFrame) -> None:
    """Label every dot, flagged clients in bold with their flags, avoiding other labels and dots.

    Greedy: the layout is settled first, then each label takes the first spot in
    :data:`LABEL_SPOTS` whose box overlaps no placed label and no dot (flagged clients first).
    A label is measured once: its box at another spot is that box moved by the offset (and by its
    width when right-aligned).
    """
    settle_layout(root_figure(ax))
    area = ax.get_window_extent()
    pixels = root_figure(ax).dpi / 72
    dots = ax.transData.transform(np.c_[100 * shown["adherence"], shown["pain_change"]])
    taken = [Bbox.from_bounds(x - 6, y - 6, 12, 12) for x, y in dots]
    order = sorted(range(len(shown)), key=lambda i: shown["severity"].iloc[i] == "none")
    (x0, y0), _ = LABEL_SPOTS[0]
    for i in order:
        client, row = shown.index[i], shown.iloc[i]
        flagged = row["severity"] != "none"
        name = str(client)
        name = name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1].rstrip() + "…"
        text = "\n".join([name, *textwrap.wrap(row["flags"], 18)]) if flagged else name
        label = ax.annotate(text, (100 * row["adherence"], row["pain_change"]), xytext=(x0, y0),
                            textcoords="offset points", va="center", fontsize=8, gid=f"label:{client}",
                            fontweight="bold" if flagged else "normal", color="black" if flagged else GREY)
        first = label.get_window_extent()
        boxes = {spot: first.translated((spot[0][0] - x0) * pixels - (first.width if spot[1] == "right" else 0),
                                        (spot[0][1] - y0) * pixels).expanded(1.05, 1.1) for spot in LABEL_SPOTS}
        free = [(not _inside(box, area), spot) for spot, box in boxes.items()  # inside the axes first
                if not any(box.overlaps(other) for other in taken)]
        spot = min(free, key=lambda f: f[0])[1] if free else LABEL_SPOTS[0]
        label.set_position(spot[0])
        label.set_horizontalalignment(spot[1])
        taken.append(boxes[spot])


@styled
def caseload_trends(log: pd.DataFrame, fig: Figure | SubFigure | None = None, *,
                    as_of: object | None = None, prescription: float | pd.DataFrame | None = None,
                    recent_days: int = 14, ncols: int = 3, table: pd.DataFrame | None = None,
                    first_rank: int = 1, rect: Rect = (0.0, 0.0, 1.0, 1.0)) -> Figure | SubFigure:
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
    rect : (left, bottom, width, height), default the whole figure
        The part of ``fig`` to fill, in figure fractions.

    Returns
    -------
    Figure or SubFigure
        ``fig.axes`` holds exactly one Axes per client, in need order (see :func:`caseload_table`),
        each titled "<rank>. <client>" with its flags, sharing the date range and the 0-10 scale.
        The panels are placed by :func:`place_panels` (the figure's layout engine is turned off).
    """
    as_of = resolve_as_of(log, as_of)
    if table is None:
        table = caseload_table(log, as_of, prescription, recent_days)
    n = len(table)
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig = get_fig(fig, (2.6 * ncols + 0.4, 1.9 * nrows + 0.6))
    width, height = size_in_points(fig, rect)
    heading = wrap_to("Pain by client, most in need first (dots: daily pain, line: 7-day mean)", width / 72)
    # Not sharex/sharey: matplotlib lays out a shared axis by measuring every sibling's tick labels,
    # n^2 text boxes per layout pass. The panels get the same limits and ticks below instead.
    axes = place_panels(fig, rect, max(n, 1), ncols, heading.count("\n") + 1)
    daily = rolling_mean(log[log[C.DATE] <= as_of], C.PAIN)
    for i, (ax, (client, row)) in enumerate(zip(axes, table.iterrows(), strict=False)):
        # Date labels where no panel is below (a bottom row cut short leaves its upper neighbours
        # labelled), score labels in the first column.
        ax.tick_params(labelbottom=i + ncols >= n, labelleft=i % ncols == 0, labelsize=8)
        # Axis labels at known spots: to place them matplotlib measures the tick labels once more.
        ax.xaxis.set_label_coords(0.5, 0.0)
        ax.yaxis.set_label_coords(0.0, 0.5, ax.transAxes + ScaledTranslation(-SCORE_LABEL_X / 72, 0,
                                                                                fig.dpi_scale_trans))
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
        title = ax.set_title("", fontsize=9.5, y=1.0,  # y: no title search
                             color=COLORS["bad"] if row["severity"] == "alert" else "black")
        # A client id longer than the panel is cut short ("…"); the caseload table has it whole.
        shorten_to_width(title, ax.get_window_extent().width, f"{first_rank + i}. ", str(client), marker)
        note = "; ".join(p for p in (change, row["flags"]) if p)
        ax.text(0.02, 0.04, "\n".join(textwrap.wrap(note, 34)[:2]), transform=ax.transAxes, fontsize=7.5,
                color=GREY, va="bottom")
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
    fig.suptitle(heading, x=rect[0] + rect[2] * 4 / width, y=rect[1] + rect[3] - rect[3] * 4 / height,
                 ha="left", va="top", fontsize=11, fontweight="bold")
    return fig


@styled
def caseload_chart(log: pd.DataFrame, fig: Figure | None = None, *, as_of: object | None = None,
                   prescription: float | pd.DataFrame | None = None, recent_days: int = 14,
                   ncols: int | None = None, thresholds: Mapping[str, float] | None = None,
                   table: pd.DataFrame | None = None, tables: CaseloadMetrics | None = None) -> Figure:
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
    tables : CaseloadMetrics, optional
        The caseload's metrics already computed (or a report's ``Metrics``), passed to
        :func:`caseload_table` instead of computing them again from ``log``.

    Returns
    -------
    matplotlib.figure.Figure
        A wide figure (width >= 1.3 x height) has the scatter on the left and the small multiples
        on the right; a narrower one stacks the scatter above them. ``fig.axes`` holds the scatter's
        Axes and one Axes per client (titled "<rank>. <client>"). The axes are placed by
        :func:`place_scatter` and :func:`place_panels` (the figure's layout engine is turned off).
    """
    if table is None:
        table = caseload_table(log, as_of, prescription, recent_days, thresholds=thresholds, tables=tables)
    fig = get_fig(fig, caseload_size(len(table)))
    width, height = fig.get_size_inches()
    if width >= SIDE_BY_SIDE_ASPECT * height:
        share = 1.0 / 2.35
        scatter, trends = (0.0, 0.0, share, 1.0), (share, 0.0, 1.0 - share, 1.0)
    else:
        share = 1.0 / 2.3
        scatter, trends = (0.0, 1.0 - share, 1.0, share), (0.0, 0.0, 1.0, 1.0 - share)
    cols = ncols or max(1, min(4, int(width * trends[2] // PANEL_WIDTH)))
    ax = place_scatter(fig, scatter, table, thresholds)  # first in fig.axes, drawn last: its labels
    caseload_trends(log, fig, as_of=as_of, table=table, ncols=cols, rect=trends)  # see the final layout
    caseload_scatter(log, ax=ax, table=table, thresholds=thresholds, width=width * scatter[2])
    return fig
