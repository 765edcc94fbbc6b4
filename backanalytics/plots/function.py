"""Function chart: one questionnaire's score over time, with the MCID band around the first score.

The band is the baseline +/- the instrument's MCID in points (:data:`backanalytics.instruments.
FUNCTION_THRESHOLDS`): a later score outside it, on the better side, is a clinically important
improvement. The y axis spans the instrument's whole range and says which way is better (lower for
ODI and RMDQ, higher for PSFS).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.axes import Axes

from backanalytics import columns as C
from backanalytics.instruments import FUNCTION_THRESHOLDS, INSTRUMENTS
from backanalytics.plots.style import COLORS, date_axis, empty_panel, get_ax, pad_dates, styled


@styled
def function_chart(scores: pd.DataFrame, client: str, instrument: str, *, ax: Axes | None = None,
                   thresholds: Mapping[str, float] | None = None) -> Axes:
    """One client's scores on one instrument over time, with the MCID band around the first score.

    Parameters
    ----------
    scores
        The scores table (``client_id, date, instrument, score``; :func:`backanalytics.load_assessments`).
    client
        The client id.
    instrument
        "ODI", "RMDQ" or "PSFS".
    ax
        Axes to draw on (default: a new figure).
    thresholds
        Overrides for :data:`~backanalytics.instruments.FUNCTION_THRESHOLDS` (the band's width).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> scores = pd.DataFrame({"client_id": "a", "instrument": "ODI", "score": [40.0, 30.0],
    ...                        "date": pd.to_datetime(["2026-01-05", "2026-02-16"])})
    >>> ax = function_chart(scores, "a", "ODI", ax=Figure().add_subplot())
    >>> [float(y) for y in ax.get_ylim()], ax.lines[0].get_ydata().tolist(), ax.get_ylabel()
    ([0.0, 100.0], [40.0, 30.0], 'ODI (%), lower is better')
    """
    ax = get_ax(ax)
    spec = INSTRUMENTS[instrument]
    t = {**FUNCTION_THRESHOLDS, **(thresholds or {})}
    mine = scores[(scores[C.CLIENT_ID] == client) & (scores["instrument"] == instrument)]
    daily = mine.groupby(C.DATE, sort=True)["score"].mean()
    if daily.empty:
        return empty_panel(ax, f"No {instrument} questionnaire", spec.title)
    mcid = t[f"{instrument.lower()}_mcid_points"]
    first = float(daily.iloc[0])
    lo, hi = spec.score_range
    ax.axhspan(max(lo, first - mcid), min(hi, first + mcid), color=COLORS["band"], alpha=0.25, lw=0,
               label=f"first score ± MCID ({mcid:g} points)")
    ax.plot(daily.index, daily.to_numpy(dtype=float), marker="o", color=COLORS["trend"],
            label=instrument)
    ax.set_ylim(lo, hi)
    better = "higher" if spec.higher_is_better else "lower"
    unit = "%" if instrument == "ODI" else ("0-24" if instrument == "RMDQ" else "0-10")
    ax.set_ylabel(f"{instrument} ({unit}), {better} is better")
    ax.set_title(spec.title, y=1.0)
    pad_dates(ax, daily.index, days=3.0)
    date_axis(ax)
    ax.legend(loc="best", frameon=False, fontsize="small")
    return ax
