"""Weekly adherence: session days per week against the prescribed target.

Bars come from :func:`backanalytics.metrics.consistency.weekly_consistency`, one per ISO week of
the client's period. Weeks that met the target are solid green; weeks that missed it are orange
with a hatch, so the two differ without colour; the week still in progress is drawn paler.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from backanalytics import columns as C
from backanalytics.metrics.consistency import weekly_consistency
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.plots.style import COLORS, GREY, client_log, date_axis, empty_panel, get_ax, styled

MET_HATCH = ""
MISSED_HATCH = "///"


@styled
def weekly_adherence(log: pd.DataFrame, client: str, ax: Axes | None = None, *,
                     prescription: float | pd.DataFrame | None = None, as_of: object | None = None,
                     weekly: pd.DataFrame | None = None) -> Axes:
    """Bar per week of session days, the target as a step line, met weeks distinguishable.

    Parameters
    ----------
    log : pandas.DataFrame
        The canonical log (only ``client``'s rows are used; the log is not changed).
    client : str
        The client to draw.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    prescription, as_of
        Passed to :func:`weekly_consistency` (default: daily, up to the last date in the whole
        log, so the weeks after a client stopped are shown as empty).
    weekly : pandas.DataFrame, optional
        A precomputed :func:`weekly_consistency` table (any clients); computed when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per week (``ax.containers[0]``, in week order, height = session days, ``gid``
        "met" / "missed"), the target as a step line labelled "target", and a title in words.
    """
    ax = get_ax(ax)
    as_of = resolve_as_of(log, as_of)  # the whole log's last day, so a drop-out's empty weeks show
    rows = client_log(log, client)
    if weekly is None:
        weekly = weekly_consistency(rows, prescription, as_of)
    weeks = weekly[weekly[C.CLIENT_ID] == client].sort_values("week")
    if weeks.empty:
        return empty_panel(ax, "No stretching logged yet: nothing to count against the target.",
                           f"{client}: no weeks to show")
    x = weeks["week"] + pd.Timedelta(days=3.5)  # bar centred on the middle of the week
    met = weeks["met"].to_numpy(bool)
    done = weeks["complete"].to_numpy(bool)
    bars = ax.bar(x, weeks["sessions"], width=5.5, edgecolor="white", linewidth=0.5,
                  color=[COLORS["good"] if ok else COLORS["warning"] for ok in met], label="_bars")
    for bar, ok, complete in zip(bars, met, done, strict=True):
        bar.set_hatch(MET_HATCH if ok else MISSED_HATCH)
        bar.set_alpha(1.0 if complete else 0.45)
        bar.set_gid("met" if ok else "missed")
    # Target as a step line across each week (the first week may have a smaller target).
    edges = pd.DatetimeIndex([*weeks["week"], weeks["week"].iloc[-1] + pd.Timedelta(days=7)])
    target = weeks["target"].to_numpy(float)
    ax.step(edges, np.r_[target, target[-1]], where="post", color=COLORS["target"], linestyle="--",
            linewidth=1.4, label="target")
    if not done[-1]:
        ax.annotate("in progress", (x.iloc[-1], weeks["sessions"].iloc[-1]), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8, color=GREY)
    n_met, n = int(met[done].sum()), int(done.sum())
    per_week = float(np.nanmax(target))
    if weeks["sessions"].sum() == 0:
        ax.set_title(f"{client}: no stretching logged yet (target {per_week:g} days a week)", y=1.0)
    else:
        ax.set_title(f"{client}: met the target ({per_week:g} days a week) in {n_met} of {n} "
                     f"complete week{'s' * (n != 1)}", y=1.0)
    ax.set_ylabel("session days per week")
    ax.set_xlabel(f"week starting (Monday), {weeks['week'].iloc[0]:%Y}")
    top = max(7.0, per_week, float(weeks["sessions"].max()))
    ax.set_ylim(0, top + 1.2)
    ax.set_yticks(range(0, int(top) + 1))
    ax.set_xlim(edges[0] - pd.Timedelta(days=1), edges[-1] + pd.Timedelta(days=1))
    date_axis(ax, mondays=len(weeks))
    handles = [Patch(facecolor=COLORS["good"], label="target met"),
               Patch(facecolor=COLORS["warning"], hatch=MISSED_HATCH, edgecolor="white",
                     label="target missed"),
               *ax.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax
