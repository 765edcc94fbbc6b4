"""Dose against guidance: how long and how many times each stretch is done.

ACSM guidance (see :mod:`backanalytics.catalog`): static holds 10-30 s for 2-4 repetitions; dynamic
mobility and strength moves are judged by repetitions only. An entry is *within guidance* when
every part of the guidance that applies to it is met and logged (a static stretch without a hold
time cannot be judged and counts as not within guidance only if reps are also missing: it is left
out of the share). The guidance is a parameter, e.g. 30-60 s holds for older adults.

A missing ``hold_s`` or ``reps`` column reads as not logged (all NaN), a missing ``stretch`` column
as no stretch at all.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.metrics.log_arrays import LogArrays, PairKeys, entry_arrays, log_arrays
from backanalytics.metrics.periods import resolve_as_of

Guidance = Mapping[str, Mapping[str, float | None]]

OLDER_ADULTS = {**catalog.DOSE_GUIDANCE,
                catalog.STATIC: {**catalog.DOSE_GUIDANCE[catalog.STATIC], "hold_min": 30.0, "hold_max": 60.0}}

_BOUNDS = ("hold_min", "hold_max", "reps_min", "reps_max")


def kinds_of(stretch: pd.Series) -> pd.Series:
    """The catalog kind of each row's stretch (None when unknown), looking each name up once.

    Examples
    --------
    >>> kinds_of(pd.Series(["Cat-Cow", "Handstand", None])).tolist()
    ['dynamic', None, None]
    """
    codes, uniques = pd.factorize(stretch)
    kinds = np.array([*(catalog.kind_of(u) for u in uniques), None], dtype=object)
    return pd.Series(kinds[codes], index=stretch.index, dtype=object)


def _name_bounds(names: np.ndarray, guidance: Guidance | None) -> tuple[np.ndarray, np.ndarray]:
    """Per stretch name (plus a last row for "no stretch"): is the kind known, and its 4 bounds (NaN = none)."""
    guidance = guidance or catalog.DOSE_GUIDANCE
    kinds = [catalog.kind_of(n) for n in names]  # one lookup per distinct name
    known = np.array([*(k is not None for k in kinds), False], dtype=bool)
    bounds = np.full((len(names) + 1, len(_BOUNDS)), np.nan)
    for i, kind in enumerate(kinds):
        rule = guidance.get(kind, {}) if kind is not None else {}
        bounds[i] = [np.nan if rule.get(b) is None else float(rule[b]) for b in _BOUNDS]  # type: ignore[arg-type]
    return known, bounds


def judge(stretch: np.ndarray, names: np.ndarray, hold: np.ndarray, reps: np.ndarray,
          guidance: Guidance | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (can be judged, within guidance), from stretch codes into ``names``, holds and reps.

    Vectorised: the guidance is looked up once per distinct stretch name (see :func:`within_guidance`).
    """
    known, bounds = _name_bounds(names, guidance)
    code = np.where(stretch >= 0, stretch, len(names))
    hold_min, hold_max, reps_min, reps_max = (np.ascontiguousarray(bounds[:, i])[code] for i in range(4))
    checks_hold = ~np.isnan(hold_min)
    has_reps = ~np.isnan(reps)
    reps_ok = (reps >= reps_min) & (reps <= reps_max)
    hold_ok = (hold >= hold_min) & (hold <= hold_max)  # False for a missing hold
    judged = known[code] & (has_reps | (checks_hold & ~np.isnan(hold)))
    ok = np.where(checks_hold, hold_ok & (reps_ok | ~has_reps), reps_ok)
    return judged, ok


def _judge_rows(done: LogArrays, guidance: Guidance | None) -> tuple[np.ndarray, np.ndarray]:
    return judge(done.stretch, done.stretch_names, done.hold, done.reps, guidance)


