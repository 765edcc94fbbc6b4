"""Outcomes: is the client really better? Trends, change from baseline, clinically important change.

All scores are first reduced to a **daily mean series** per client (several entries on one day
count once). Thresholds come from :data:`backanalytics.thresholds.THRESHOLDS` (cited there).

Definitions
-----------
baseline
    mean of the client's first 7 days with that score; or, with ``baseline=`` a date (or a
    per-client Series of dates, or ``"phase"`` for each client's first stretch day), the mean of
    the days before it (phase A); or, with ``baseline=(first, last)``, the mean of the days in
    that window (inclusive). A client with no score day in phase A / the window falls back to
    the first 7 days.
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
from backanalytics.metrics.log_arrays import PairKeys, client_codes, day_numbers
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.metrics.trend import trend_table_packed
from backanalytics.thresholds import THRESHOLDS, Z95, reaches, sem_from_mdc

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
    return DailySeries.of(ClientDays(log), score, as_of).frame()


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


class ClientDays:
    """A log's client codes and day numbers, computed once for all its scores and flags.

    ``codes`` number each row's client in sorted order of ``keys`` (-1: no client); ``days`` are
    day numbers (days since 1970-01-01; ``has_day`` is False where the date is missing).

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["b", "a", "b"], "date": pd.to_datetime(["2026-01-03", "2026-01-01",
    ...                     "2026-01-01"])})
    >>> every = ClientDays(log)
    >>> every.keys.tolist(), every.codes.tolist()
    (['a', 'b'], [1, 0, 1])
    >>> key, keys = every.day_keys(np.ones(3, dtype=bool))
    >>> client, day = keys.decode(key)
    >>> client.tolist(), [str(d) for d in every.dates(day).astype("datetime64[D]")]
    ([1, 0, 1], ['2026-01-03', '2026-01-01', '2026-01-01'])
    """

    def __init__(self, log: pd.DataFrame) -> None:
        self.log = log
        self.codes, self.keys = client_codes(log[C.CLIENT_ID])
        self.days = day_numbers(log[C.DATE])
        self.has_day = self.days != np.iinfo(np.int64).min
        dtype = log[C.DATE].dtype
        self.date_dtype = dtype if isinstance(dtype, np.dtype) and dtype.kind == "M" else np.dtype("datetime64[ns]")

    def day_keys(self, mask: np.ndarray) -> tuple[np.ndarray, PairKeys]:
        """One int64 key per (client, day) of the rows in ``mask`` (which must have both), sorting as
        (client, day), and the :class:`~backanalytics.metrics.log_arrays.PairKeys` that decode them."""
        keys = PairKeys.covering(self.days[mask])
        return keys.encode(self.codes[mask], self.days[mask]), keys

    def dates(self, days: np.ndarray) -> np.ndarray:
        """Day numbers as dates, in the log's date dtype (``datetime64[ns]`` unless it has another)."""
        return days.astype("datetime64[D]").astype(self.date_dtype)


