"""Calendar heatmap of session days, GitHub style: weeks as columns, weekdays as rows.

Every day from the client's first entry to ``as_of`` gets a cell, in one of four kinds, so a day
with nothing logged never looks like a day with zero:

- **stretched**: coloured by minutes stretched (hold x reps,
  :func:`backanalytics.catalog.seconds_stretched`) or by the number of stretches, on a single-hue
  blue scale (darker = more; lightness alone carries the value, so it reads the same with
  colour-vision deficiency and in greyscale);
- **logged, no stretching**: an entry (a score) but no stretch: white with a grey outline;
- **planned rest**: a habit app's planned skip: white with a grey hatch;
- **no entry**: nothing logged that day: light grey.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.patches import Patch, Rectangle

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.metrics.consistency import WEEKDAYS
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.plots.style import (
    COLORS,
    GREY,
    client_log,
    empty_panel,
    get_ax,
    sequential_cmap,
    stretched,
    styled,
)

CELL = 0.86  # cell size, leaving a white gutter between days
VALUE_LABELS = {"minutes": "minutes stretched", "stretches": "stretches done"}


def day_table(log: pd.DataFrame, as_of: pd.Timestamp, value: str = "minutes") -> pd.DataFrame:
    """One row per calendar day of one client's log, first entry to ``as_of``.

    Columns ``date, kind`` ("stretched", "no_stretch", "rest", "missing"), ``value`` (minutes or
    stretches; NaN unless stretched), ``col`` (week number from the first Monday) and ``row``
    (weekday, Monday = 0).
    """
    day = log[C.DATE].dt.normalize()
    did = stretched(log)
    first = day.min()
    days = pd.date_range(first, max(as_of, first), freq="D")
    if value == "minutes":
        amount = (catalog.seconds_stretched(log[did]) / 60).groupby(day[did]).sum()
    else:
        amount = did[did].groupby(day[did]).size().astype(float)
    rest = log[C.PLANNED_REST].fillna(False).astype(bool) if C.PLANNED_REST in log else did & False
    out = pd.DataFrame({C.DATE: days})
    any_entry = out[C.DATE].isin(day)
    kind = np.where(out[C.DATE].isin(day[did]), "stretched",
                    np.where(out[C.DATE].isin(day[rest]), "rest",
                             np.where(any_entry, "no_stretch", "missing")))
    out["kind"] = kind
    out["value"] = amount.reindex(days).to_numpy()
    out.loc[out["kind"] != "stretched", "value"] = np.nan
    monday0 = days[0] - pd.Timedelta(days=days[0].day_of_week)
    out["col"] = (out[C.DATE] - monday0).dt.days // 7
    out["row"] = out[C.DATE].dt.day_of_week
    return out


def _cells(table: pd.DataFrame) -> list[Rectangle]:
    off = (1 - CELL) / 2
    return [Rectangle((c - 0.5 + off, r - 0.5 + off), CELL, CELL)
            for c, r in zip(table["col"], table["row"], strict=True)]


@styled
def calendar_heatmap(log: pd.DataFrame, client: str, ax: Axes | None = None, *,
                     value: Literal["minutes", "stretches"] = "minutes", as_of: object | None = None,
                     colorbar: bool = True) -> Axes:
    """GitHub-style calendar of one client's days, coloured by minutes (or stretches) per day.

    Parameters
    ----------
    log : pandas.DataFrame
        The canonical log (not changed).
    client : str
        The client to draw.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    value : {"minutes", "stretches"}, default "minutes"
        Colour by minutes stretched or by the number of stretches done that day.
    as_of : date-like, optional
        Last day shown (default: the latest date in the whole log, so a drop-out's silence shows).
    colorbar : bool, default True
        Add a colour bar for the value scale.

    Returns
    -------
    matplotlib.axes.Axes
        Four PatchCollections with ``gid`` "stretched" (its array = the values), "no_stretch",
        "rest" and "missing"; one cell per day; weekdays as y tick labels, months on top.
    """
    if value not in VALUE_LABELS:
        raise ValueError(f"value must be 'minutes' or 'stretches', not {value!r}")
    as_of = resolve_as_of(log, as_of)
    rows = client_log(log, client)
    rows = rows[rows[C.DATE] <= as_of]
    if rows.empty:
        return empty_panel(get_ax(ax), f"Nothing logged up to {as_of:%d %b %Y}.", f"{client}: no days")
    table = day_table(rows, as_of, value)
    n_cols = int(table["col"].max()) + 1
    ax = get_ax(ax, figsize=(min(max(n_cols * 0.3 + 2.6, 6.0), 18.0), 2.9))
    stretched_days = table[table["kind"] == "stretched"]
    if not stretched_days.empty:
        vmax = max(float(stretched_days["value"].max()), 1.0)
        coll = PatchCollection(_cells(stretched_days), cmap=sequential_cmap(),
                               norm=Normalize(0, vmax), edgecolor="none")
        coll.set_array(stretched_days["value"].to_numpy(float))
        coll.set_gid("stretched")
        ax.add_collection(coll)
        if colorbar:
            bar = ax.figure.colorbar(coll, ax=ax, shrink=0.85, pad=0.02, aspect=12)
            bar.set_label(f"{VALUE_LABELS[value]} per day")
            bar.outline.set_visible(False)
    styles = {
        "no_stretch": dict(facecolor="white", edgecolor=GREY, linewidth=0.8),
        "rest": dict(facecolor="white", edgecolor=GREY, linewidth=0.8, hatch="////"),
        "missing": dict(facecolor=COLORS["missing"], edgecolor="none"),
    }
    for kind, kw in styles.items():
        part = table[table["kind"] == kind]
        coll = PatchCollection(_cells(part), **kw)
        coll.set_gid(kind)
        ax.add_collection(coll)

    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(6.6, -0.6)  # Monday on top
    ax.set_aspect("equal")
    ax.set_yticks(range(7), WEEKDAYS, fontsize=8)
    starts = table[(table[C.DATE].dt.day == 1) | (table.index == 0)]
    labels = [f"{d:%b}" if i and d.month != 1 else f"{d:%b %Y}" for i, d in enumerate(starts[C.DATE])]
    ax.set_xticks(starts["col"].to_numpy(), labels, fontsize=8, ha="left")
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)

    n_days, n_stretch = len(table), len(stretched_days)
    ax.set_title(f"{client}: stretched on {n_stretch} of the {n_days} days shown", pad=18)
    handles = [Patch(facecolor=COLORS["missing"], label="no entry"),
               Patch(facecolor="white", edgecolor=GREY, label="logged, no stretching"),
               Patch(facecolor="white", edgecolor=GREY, hatch="////", label="planned rest")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.02), ncols=3,
              borderaxespad=0, handlelength=1.0, handleheight=1.0)
    return ax
