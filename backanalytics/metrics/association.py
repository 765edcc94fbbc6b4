"""Does doing the programme go with getting better? Adherence against pain change.

Per client: Spearman correlation between a week's adherence and the change in mean pain from that
week to the next (negative = more stretching, then less pain), with the number of week pairs.
Caseload: pain change by adherence band (80-100 %, 60-79 %, < 60 %). Association, not causation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.metrics.consistency import consistency, weekly_consistency
from backanalytics.metrics.outcomes import outcomes
from backanalytics.metrics.periods import resolve_as_of

BANDS = ["80-100 %", "60-79 %", "< 60 %"]


def weekly_adherence_pain(log: pd.DataFrame, prescription: float | pd.DataFrame | None = None,
                          as_of: object | None = None) -> pd.DataFrame:
    """Per (client, week): adherence and the change in mean pain to the next week.

    Only entries up to ``as_of`` count, and only complete weeks (Monday to Sunday, ending on or
    before ``as_of``) get a ``next_pain_change``: a week still in progress has a partial
    adherence and a partial pain mean.
    """
    as_of = resolve_as_of(log, as_of)
    weeks = weekly_consistency(log, prescription, as_of)
    pain = log[log[C.PAIN].notna() & (log[C.DATE] <= as_of)]
    monday = pain[C.DATE] - pd.to_timedelta(pain[C.DATE].dt.day_of_week, unit="D")
    mean = pain.groupby([pain[C.CLIENT_ID], monday.rename("week")])[C.PAIN].mean().rename("pain")
    weeks = weeks.join(mean, on=[C.CLIENT_ID, "week"])
    nxt = weeks.groupby(C.CLIENT_ID)["pain"].shift(-1)
    same_client_next_week = weeks.groupby(C.CLIENT_ID)["week"].shift(-1) == weeks["week"] + pd.Timedelta(days=7)
    next_complete = weeks["week"] + pd.Timedelta(days=13) <= as_of
    weeks["next_pain_change"] = (nxt - weeks["pain"]).where(same_client_next_week & next_complete)
    return weeks


def adherence_pain_correlation(log: pd.DataFrame, prescription: float | pd.DataFrame | None = None,
                               as_of: object | None = None) -> pd.DataFrame:
    """Spearman rho (average ranks, as ``scipy.stats.spearmanr``) and n per client, vectorised.

    Examples
    --------
    >>> weeks = pd.date_range("2026-01-05", periods=21)
    >>> n = [7, 7, 7, 7, 7, 7, 7] + [2] * 7 + [5] * 7
    >>> did = [d for i, d in enumerate(weeks) if (i % 7) < n[i]]
    >>> log = pd.DataFrame({"client_id": "a", "date": list(weeks) + did, "stretch": [None] * 21
    ...     + ["Cobra Stretch"] * len(did), "pain": [6.0] * 7 + [5] * 7 + [6] * 7 + [np.nan] * len(did),
    ...     "hold_s": 20.0, "reps": pd.array([2] * (21 + len(did)), dtype="Int64"), "planned_rest": False})
    >>> adherence_pain_correlation(log)[["spearman_rho", "n_weeks"]].values.tolist()
    [[-1.0, 2.0]]
    """
    w = weekly_adherence_pain(log, prescription, as_of).dropna(subset=["adherence", "next_pain_change"])
    g = w.groupby(C.CLIENT_ID)
    rx = g["adherence"].rank(method="average")
    ry = g["next_pain_change"].rank(method="average")
    frame = pd.DataFrame({C.CLIENT_ID: w[C.CLIENT_ID], "rx": rx, "ry": ry})
    frame["rx"] -= frame.groupby(C.CLIENT_ID)["rx"].transform("mean")
    frame["ry"] -= frame.groupby(C.CLIENT_ID)["ry"].transform("mean")
    sums = frame.assign(xy=frame["rx"] * frame["ry"], xx=frame["rx"] ** 2, yy=frame["ry"] ** 2).groupby(
        C.CLIENT_ID)[["xy", "xx", "yy"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = sums["xy"] / np.sqrt(sums["xx"] * sums["yy"])
    n = g.size()
    return pd.DataFrame({"spearman_rho": rho.where(n >= 2), "n_weeks": n.astype(float)})


def adherence_bands(log: pd.DataFrame, prescription: float | pd.DataFrame | None = None,
                    as_of: object | None = None) -> pd.DataFrame:
    """Caseload summary: clients, mean and median pain change, share reaching the MCID, per band."""
    cons = consistency(log, prescription, as_of)
    out = outcomes(log, as_of)
    band = pd.cut(cons["adherence"], [-np.inf, 0.6, 0.8, np.inf], right=False, labels=BANDS[::-1])
    frame = out[["pain_change", "pain_mcid_reached"]].join(band.rename("adherence_band"))
    frame["pain_mcid_reached"] = frame["pain_mcid_reached"].astype(float)
    table = frame.groupby("adherence_band", observed=False).agg(
        clients=("pain_change", "size"), mean_pain_change=("pain_change", "mean"),
        median_pain_change=("pain_change", "median"), share_mcid=("pain_mcid_reached", "mean"))
    return table.reindex(BANDS)