class DailySeries:
    """One score's daily mean series (sorted by client, then date), held as arrays.

    ``codes`` numbers the clients that have the score 0 .. k - 1 in sorted order (``keys``),
    ``start`` and ``count`` give each client's first row and number of days, ``pos`` each row's
    place in its client's series, ``days`` the day numbers and ``dates`` the same as dates.
    Every per-client reduction below is a ``np.bincount`` or a grouped mean over ``codes``: no
    groupby on the text ``client_id`` (re-hashing millions of strings per call), and the day
    means group one integer key.
    """

    def __init__(self, clients: ClientDays, key: np.ndarray, keys: PairKeys, value: np.ndarray) -> None:
        """From one mean ``value`` per sorted (client, day) ``key`` (see :meth:`ClientDays.day_keys`)."""
        client, self.days = keys.decode(key)
        has = np.bincount(client, minlength=len(clients.keys)) > 0
        self.codes = (np.cumsum(has) - 1)[client]
        self.keys = clients.keys[has]
        self.dates = clients.dates(self.days)
        self.value = value
        self.count = np.bincount(self.codes, minlength=len(self.keys))
        self.start = np.cumsum(self.count) - self.count
        self.pos = np.arange(len(self.value)) - self.start[self.codes]

    @classmethod
    def of(cls, clients: ClientDays, score: str, as_of: object | None = None) -> DailySeries:
        """The daily series of ``score`` up to ``as_of``."""
        return cls.of_scores(clients, [score], as_of)[score]

    @classmethod
    def of_scores(cls, clients: ClientDays, scores: list[str], as_of: object | None = None
                  ) -> dict[str, DailySeries]:
        """The daily series of each of ``scores`` up to ``as_of``, from one grouping of the rows.

        pandas' grouped mean sums each column with Kahan compensation, in row order, skipping NaN:
        each score's means are exactly those of grouping that score alone.
        """
        values = {score: clients.log[score].to_numpy(dtype=float, na_value=np.nan) for score in scores}
        keep = ~np.logical_and.reduce([np.isnan(v) for v in values.values()]) & (clients.codes >= 0) & clients.has_day
        if as_of is not None:
            keep &= clients.log[C.DATE].to_numpy() <= np.datetime64(pd.Timestamp(as_of), "ns")
        key, keys = clients.day_keys(keep)
        daily = pd.DataFrame({score: v[keep] for score, v in values.items()}).groupby(key, sort=True).mean()
        found = daily.index.to_numpy()
        out = {}
        for score in scores:
            mean = daily[score].to_numpy()
            present = ~np.isnan(mean)
            out[score] = cls(clients, found[present], keys, mean[present])
        return out

    def frame(self) -> pd.DataFrame:
        """Tidy (client_id, date, value), as :func:`daily_scores` returns."""
        return pd.DataFrame({C.CLIENT_ID: self.keys.take(self.codes), C.DATE: self.dates, "value": self.value})

    def mean(self, mask: np.ndarray) -> np.ndarray:
        """Per client mean of the values where ``mask`` holds (NaN where it never does).

        pandas' grouped mean (on the integer codes) sums with Kahan compensation, so a baseline of
        -1, 0.5, 0.5 is exactly 0 (and its percent change NaN), not 1e-17.
        """
        values = pd.Series(np.where(mask, self.value, np.nan))
        means = values.groupby(self.codes, sort=True).mean()
        return means.reindex(np.arange(len(self.keys))).to_numpy()


def trends(log: pd.DataFrame, score: str = C.PAIN, as_of: object | None = None) -> pd.DataFrame:
    """Per client trend of a daily score: OLS and Theil-Sen slope/intercept per DAY, Mann-Kendall p.

    x is days since ``origin`` (the client's first day with the score), so the fitted line is
    ``intercept + slope * (date - origin).days``.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": "a", "pain": [6.0, 5.0, 5.0, 3.0],
    ...                     "date": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-04", "2026-01-05"])})
    >>> row = trends(log).loc["a"]
    >>> round(float(row["slope_theil_sen"]), 4), str(row["origin"].date())  # median of the 6 pair slopes
    (-0.7083, '2026-01-01')
    """
    return _trends(DailySeries.of(ClientDays(log), score, as_of))


def _trends(s: DailySeries) -> pd.DataFrame:
    x = (s.days - s.days[s.start][s.codes]).astype(float)
    table = trend_table_packed(s.codes, s.pos, x, s.value, s.keys)
    table["origin"] = s.dates[s.start]
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
    return _score_change(DailySeries.of(ClientDays(log), score, as_of), log, baseline)


def _score_change(s: DailySeries, log: pd.DataFrame, baseline: object) -> pd.DataFrame:
    first_n = s.pos < BASELINE_DAYS
    last_n = s.count[s.codes] - s.pos <= CURRENT_DAYS
    dates = s.dates
    if isinstance(baseline, tuple):  # an explicit window (first, last day), inclusive
        if len(baseline) != 2:
            raise ValueError(f"a baseline window is (first day, last day), got {baseline!r}")
        first, last = (np.datetime64(pd.Timestamp(b), "ns") for b in baseline)
        before = (dates >= first) & (dates <= last)
    else:
        phase = _phase_dates(log, baseline, s.keys).to_numpy(dtype="datetime64[ns]")
        before = dates < phase[s.codes]  # NaT compares False: no phase A
    has_phase_a = np.bincount(s.codes, weights=before, minlength=len(s.keys)) > 0
    in_base = np.where(has_phase_a[s.codes], before, first_n)
    out = pd.DataFrame({"baseline": s.mean(in_base), "current": s.mean(last_n)}, index=s.keys)
    out["change"] = out["current"] - out["baseline"]
    out["pct_change"] = 100 * out["change"] / out["baseline"].where(out["baseline"] != 0)
    out["n_days"] = s.count
    return out


def pain_band(pct_change: pd.Series, thresholds: Mapping[str, float] | None = None) -> pd.Series:
    """IMMPACT responder band from the percent change in pain (negative = improvement).

    Examples
    --------
    >>> pain_band(pd.Series([-60.0, -30.0, -10.0, 0.0, 25.0])).tolist()
    ['substantial', 'moderate', 'minimal', 'no change', 'worse']
    """
    t = {**THRESHOLDS, **(thresholds or {})}
    improvement = -pct_change
    bands = np.select(
        [reaches(improvement, t["pain_substantial_pct"]), reaches(improvement, t["pain_moderate_pct"]),
         reaches(improvement, t["pain_minimal_pct"]), reaches(pct_change, t["pain_worse_pct"]),
         pct_change.notna()],
        ["substantial", "moderate", "minimal", "worse", "no change"], default="")
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
        None (first 7 days), a date (phase A = the days before it), a per-client Series of
        dates, ``"phase"`` (each client's first stretch day) or a ``(first, last)`` window.
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
    >>> float(row["pain_change"]), bool(row["pain_mcid_reached"]), row["pain_band"]  # 3 / 6 = 50 %
    (-3.0, True, 'substantial')
    """
    t = {**THRESHOLDS, **(thresholds or {})}
    as_of = resolve_as_of(log, as_of)
    every = ClientDays(log)
    clients = every.keys
    parts = []
    sems = {C.PAIN: t["pain_sem"], C.PAIN_AFTER: t["pain_sem"], C.FLEXIBILITY: t["flexibility_sem"],
            C.REACH_CM: sem_from_mdc(t["reach_cm_mdc"])}
    daily = DailySeries.of_scores(every, C.SCORES, as_of)
    for score in C.SCORES:
        series = daily[score]
        change = _score_change(series, log, baseline)
        tr = _trends(series)
        change["slope_ols"] = tr["slope_ols"] * 7
        change["slope_theil_sen"] = tr["slope_theil_sen"] * 7
        change["mk_p"] = tr["mk_p"]
        change["rci"] = change["change"] / (np.sqrt(2) * sems[score])
        change = change[["baseline", "current", "change", "pct_change", "slope_ols", "slope_theil_sen",
                         "mk_p", "n_days", "rci"]]
        parts.append(change.add_prefix(f"{score}_").reindex(clients))
    out = pd.concat(parts, axis=1)
    improvement = -out["pain_change"]
    out["pain_mcid_reached"] = reaches(improvement, t["pain_mcid_points"]) | reaches(
        -out["pain_pct_change"], t["pain_mcid_pct"])
    out["pain_band"] = pain_band(out["pain_pct_change"], t)
    out["pain_reliable_change"] = reaches(-out["pain_rci"], Z95)
    out["pain_mdc95"] = Z95 * np.sqrt(2) * t["pain_sem"]
    out["flexibility_mcid_reached"] = reaches(out["flexibility_change"], t["flexibility_mcid_points"])
    out["reach_cm_mdc_reached"] = reaches(out["reach_cm_change"], t["reach_cm_mdc"])
    for col in ["pain_mcid_reached", "flexibility_mcid_reached", "reach_cm_mdc_reached", "pain_reliable_change"]:
        base = col.split("_mcid")[0].split("_mdc")[0].split("_reliable")[0]
        out[col] = out[col].where(out[f"{base}_change"].notna())
    relief = log[C.PAIN].to_numpy(float, na_value=np.nan) - log[C.PAIN_AFTER].to_numpy(float, na_value=np.nan)
    both = ~np.isnan(relief) & (every.codes >= 0) & (log[C.DATE] <= as_of).to_numpy()
    means = pd.Series(relief[both]).groupby(every.codes[both]).mean()
    out["within_session_relief"] = means.reindex(np.arange(len(clients))).to_numpy()
    return out