def within_guidance(log: pd.DataFrame, guidance: Guidance | None = None) -> pd.Series:
    """Per row: True / False when the entry can be judged, NA when it cannot (unknown stretch, no dose).

    Examples
    --------
    >>> rows = pd.DataFrame({"stretch": ["Cobra Stretch", "Cobra Stretch", "Cat-Cow", "Handstand"],
    ...     "hold_s": [20.0, 45.0, float("nan"), 10.0], "reps": pd.array([3, 3, 10, 1], dtype="Int64")})
    >>> within_guidance(rows).tolist()
    [True, False, True, <NA>]
    >>> within_guidance(rows[["stretch", "reps"]]).tolist()  # no hold_s column: statics cannot be judged
    [False, False, True, <NA>]
    """
    judged, ok = judge(*entry_arrays(log), guidance)
    return pd.Series(ok, index=log.index, dtype="boolean").where(judged)


def _done(log: pd.DataFrame, as_of: object | None) -> LogArrays:
    """The stretch rows of the log (up to ``as_of`` when given) as arrays."""
    arrays = log_arrays(log)
    keep = arrays.stretch >= 0
    if as_of is not None:
        keep &= arrays.day <= np.datetime64(resolve_as_of(log, as_of), "D").astype(np.int64)
    return arrays.rows(keep)


def _counting_median(codes: np.ndarray, values: np.ndarray, n: int, low: float, width: int) -> np.ndarray:
    """Group medians of integer ``values`` in [low, low + width) from per-group histograms."""
    hist = np.bincount(codes * width + (values - low).astype(np.int64), minlength=n * width).reshape(n, width)
    cum = np.cumsum(hist, axis=1)
    count = cum[:, -1]
    # the value of 0-based rank k is low + the number of bins holding ranks below or at k
    below = (cum <= ((count - 1) // 2)[:, None]).sum(axis=1)
    above = (cum <= (count // 2)[:, None]).sum(axis=1)
    median = ((low + below) + (low + above)) / 2
    return np.where(count > 0, median, np.nan)


def group_median(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Median of ``values`` per integer code 0..n-1, NaN values left out (NaN for an empty group).

    Whole-number values in a small range (holds, reps) use per-group histograms; others pandas.

    Examples
    --------
    >>> group_median(np.array([0, 0, 2, 0]), np.array([1.0, 3.0, np.nan, 10.0]), 3).tolist()
    [3.0, nan, nan]
    >>> group_median(np.array([1, 1]), np.array([0.5, 2.0]), 2).tolist()
    [nan, 1.25]
    """
    valid = ~np.isnan(values)
    out = np.full(n, np.nan)
    if not valid.any():
        return out
    codes, values = codes[valid], values[valid]
    low, high = float(values.min()), float(values.max())
    width = int(high - low) + 1 if np.isfinite(high - low) else 0
    if 0 < width <= 1024 and n * width <= 20_000_000 and np.array_equal(values, np.round(values)):
        return _counting_median(codes, values, n, low, width)
    median = pd.Series(values).groupby(codes).median()
    out[median.index.to_numpy()] = median.to_numpy()
    return out


def group_mean(codes: np.ndarray, values: np.ndarray, n: int, where: np.ndarray | None = None) -> np.ndarray:
    """Mean of ``values`` per integer code 0..n-1 over the rows ``where`` holds (NaN for an empty group)."""
    weight = np.ones(len(codes)) if where is None else where.astype(np.float64)
    count = np.bincount(codes, weights=weight, minlength=n)
    total = np.bincount(codes, weights=values * weight, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def dose_arrays(done: LogArrays, guidance: Guidance | None = None) -> dict[str, np.ndarray]:
    """:func:`dose_summary` columns as arrays over every client of ``done`` (NaN for clients without rows)."""
    n = done.n
    judged, ok = _judge_rows(done, guidance)
    seconds = catalog.seconds_from(done.hold, done.reps)
    static_name = np.array([catalog.kind_of(s) == catalog.STATIC for s in done.stretch_names] + [False])
    static = static_name[np.where(done.stretch >= 0, done.stretch, len(done.stretch_names))]
    keys = PairKeys.covering(done.day)
    day_key, day_seconds = keys.sums(keys.encode(done.client, done.day), seconds, n)
    return {
        "median_hold_s": group_median(done.client, np.where(static, done.hold, np.nan), n),
        "median_reps": group_median(done.client, done.reps, n),
        "seconds_per_session": group_mean(keys.decode(day_key)[0], day_seconds, n),
        "dose_within_guidance": group_mean(done.client, ok.astype(np.float64), n, where=judged),
    }


def dose_summary(log: pd.DataFrame, guidance: Guidance | None = None, as_of: object | None = None) -> pd.DataFrame:
    """Per client: ``median_hold_s`` (static stretches), ``median_reps``, ``seconds_per_session``
    (mean over session days of hold x reps) and ``dose_within_guidance`` (share of judged entries).

    Clients without a stretch (up to ``as_of``, when given) are left out.

    Examples
    --------
    >>> rows = pd.DataFrame({"client_id": ["a", "a"], "stretch": ["Cobra Stretch"] * 2,
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-02"]),
    ...     "hold_s": [20.0, 40.0], "reps": pd.array([3, 3], dtype="Int64")})
    >>> dose_summary(rows).loc["a"].tolist()
    [30.0, 3.0, 90.0, 0.5]
    """
    done = _done(log, as_of)
    table = pd.DataFrame(dose_arrays(done, guidance), index=done.clients)
    return table[np.bincount(done.client, minlength=done.n) > 0]


def dose_by_stretch(log: pd.DataFrame, guidance: Guidance | None = None, as_of: object | None = None
                    ) -> pd.DataFrame:
    """Tidy dose table: one row per (client, stretch), sorted by client and stretch.

    Columns: ``client_id, stretch, kind, entries, session_days`` (days the stretch was done),
    ``median_hold_s, median_reps, seconds_per_session`` (seconds of this stretch per day it was
    done: hold x reps, see :func:`backanalytics.catalog.seconds_stretched`), ``total_minutes`` and
    ``within_guidance`` (share of judged entries within guidance). ``as_of`` leaves out entries
    after it (default: none are).

    Examples
    --------
    >>> rows = pd.DataFrame({"client_id": ["a", "a", "a"], "stretch": ["Cobra Stretch", "Cobra Stretch", "Cat-Cow"],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-03"]),
    ...     "hold_s": [20.0, 30.0, float("nan")], "reps": pd.array([3, 2, 10], dtype="Int64")})
    >>> table = dose_by_stretch(rows).set_index("stretch")
    >>> cobra = table.loc["Cobra Stretch"]
    >>> int(cobra["entries"]), int(cobra["session_days"]), float(cobra["seconds_per_session"])
    (2, 1, 120.0)
    >>> dose_by_stretch(rows, as_of="2026-01-02")["stretch"].tolist()
    ['Cobra Stretch']
    """
    done = _done(log, as_of)
    judged, ok = _judge_rows(done, guidance)
    order = np.argsort(done.stretch_names.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    frame = pd.DataFrame({"c": done.client, "s": rank[done.stretch], "day": done.day, "hold": done.hold,
                          "reps": done.reps, "sec": catalog.seconds_from(done.hold, done.reps),
                          "ok": np.where(judged, ok, np.nan)})
    g = frame.groupby(["c", "s"], sort=True)
    seconds = g["sec"].sum()
    days = g["day"].nunique()
    out = pd.DataFrame({
        "entries": g.size(),
        "session_days": days,
        "median_hold_s": g["hold"].median(),
        "median_reps": g["reps"].median(),
        "seconds_per_session": seconds / days,
        "total_minutes": seconds / 60,
        "within_guidance": g["ok"].mean(),
    })
    client, stretch = (out.index.get_level_values(i).to_numpy() for i in (0, 1))
    names = done.stretch_names[order]
    kinds = np.array([catalog.kind_of(s) for s in names], dtype=object)
    out.insert(0, C.CLIENT_ID, done.clients.take(client).to_numpy())
    out.insert(1, C.STRETCH, pd.array(names[stretch], dtype="str"))
    out.insert(2, "kind", pd.array(kinds[stretch], dtype="str"))
    return out.reset_index(drop=True)
