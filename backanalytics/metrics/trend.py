"""Trend statistics for many short series at once: OLS, Theil-Sen and the Mann-Kendall test.

Series are packed into a (series x length) matrix padded with NaN, and every pairwise quantity is
computed in blocks of series, so ten thousand clients need no Python loop over clients.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

#: Pairwise elements held in memory at once per thread (float64: 32 MB). Each thread keeps one
#: buffer of this size for all its blocks: touching fresh memory (page faults) cost more than the
#: arithmetic, and blocks of a few MB stay closer to the cache than ones of 100 MB.
BLOCK_ELEMENTS = 4_000_000
#: Blocks of fewer rows than this, of series of at most GATHER_MAX_POINTS points, gather their
#: pairs by index instead of building them lag by lag (fewer, larger numpy calls).
LAG_LOOP_MIN_ROWS = 48
GATHER_MAX_POINTS = 200
#: Threads computing Theil-Sen blocks (the heavy numpy calls release the GIL).
THREADS = max(1, min(4, os.cpu_count() or 1))


def ols(codes: np.ndarray, x: np.ndarray, y: np.ndarray, n_series: int) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope and intercept of each series ``0 .. n_series - 1`` of tidy points.

    Point ``i`` is ``(x[i], y[i])`` of series ``codes[i]``; points with a NaN are left out; NaN
    for a series with fewer than 2 distinct x. Sums run over each series' points in order
    (``np.bincount``), so a series' result does not depend on the others: the same client gives
    bit-identical numbers alone or packed with others (e.g. in one Dask partition or another).

    Examples
    --------
    >>> slope, intercept = ols(np.array([0, 0, 0, 1]), np.array([0.0, 1, 2, 5]), np.array([1.0, 3, 5, 2]), 2)
    >>> slope.tolist(), intercept.tolist()
    ([2.0, nan], [1.0, nan])
    """
    keep = ~(np.isnan(x) | np.isnan(y))
    if not keep.all():
        codes, x, y = codes[keep], x[keep], y[keep]
    n = np.bincount(codes, minlength=n_series)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.bincount(codes, weights=x, minlength=n_series) / n
        my = np.bincount(codes, weights=y, minlength=n_series) / n
        dx = x - mx[codes]
        sxx = np.bincount(codes, weights=dx * dx, minlength=n_series)
        sxy = np.bincount(codes, weights=dx * (y - my[codes]), minlength=n_series)
        slope = np.where((n >= 2) & (sxx > 0), sxy / sxx, np.nan)
    return slope, my - slope * mx


