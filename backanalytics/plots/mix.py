"""What was done and how it felt: the stretch mix, the target areas, and within-session relief.

- :func:`stretch_mix`: times each stretch was done (:func:`backanalytics.metrics.dose.dose_by_stretch`),
  coloured by kind, the solid part of each bar the share of doses within the ACSM guidance.
- :func:`target_areas`: on how many days each body area was stretched (catalog target areas).
- :func:`relief_chart`: pain before vs after each session (a dumbbell per session), sessions where
  pain rose drawn in vermillion with an upward triangle, so they stand out without colour too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.metrics.dose import dose_by_stretch, within_guidance
from backanalytics.plots.placement import place_side_by_side
from backanalytics.plots.style import (
    COLORS,
    GREY,
    KIND_COLORS,
    client_log,
    date_axis,
    empty_panel,
    fit_labels_right,
    get_ax,
    get_fig,
    pad_dates,
    stretched,
    styled,
)

OUTSIDE_HATCH = "////"
NO_STRETCH = "No stretches logged yet."


@styled
def stretch_mix(log: pd.DataFrame, client: str, ax: Axes | None = None, *,
                guidance: Mapping[str, Mapping[str, float | None]] | None = None,
                dose: pd.DataFrame | None = None, fit: bool = True) -> Axes:
    """Horizontal bars: how often each stretch was done, solid = within dose guidance.

    Parameters
    ----------
    log : pandas.DataFrame
        The canonical log (not changed).
    client : str
        The client to draw.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    guidance : mapping, optional
        Dose guidance per stretch kind (default ACSM, :data:`backanalytics.catalog.DOSE_GUIDANCE`).
    dose : pandas.DataFrame, optional
        A precomputed :func:`dose_by_stretch` table; computed when omitted.
    fit : bool, default True
        Widen the x range now so the bar labels end inside the axes (in the figure's layout); False
        when the caller places the axes afterwards and then calls
        :func:`backanalytics.plots.style.fit_labels_right` itself.

    Returns
    -------
    matplotlib.axes.Axes
        Two bar containers, labelled "within guidance" (entries x within-guidance share) and
        "outside guidance" (the rest, hatched), one bar per stretch, most done at the top; y tick
        labels are the stretch names.
    """
    rows = client_log(log, client)
    if dose is None:
        dose = dose_by_stretch(rows, guidance)
    table = dose[dose[C.CLIENT_ID] == client].sort_values(["entries", C.STRETCH], ascending=[True, False])
    ax = get_ax(ax, figsize=(8.0, 0.45 * max(len(table), 3) + 1.4))
    if table.empty:
        return empty_panel(ax, NO_STRETCH, f"{client}: no stretches")
    names = table[C.STRETCH].astype(str).to_numpy()
    kinds = table["kind"].fillna("unknown").to_numpy()
    colors = [KIND_COLORS.get(k, KIND_COLORS["unknown"]) for k in kinds]
    share = table["within_guidance"].to_numpy(float)
    entries = table["entries"].to_numpy(float)
    within = np.where(np.isnan(share), 0.0, entries * np.nan_to_num(share))
    y = np.arange(len(table))
    ax.barh(y, within, color=colors, height=0.7, label="within guidance")
    ax.barh(y, entries - within, left=within, color=colors, alpha=0.35, height=0.7,
            hatch=OUTSIDE_HATCH, edgecolor="white", linewidth=0, label="outside guidance")
    labels = []
    for yi, n, s in zip(y, entries, share, strict=True):
        # The top bar says what the share is; the others repeat only the numbers (short labels
        # leave the bars room).
        words = "not judged" if np.isnan(s) else f"{s:.0%} within guidance" if yi == y[-1] else f"{s:.0%}"
        labels.append(ax.annotate(f"{n:.0f}x, {words}", (n, yi), xytext=(4, 0), textcoords="offset points",
                                  va="center", fontsize=8, color=GREY, gid="bar_label"))
    ax.set_yticks(y, names)
    ax.set_xlim(0, entries.max() * 1.45)
    ax.set_xlabel("times done (entries)")
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ok = within_guidance(rows[stretched(rows)], guidance).astype("Float64")
    overall = ok.mean() if ok.notna().any() else np.nan
    words = "" if pd.isna(overall) else f", {overall:.0%} of doses within guidance"
    ax.set_title(f"{client}: {len(table)} stretch{'es' * (len(table) != 1)}{words}", y=1.0)
    present = [k for k in KIND_COLORS if k in set(kinds)]
    handles = [Patch(facecolor=KIND_COLORS.get(k, GREY), label=k) for k in present]
    handles += [Patch(facecolor=GREY, label="within guidance"),
                Patch(facecolor=GREY, alpha=0.35, hatch=OUTSIDE_HATCH, edgecolor="white",
                      label="outside guidance")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    if fit:
        fit_labels_right(ax, labels)  # last: bar labels end inside the axes, so never under the legend
    return ax


@styled
def target_areas(log: pd.DataFrame, client: str, ax: Axes | None = None) -> Axes:
    """Horizontal bars: on how many days each body area was stretched (catalog target areas).

    Returns the Axes; one bar per area (container labelled "days stretched"), most-stretched at
    the top. Unknown
    stretches (not in the catalog) have no areas and are left out.
    """
    rows = client_log(log, client)
    done = rows.loc[stretched(rows), [C.DATE, C.STRETCH]]
    hits = done.merge(catalog.areas_table(), on=C.STRETCH)
    days = hits.drop_duplicates([C.DATE, "area"]).groupby("area").size().sort_values(kind="stable")
    ax = get_ax(ax, figsize=(6.0, 0.35 * max(len(days), 3) + 1.4))
    if days.empty:
        return empty_panel(ax, NO_STRETCH if done.empty else "No catalog stretches: areas unknown.",
                           f"{client}: no target areas")
    bars = ax.barh(np.arange(len(days)), days.to_numpy(), color=COLORS["good"], height=0.7,
                   label="days stretched")
    ax.set_yticks(np.arange(len(days)), days.index.to_list())
    ax.bar_label(bars, padding=3, fontsize=8, color=GREY)
    n_days = done[C.DATE].dt.normalize().nunique()
    ax.set_xlim(0, days.max() * 1.15)
    ax.set_xlabel(f"days stretched\n(of {n_days} session days)")
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.set_title(f"{client}: {len(days)} target area{'s' * (len(days) != 1)} stretched", y=1.0)
    return ax


@styled
def stretch_mix_chart(log: pd.DataFrame, client: str, fig: Figure | None = None, *,
                      guidance: Mapping[str, Mapping[str, float | None]] | None = None) -> Figure:
    """Figure: :func:`stretch_mix` (left) beside :func:`target_areas` (right).

    The two axes are placed from the measured widths of their text (stretch names, legend, area
    names, titles), not by a layout engine (which measured every label of both panels, once to fit
    the bar labels and again when saving): the figure's engine is turned off
    (:func:`backanalytics.plots.placement.own_layout`), the bar labels are fitted once the
    axes have their final size.

    Examples
    --------
    >>> from backanalytics.sample import generate_log
    >>> log = generate_log(n_clients=1, days=28)
    >>> fig = stretch_mix_chart(log, log["client_id"].iloc[0])
    >>> left, right = fig.axes
    >>> bool(left.get_position().x1 < right.get_position().x0)
    True
    """
    fig = get_fig(fig, (13.0, 4.2))
    left, right = fig.add_axes((0.1, 0.2, 0.45, 0.6)), fig.add_axes((0.7, 0.2, 0.25, 0.6))
    target_areas(log, client, ax=right)
    # The left title names the client; the right one need not, and is short enough to fit its panel.
    right.set_title(right.get_title("left").removeprefix(f"{client}: "), loc="left", y=1.0)
    stretch_mix(log, client, ax=left, guidance=guidance, fit=False)
    place_side_by_side(fig, left, right, ratio=1.6)
    fit_labels_right(left, [t for t in left.texts if t.get_gid() == "bar_label"])
    return fig


def session_relief(log: pd.DataFrame) -> pd.DataFrame:
    """Per day with both scores: mean ``pain`` (before) and ``pain_after``, and the change."""
    both = log[log[C.PAIN].notna() & log[C.PAIN_AFTER].notna()]
    day = both[C.DATE].dt.normalize().rename(C.DATE)
    out = both[[C.PAIN, C.PAIN_AFTER]].astype(float).groupby(day).mean().reset_index()
    out["change"] = out[C.PAIN_AFTER] - out[C.PAIN]
    return out


@styled
def relief_chart(log: pd.DataFrame, client: str, ax: Axes | None = None) -> Axes:
    """Pain before and after each session as a dumbbell; sessions where pain rose stand out.

    Returns
    -------
    matplotlib.axes.Axes
        Three LineCollections with ``gid`` "rose", "eased" and "same" (one segment per session,
        from pain before to pain after), hollow "before" markers, and "after" markers (upward
        triangles where pain rose, downward where it eased).
    """
    ax = get_ax(ax, figsize=(9.0, 3.6))
    rows = client_log(log, client)
    sessions = session_relief(rows)
    if sessions.empty:
        return empty_panel(ax, "No sessions with pain logged both before and after stretching.",
                           f"{client}: no before/after pain scores")
    groups = {
        "rose": (sessions["change"] > 0, COLORS["bad"], "^", "pain rose"),
        "eased": (sessions["change"] < 0, COLORS["good"], "v", "pain eased"),
        "same": (sessions["change"] == 0, GREY, "o", "no change"),
    }
    handles = []
    for gid, (mask, color, marker, words) in groups.items():
        part = sessions[mask]
        lines = ax.vlines(part[C.DATE], part[C.PAIN], part[C.PAIN_AFTER], color=color,
                          linewidth=2.2 if gid == "rose" else 1.4, zorder=2)
        lines.set_gid(gid)
        ax.plot(part[C.DATE], part[C.PAIN_AFTER], marker, color=color, markersize=5, zorder=4,
                markeredgewidth=0, gid=f"after:{gid}")
        if len(part):
            handles.append(Line2D([], [], color=color, marker=marker, linewidth=2,
                                  label=f"{words} ({len(part)})"))
    ax.plot(sessions[C.DATE], sessions[C.PAIN], "o", markerfacecolor="white", markeredgecolor=GREY,
            markersize=4.5, zorder=3, gid="before")
    handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                          markeredgecolor=GREY, label="pain before"))
    n, rose = len(sessions), int((sessions["change"] > 0).sum())
    eased = int((sessions["change"] < 0).sum())
    s = "s" * (n != 1)
    if rose:
        title = f"{client}: pain rose during {rose} of {n} session{s}"
    elif eased:
        title = f"{client}: pain eased in {eased} of {n} session{s} and never rose"
    else:
        title = f"{client}: pain did not change in {n} session{s}"
    average = f"(after vs before: {sessions['change'].mean():+.1f} points on average)"
    # One line up to about 85 characters: what an 8-inch figure holds in the title's bold 11 pt.
    ax.set_title(title + (" " if len(title) + len(average) < 85 else "\n") + average, y=1.0)
    ax.set_ylabel("Pain (0-10 NPRS)")
    ax.set_ylim(-0.4, 10.4)
    ax.set_yticks(range(0, 11, 2))
    pad_dates(ax, sessions[C.DATE])
    date_axis(ax)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax
