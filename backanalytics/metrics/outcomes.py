"""Outcomes: is the client really better? Trends, change from baseline, clinically important change.

All scores are first reduced to a **daily mean series** per client (several entries on one day
count once). Thresholds come from :data:`backanalytics.thresholds.THRESHOLDS` (cited there).

Definitions
-----------
baseline
    mean of the client's first 7 days with that score; or, with ``baseline=`` a date (or a
    per-client Series of dates, or ``"phase"`` for each client's first stretch day), the mean of
    the days before it (phase A). A client with no score day before the phase date falls back
    to the first 7 days.
current
    mean of the last 7 days with that score up to ``as_of``.
change, pct_change
    ``current - baseline`` and ``100 * change / baseline`` (NaN for a baseline of 0).
slope_ols, slope_theil_sen
    per week, on the daily series; ``mk_p`` the Mann-Kendall trend test p-value.
pain_mcid_reached
    improvement (``baseline - current``) >= 2 points or >= 30 % of baseline (Farrar 2001;
    Ostelo 2008). ``pain_band``: IMMPACT percent bands: substantial >= 50 %, moderate >= 30 %,
    minimal >= 10 %, otherwise "no change" or "worse" (pain up by >= 10 %).
rci
    Reliable Change Index (Jacobson & Truax 1991): ``change / (sqrt(2) * SEM)``; ``|rci| > 1.96``
    is a change beyond measurement error (``MDC95 = 1.96 sqrt(2) SEM``; NPRS SEM 1.02, Childs 2005;
    sit-and-reach MDC 4 cm).
within_session_relief
    mean of ``pain - pain_after`` over entries that have both (positive = stretching eases pain).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.metrics.trend import trend_table
from backanalytics.thresholds import THRESHOLDS, Z95, sem_from_mdc

BASELINE_DAYS = 7
CURRENT_DAYS = 7


def daily_scores(log: pd.DataFrame, score: str = C.PAIN, as_of: object | None = None) -> pd.DataFrame:
    """Daily mean of a score per client: tidy (client_id, date, value), sorted, NaN days left out.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a", "a", "a"], "pain": [4.0, 6.0, 3.0],
    ...                     "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-02"])})
    >>> daily_scores(log)["value"].tolist()
    [5.0, 3.0]
    """
    rows = log.loc[log[score].notna(), [C.CLIENT_ID, C.DATE, score]]
    if as_of is not None:
        rows = rows[rows[C.DATE] <= pd.Timestamp(as_of)]
    daily = rows.groupby([C.CLIENT_ID, C.DATE], sort=True)[score].mean()
    return daily.rename("value").reset_index()


def rolling_mean(log: pd.DataFrame, score: str = C.PAIN, window: int = 7) -> pd.DataFrame:
    """Daily series with its rolling ``window``-calendar-day mean (for plotting).

    Returns tidy (client_id, date, value, rolling_mean); the window covers the ``window`` calendar
    days ending on each date (gaps shrink it rather than reaching back further).
    """
    daily = daily_scores(log, score)
    rolled = (daily.set_index(C.DATE).groupby(C.CLIENT_ID)["value"]
              .rolling(f"{window}D", min_periods=1).mean())
    daily["rolling_mean"] = rolled.to_numpy()
    return daily


def trends(log: pd.DataFrame, score: str = C.PAIN, as_of: object | None = None) -> pd.DataFrame:
    """Per client trend of a daily score: OLS and Theil-Sen slope/intercept per DAY, Mann-Kendall p.

    x is days since ``origin`` (the client's first day with the score), so the fitted line is
    ``intercept + slope * (date - origin).days``.
    """
    daily = daily_scores(log, score, as_of)
    origin = daily.groupby(C.CLIENT_ID)[C.DATE].transform("min")
    daily["x"] = (daily[C.DATE] - origin).dt.days
    table = trend_table(daily, C.CLIENT_ID, "x", "value")
    table["origin"] = daily.groupby(C.CLIENT_ID)[C.DATE].min()
    return table


def _phase_dates(log: pd.DataFrame, baseline: object, clients: pd.Index) -> pd.Series:
    if baseline is None:
        return pd.Series(pd.NaT, index=clients, dtype="datetime64[ns]")
    if isinstance(baseline, str) and baseline == "phase":
        first = log[log[C.STRETCH].notna()].groupby(C.CLIENT_ID)[C.DATE].min()
        return first.reindex(clients)
    if isinstance(baseline, (pd.Series, Mapping)):
        return pd.to_datetime(pd.Series(baseline)).reindex(clients)
    return pd.Series(pd.Timestamp(baseline), index=clients)


def score_change(log: pd.DataFrame, score: str, as_of: object | None = None,
                 baseline: object = None) -> pd.DataFrame:
    """Baseline, current, change and pct_change of one score per client (see module docstring)."""
    daily = daily_scores(log, score, as_of)
    clients = pd.Index(daily[C.CLIENT_ID].unique(), name=C.CLIENT_ID)
    phase = _phase_dates(log, baseline, clients)
    g = daily.groupby(C.CLIENT_ID)
    first_n = g.cumcount() < BASELINE_DAYS
    last_n = g.cumcount(ascending=False) < CURRENT_DAYS
    before = (daily[C.DATE] < phase.reindex(daily[C.CLIENT_ID]).to_numpy()).to_numpy()
    has_phase_a = pd.Series(before).groupby(daily[C.CLIENT_ID].to_numpy()).transform("any").to_numpy()
    in_base = np.where(has_phase_a, before, first_n)
    base = daily["value"].where(in_base).groupby(daily[C.CLIENT_ID]).mean()
    cur = daily["value"].where(last_n).groupby(daily[C.CLIENT_ID]).mean()
    out = pd.DataFrame({"baseline": base, "current": cur}).reindex(clients)
    out["change"] = out["current"] - out["baseline"]
    out["pct_change"] = 100 * out["change"] / out["baseline"].where(out["baseline"] != 0)
    out["n_days"] = g.size()
    return out


def pain_band(pct_change: pd.Series) -> pd.Series:
    """IMMPACT responder band from the percent change in pain (negative = improvement)."""
    improvement = -pct_change
    bands = np.select(
        [improvement >= THRESHOLDS["pain_substantial_pct"], improvement >= THRESHOLDS["pain_moderate_pct"],
         improvement >= 10, improvement > -10, improvement <= -10],
        ["substantial", "moderate", "minimal", "no change", "worse"], default="")
    return pd.Series(bands, index=pct_change.index).replace("", np.nan)


def outcomes(log: pd.DataFrame, as_of: object | None = None, baseline: object = None,
             thresholds: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Outcome metrics for every client, one row each (index ``client_id``).

    Parameters
    ----------
    log
        The canonical log.
    as_of
        Analysis date (default: the latest date in the log); later entries are ignored.
    baseline
        None (first 7 days), a date, a per-client Series of dates, or ``"phase"``.
    thresholds
        Overrides for :data:`backanalytics.thresholds.THRESHOLDS` (e.g. ``{"pain_sem": 0.8}``).

    Returns
    -------
    pandas.DataFrame
        ``<score>_baseline, _current, _change, _pct_change, _slope_ols, _slope_theil_sen, _mk_p,
        _n_days, _rci`` for pain, flexibility, reach_cm and pain_after, plus ``pain_mcid_reached,
        pain_band, pain_reliable_change, flexibility_mcid_reached, reach_cm_mdc_reached,
        within_session_relief``.

    Examples
    --------
    >>> days = pd.date_range("2026-01-01", periods=14)
    >>> log = pd.DataFrame({"client_id": "a", "date": days, "stretch": "Cobra Stretch",
    ...     "pain": [6.0] * 7 + [3.0] * 7, "pain_after": float("nan"), "flexibility": float("nan"),
    ...     "reach_cm": float("nan")})
    >>> row = outcomes(log).loc["a"]
    >>> float(row["pain_change"]), bool(row["pain_mcid_reached"]), row["pain_band"]
    (-3.0, True, 'moderate')
    """
    t = {**THRESHOLDS, **(thresholds or {})}
    as_of = resolve_as_of(log, as_of)
    clients = pd.Index(sorted(log[C.CLIENT_ID].unique()), name=C.CLIENT_ID)
    parts = []
    sems = {C.PAIN: t["pain_sem"], C.PAIN_AFTER: t["pain_sem"], C.FLEXIBILITY: t["flexibility_sem"],
            C.REACH_CM: sem_from_mdc(t["reach_cm_mdc"])}
    for score in C.SCORES:
        change = score_change(log, score, as_of, baseline)
        tr = trends(log, score, as_of)
        change["slope_ols"] = tr["slope_ols"] * 7
        change["slope_theil_sen"] = tr["slope_theil_sen"] * 7
        change["mk_p"] = tr["mk_p"]
        change["rci"] = change["change"] / (np.sqrt(2) * sems[score])
        change = change[["baseline", "current", "change", "pct_change", "slope_ols", "slope_theil_sen",
                         "mk_p", "n_days", "rci"]]
        parts.append(change.add_prefix(f"{score}_").reindex(clients))
    out = pd.concat(parts, axis=1)
    improvement = -out["pain_change"]
    out["pain_mcid_reached"] = (improvement >= t["pain_mcid_points"]) | (
        -out["pain_pct_change"] >= t["pain_mcid_pct"])
    out["pain_band"] = pain_band(out["pain_pct_change"])
    out["pain_reliable_change"] = out["pain_rci"] <= -Z95
    out["pain_mdc95"] = Z95 * np.sqrt(2) * t["pain_sem"]
    out["flexibility_mcid_reached"] = out["flexibility_change"] >= t["flexibility_mcid_points"]
    out["reach_cm_mdc_reached"] = out["reach_cm_change"] >= t["reach_cm_mdc"]
    for col in ["pain_mcid_reached", "flexibility_mcid_reached", "reach_cm_mdc_reached", "pain_reliable_change"]:
        base = col.split("_mcid")[0].split("_mdc")[0].split("_reliable")[0]
        out[col] = out[col].where(out[f"{base}_change"].notna())
    both = log[log[C.PAIN].notna() & log[C.PAIN_AFTER].notna() & (log[C.DATE] <= as_of)]
    relief = (both[C.PAIN] - both[C.PAIN_AFTER]).groupby(both[C.CLIENT_ID]).mean()
    out["within_session_relief"] = relief.reindex(clients)
    return out