def _row_median(values: np.ndarray) -> np.ndarray:
    """Median of the non-NaN values of each row (NaN for an all-NaN row)."""
    k = np.sum(~np.isnan(values), axis=1)
    s = np.sort(values, axis=1)  # NaN sorts last
    lo = np.clip((k - 1) // 2, 0, None)
    hi = np.clip(k // 2, 0, None)
    rows = np.arange(len(values))
    med = (s[rows, lo] + s[rows, hi]) / 2 if values.shape[1] else np.full(len(values), np.nan)
    return np.where(k > 0, med, np.nan)


def theil_sen_and_mk(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Theil-Sen slope and intercept (as ``scipy.stats.theilslopes``) and Mann-Kendall p per row.

    Notes
    -----
    Theil-Sen slope: median over pairs i < j with x_i != x_j of (y_j - y_i) / (x_j - x_i); intercept
    ``median(y) - slope * median(x)`` (Sen 1968; scipy's default ``method="separate"``).
    Mann-Kendall (Mann 1945; Kendall 1975), as ``pymannkendall.original_test``: S = sum of
    sign(y_j - y_i) over i < j in time order; Var(S) = [n(n-1)(2n+5) - sum t(t-1)(2t+5)] / 18 over
    groups of tied y; z = (S - sign(S)) / sqrt(Var S); two-sided p = 2 (1 - Phi(|z|)).
    """
    n_rows, width = Y.shape
    slope = np.full(n_rows, np.nan)
    mk_s = np.zeros(n_rows)
    n = np.sum(~np.isnan(Y), axis=1)
    fast = _packed_increasing(X, Y, n)
    tasks = []
    for k in np.unique(n[fast]):
        if k >= 2:
            rows = np.flatnonzero(fast & (n == k))
            block = max(1, BLOCK_ELEMENTS // int(k * (k - 1) // 2))
            tasks += [(rows[b:b + block], int(k)) for b in range(0, len(rows), block)]
    local = threading.local()

    def run(task: tuple[np.ndarray, int]) -> None:
        if getattr(local, "buffer", None) is None:
            local.buffer = np.empty(max(BLOCK_ELEMENTS, max(k * (k - 1) // 2 for _, k in tasks)))
        _theil_sen_equal_length(X, Y, *task, slope, mk_s, local.buffer)

    if THREADS > 1 and len(tasks) > 1:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            list(pool.map(run, tasks))
    else:
        for task in tasks:
            run(task)
    rest = np.flatnonzero(~fast)
    iu, ju = np.triu_indices(width, k=1)
    block = max(1, BLOCK_ELEMENTS // max(len(iu), 1))
    for b in range(0, len(rest), block):
        rows = rest[b:b + block]
        xs, ys = X[rows], Y[rows]
        dx = xs[:, ju] - xs[:, iu]
        dy = ys[:, ju] - ys[:, iu]
        with np.errstate(invalid="ignore", divide="ignore"):
            slopes = np.where(dx != 0, dy / dx, np.nan)
        slope[rows] = _row_median(slopes)
        mk_s[rows] = np.nansum(np.sign(dy), axis=1)
    intercept = _row_median(Y) - slope * _row_median(X)
    ties = _tie_term(Y)
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        # S = 0 (e.g. a constant series, Var S = 0) is no trend at all: z = 0, p = 1, as pymannkendall.
        z = np.where(mk_s == 0, 0.0, np.where(var_s > 0, (mk_s - np.sign(mk_s)) / np.sqrt(var_s), np.nan))
    p = _two_sided_p(z)
    p = np.where(n >= 3, p, np.nan)
    return slope, intercept, p


def _two_sided_p(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value ``2 (1 - Phi(|z|)) = erfc(|z| / sqrt 2)`` of each z (NaN stays NaN).

    The standard library's ``math.erfc``, cell by cell (one z per series), keeps scipy off the
    summary path; it agrees with ``2 * scipy.special.ndtr(-|z|)`` to about 1e-13, and like scipy it
    gives 0 once ``exp(-x^2)`` underflows (|z| > 37.7) rather than a subnormal number.
    """
    x = np.abs(np.asarray(z, dtype=float)) * _SQRT_HALF
    p = np.array([math.erfc(v) for v in x.ravel().tolist()], dtype=float).reshape(x.shape)
    with np.errstate(over="ignore"):  # x^2 of a huge z is inf: past the cutoff, as it should be
        return np.where(x * x > _LOG_MAX, 0.0, p)


_SQRT_HALF = math.sqrt(0.5)
#: log of the largest float: past it erfc's exp(-x^2) underflows (scipy's cutoff, cephes MAXLOG).
_LOG_MAX = math.log(sys.float_info.max)


def _packed_increasing(X: np.ndarray, Y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Rows whose ``n`` points fill the first ``n`` columns with strictly increasing x.

    Such a row has no missing value and no tied x, so all ``n (n - 1) / 2`` pairs are valid.
    """
    inside = np.arange(Y.shape[1])[None, :] < n[:, None]
    packed = np.all(~np.isnan(Y) == inside, axis=1) & np.all(~np.isnan(X) | ~inside, axis=1)
    with np.errstate(invalid="ignore"):
        rising = np.diff(X, axis=1) > 0
    return packed & np.all(rising | ~inside[:, 1:], axis=1)


def _theil_sen_equal_length(X: np.ndarray, Y: np.ndarray, rows: np.ndarray, k: int,
                            slope: np.ndarray, mk_s: np.ndarray, buffer: np.ndarray) -> None:
    """Theil-Sen slope and Mann-Kendall S of ``rows``, which all hold ``k`` valid, packed points.

    The pair slopes are built lag by lag from contiguous slices (``(y[j + lag] - y[j]) / (x[j +
    lag] - x[j])``), much cheaper than gathering them by index, into ``buffer`` (reused, at least
    ``len(rows) * k (k - 1) / 2`` elements). x rises strictly, so a pair's slope has the sign of
    its y difference and S is (positive slopes) - (negative slopes). Every row has the same
    number of pairs, so the median sits at the same place in each: a partial sort
    (``np.partition``, linear time) puts the lower middle value in place, and the upper one is
    the smallest value after it. The values are those of a full sort, so the result is
    identical. Writes into ``slope`` and ``mk_s``; numpy releases the GIL, so blocks run in
    parallel threads.
    """
    m = k * (k - 1) // 2
    lo, hi = (m - 1) // 2, m // 2
    xs, ys = X[rows, :k], Y[rows, :k]
    pairs = buffer[:len(rows) * m].reshape(len(rows), m)
    if len(rows) < LAG_LOOP_MIN_ROWS and k <= GATHER_MAX_POINTS:  # 3 calls beat 3 (k - 1) small ones
        first, second = _pairs(k)
        np.divide(ys[:, second] - ys[:, first], xs[:, second] - xs[:, first], out=pairs)
    else:
        pos = 0
        for lag in range(1, k):
            np.divide(ys[:, lag:] - ys[:, :-lag], xs[:, lag:] - xs[:, :-lag], out=pairs[:, pos:pos + k - lag])
            pos += k - lag
    mk_s[rows] = np.count_nonzero(pairs > 0, axis=1) - np.count_nonzero(pairs < 0, axis=1)
    pairs.partition(lo, axis=1)
    upper = pairs[:, lo] if hi == lo else pairs[:, hi:].min(axis=1)
    slope[rows] = (pairs[:, lo] + upper) / 2


@functools.lru_cache(maxsize=GATHER_MAX_POINTS)
def _pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs i < j of ``k`` points (``np.triu_indices``), made once per length (at most
    :data:`GATHER_MAX_POINTS` lengths of at most that many points: about 10 MB in all)."""
    first, second = (np.ascontiguousarray(i, dtype=np.int32) for i in np.triu_indices(k, k=1))
    first.flags.writeable = second.flags.writeable = False
    return first, second


def _tie_term(Y: np.ndarray) -> np.ndarray:
    """sum over tie groups of t(t-1)(2t+5) per row, vectorised with a sort."""
    s = np.sort(Y, axis=1)
    n_rows, width = s.shape
    if width == 0:
        return np.zeros(n_rows)
    valid = ~np.isnan(s)
    new = np.ones_like(s, dtype=bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    new &= valid
    run = np.cumsum(new, axis=1)  # run id within row (1-based); NaN tail keeps the last id
    flat = (np.arange(n_rows)[:, None] * (width + 1) + run)[valid]
    counts = np.bincount(flat, minlength=n_rows * (width + 1)).reshape(n_rows, width + 1)
    t = counts.astype(float)
    return np.sum(t * (t - 1) * (2 * t + 5), axis=1)


def trend_table(frame: pd.DataFrame, group: str, x: str, y: str) -> pd.DataFrame:
    """OLS and Theil-Sen slope/intercept and Mann-Kendall p per group of a tidy (sorted) frame.

    A point with a missing x or y is left out of the least-squares fit (Theil-Sen and Mann-Kendall
    use the valid pairs).

    Examples
    --------
    >>> f = pd.DataFrame({"g": ["a"] * 4, "x": [0, 1, 2, 3], "y": [5.0, 4.0, 4.0, 2.0]})
    >>> t = trend_table(f, "g", "x", "y")
    >>> float(t.loc["a", "slope_theil_sen"]), float(t.loc["a", "slope_ols"])
    (-1.0, -0.9)
    """
    if frame.empty:
        return pd.DataFrame(columns=TREND_COLUMNS, index=pd.Index([], name=group), dtype=float)
    frame = frame.sort_values([group, x], kind="stable")
    codes, keys = pd.factorize(frame[group].to_numpy(), sort=False)
    counts = np.bincount(codes)
    pos = np.arange(len(frame)) - np.repeat(np.cumsum(counts) - counts, counts)
    return trend_table_packed(codes, pos, frame[x].to_numpy(float), frame[y].to_numpy(float),
                              pd.Index(keys, name=group))


TREND_COLUMNS = ["n", "slope_ols", "intercept_ols", "slope_theil_sen", "intercept_theil_sen", "mk_p"]


def trend_table_packed(codes: np.ndarray, pos: np.ndarray, x: np.ndarray, y: np.ndarray,
                       keys: pd.Index) -> pd.DataFrame:
    """:func:`trend_table` for rows already grouped: row ``i`` is point ``pos[i]`` of series ``codes[i]``.

    ``codes`` number the series 0 .. len(keys) - 1; within a series, points come in order of x.
    """
    if len(keys) == 0:
        return pd.DataFrame(columns=TREND_COLUMNS, index=keys, dtype=float)
    width = int(pos.max()) + 1
    X = np.full((len(keys), width), np.nan)
    Y = np.full((len(keys), width), np.nan)
    X[codes, pos] = x
    Y[codes, pos] = y
    so, io = ols(codes, x, y, len(keys))
    ts, it, p = theil_sen_and_mk(X, Y)
    return pd.DataFrame({"n": np.sum(~np.isnan(Y), axis=1), "slope_ols": so, "intercept_ols": io,
                         "slope_theil_sen": ts, "intercept_theil_sen": it, "mk_p": p}, index=keys)
