"""Array kernels of the single-case effect sizes: every index for many A-B cases at once.

A caseload is two NaN-padded matrices, one row per case: phase A (baseline) and phase B, each
row's observations first, in time order. Statistics that compare points pairwise (NAP and the
Tau family, PAND, the Theil-Sen trend) are computed in blocks of cases of similar phase lengths,
so memory stays bounded and there is no loop over cases. The definitions, formulas and
references are documented in :func:`backanalytics.metrics.effect_sizes.effect_sizes`, which is
this module run on one case; :func:`~backanalytics.metrics.effect_sizes.phase_effect_sizes` runs
it on a whole caseload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import Literal

import numpy as np

Improvement = Literal["increase", "decrease"]

#: Tau-BC residuals closer than this, relative to the size of the data and the fitted line, tie.
TIE_RTOL = 1e-10
#: Cases are processed in blocks whose pairwise arrays hold about this many elements (16 MB each).
BLOCK_ELEMENTS = 1 << 21
#: Bisection steps for the Newcombe interval limits: 2^-64 of [0, 1] is below double precision.
BISECTIONS = 64


def _blocks(m: np.ndarray, n: np.ndarray) -> list[tuple[np.ndarray, int, int]]:
    """Cases in blocks of similar phase lengths: (case indices, longest A, longest B).

    Cases are sorted by ``(m, n)`` and cut greedily so that a block's pairwise arrays
    (cases x A x max(A, B) points) hold at most :data:`BLOCK_ELEMENTS` elements (one case at
    least), which bounds memory while keeping the padding small.
    """
    order = np.lexsort((n, m))
    ms, ns = m[order], n[order]
    blocks, start = [], 0
    while start < len(order):
        stop = min(len(order), start + BLOCK_ELEMENTS)
        wide = np.maximum(ms[start:stop], np.maximum.accumulate(ns[start:stop]))
        cost = np.arange(1, stop - start + 1) * ms[start:stop] * wide
        end = start + max(1, int(np.searchsorted(cost, BLOCK_ELEMENTS, side="right")))
        blocks.append((order[start:end], int(ms[end - 1]), int(ns[start:end].max())))
        start = end
    return blocks


def _median(x: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Median of each row's ``count`` non-NaN values (NaN when there are none)."""
    if x.shape[1] == 0:
        return np.full(len(x), np.nan)
    s = np.sort(x, axis=1)  # NaN sorts last
    lo = np.take_along_axis(s, np.maximum((count - 1) // 2, 0)[:, np.newaxis], axis=1)[:, 0]
    hi = np.take_along_axis(s, (count // 2)[:, np.newaxis], axis=1)[:, 0]
    return np.where(count > 0, (lo + hi) / 2, np.nan)


def _mean_var(x: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row means and variances (ddof 1; NaN for one point, exactly 0 when all points are equal)."""
    pad = np.isnan(x)
    mean = np.where(pad, 0.0, x).sum(axis=1) / count
    dev = np.where(pad, 0.0, x - mean[:, np.newaxis])
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (dev * dev).sum(axis=1) / (count - 1)
    constant = np.fmax.reduce(x, axis=1) == np.fmin.reduce(x, axis=1)
    return mean, np.where(count > 1, np.where(constant, 0.0, var), np.nan)


def _nap(ya: np.ndarray, yb: np.ndarray, m: np.ndarray, n: np.ndarray, blocks: list,
         tol: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NAP, its unbiased SE (truncated as in SingleCaseES) and wins - losses for every case,
    from the pair scores q[i, j] = 1 if B point j beats A point i, 1/2 if they tie (within
    ``tol``), else 0."""
    tol = np.broadcast_to(tol, m.shape)
    nap, q1, q2, x, net = (np.empty(len(m)) for _ in range(5))
    for idx, mb, nb in blocks:
        d = yb[idx, np.newaxis, :nb] - ya[idx, :mb, np.newaxis]  # NaN where either is padding
        t = tol[idx, np.newaxis, np.newaxis]
        q = (d > t) + 0.5 * (np.abs(d) <= t)
        mi, ni = m[idx], n[idx]
        total = q.sum(axis=(1, 2))
        net[idx] = 2 * total - mi * ni
        nap[idx] = p = total / (mi * ni)
        dev = np.where(np.isnan(d), 0.0, q - p[:, np.newaxis, np.newaxis])
        q1[idx] = (dev.sum(axis=2) ** 2).sum(axis=1) / (mi * ni**2)
        q2[idx] = (dev.sum(axis=1) ** 2).sum(axis=1) / (mi**2 * ni)
        x[idx] = (dev**2).sum(axis=(1, 2)) / (mi * ni)
    trunc = 0.5 / (m * n)
    p = np.clip(nap, trunc, 1 - trunc)
    ok = (m >= 2) & (n >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (p * (1 - p) + n * q1 + m * q2 - 2 * x) / ((m - 1) * (n - 1))
    return nap, np.sqrt(np.where(ok & (var >= 0), var, np.nan)), net


def _newcombe_lower(nap: np.ndarray, m: np.ndarray, n: np.ndarray, z: float) -> np.ndarray:
    """Lower limit of Newcombe's (2006) method-5 score interval for NAP, for every case.

    The limits are the roots of ``f(x) = m n (nap - x)^2 (2 - x)(1 + x)
    - z^2 x (1 - x)(2 + h + (1 + 2h) x (1 - x))`` with ``h = (m + n) / 2 - 1``; the lower one is
    the single root in ``(0, nap)``, where ``f(0) > 0 > f(nap)``. When ``nap = 1``, ``x = 1`` is a
    spurious root (both terms vanish), so we solve ``f(x) / (1 - x) = 0`` on ``(0, 1)`` instead,
    which has exactly the interior root. Both are found by bisection to full double precision.
    """
    h = (m + n) / 2 - 1
    one = nap >= 1.0
    lo, hi = np.zeros(nap.shape), np.where(one, 1.0, nap)
    for _ in range(BISECTIONS):
        x = (lo + hi) / 2
        gap = np.where(one, 1 - x, (nap - x) ** 2)  # f / (1 - x) when nap = 1
        f = (m * n * gap * (2 - x) * (1 + x)
             - z**2 * x * np.where(one, 1.0, 1 - x) * (2 + h + (1 + 2 * h) * x * (1 - x)))
        above = f > 0
        lo, hi = np.where(above, x, lo), np.where(above, hi, x)
    return np.where(nap <= 0.0, 0.0, (lo + hi) / 2)


def _rows(est: np.ndarray, se: np.ndarray | None = None, z: float | None = None,
          lower: np.ndarray | None = None, upper: np.ndarray | None = None) -> np.ndarray:
    """Stack ``est, se, ci_lower, ci_upper`` into (cases, 4); the Wald interval by default."""
    se = np.full(est.shape, np.nan) if se is None else se
    if z is None:
        lower = upper = np.full(est.shape, np.nan)
    elif lower is None or upper is None:
        lower, upper = est - z * se, est + z * se
    return np.column_stack([est, se, lower, upper])


def _nap_rows(nap: np.ndarray, se: np.ndarray, m: np.ndarray, n: np.ndarray,
              z: float | None) -> np.ndarray:
    if z is None:
        return _rows(nap, se)
    # f is symmetric under (nap, x) -> (1 - nap, 1 - x), so the upper limit is a mirrored lower one.
    return _rows(nap, se, z, _newcombe_lower(nap, m, n, z), 1 - _newcombe_lower(1 - nap, m, n, z))


def _tau_rows(nap_rows: np.ndarray) -> np.ndarray:
    return nap_rows * 2 - np.array([1.0, 0.0, 1.0, 1.0])


class Cases:
    """Phases A and B of many cases as NaN-padded rows (observations first, in time order).

    Each statistic is computed for all cases at once; pieces shared by several statistics
    (NAP, the sorted baseline, the phase moments) are computed once, when first needed.

    Parameters
    ----------
    a, b : numpy.ndarray
        (cases, longest phase) arrays of phase A and phase B, NaN after each case's points;
        every case needs at least one point in each phase.
    improvement : {"increase", "decrease"}
        Direction of therapeutic change.
    z : float or None
        Normal quantile of the confidence level; None leaves the intervals NaN.
    scale, d_const, bias_correct
        LRR scale name, truncation constant D, and small-sample corrections, as resolved by
        :func:`backanalytics.metrics.effect_sizes.effect_sizes`.

    Examples
    --------
    Two cases at once: A = 4, 3, 4 / B = 5, 9, 7, and A = 1, 2, 2, 5 / B = 2, 3 (NAP 5/8: each
    B point beats the 1 and loses to the 5, the 2 ties both A 2s and the 3 beats them).

    >>> a = np.array([[4.0, 3.0, 4.0, np.nan], [1.0, 2.0, 2.0, 5.0]])
    >>> b = np.array([[5.0, 9.0, 7.0], [2.0, 3.0, np.nan]])
    >>> cases = Cases(a, b, "increase", z=None, scale="count", d_const=1.0, bias_correct=True)
    >>> cases.table(["NAP", "PND"])[:, :, 0].tolist()
    [[1.0, 1.0], [0.625, 0.0]]
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, improvement: Improvement, z: float | None,
                 scale: str, d_const: float, bias_correct: bool) -> None:
        self.a, self.b = a, b
        self.sign = 1 if improvement == "increase" else -1
        self.ya, self.yb = self.sign * a, self.sign * b  # oriented: higher is better
        self.m, self.n = (np.count_nonzero(~np.isnan(x), axis=1) for x in (a, b))
        self.blocks = _blocks(self.m, self.n)
        self.improvement, self.z, self.scale = improvement, z, scale
        self.d_const, self.bias_correct = d_const, bias_correct

    @cached_property
    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _nap(self.ya, self.yb, self.m, self.n, self.blocks)

    @cached_property
    def nap(self) -> np.ndarray:
        nap, se, _ = self.pairs
        return _nap_rows(nap, se, self.m, self.n, self.z)

    def tau(self) -> np.ndarray:
        return _tau_rows(self.nap)

    def _baseline_pairs(self, x: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per block: case indices, differences x_k - x_i over baseline pairs i < k, and k - i."""
        for idx, mb, _ in self.blocks:
            i, k = np.triu_indices(mb, k=1)
            xb = x[idx, :mb]
            yield idx, xb[:, k] - xb[:, i], (k - i).astype(float)

    def tau_u(self) -> np.ndarray:
        m, n = self.m, self.n
        s_a = np.empty(len(m))
        for idx, diff, _ in self._baseline_pairs(self.ya):
            s_a[idx] = (diff > 0).sum(axis=1) - (diff < 0).sum(axis=1)
        return _rows((self.pairs[2] - s_a) / (m * n))

    def tau_bc(self) -> np.ndarray:
        """Tau on the residuals from a Theil-Sen line fitted to the (unoriented) baseline."""
        a, b, m, n = self.a, self.b, self.m, self.n
        slope = np.empty(len(m))
        for idx, diff, lag in self._baseline_pairs(a):
            slope[idx] = _median(diff / lag, m[idx] * (m[idx] - 1) // 2)
        slope = slope[:, np.newaxis]
        t_a = np.arange(1, a.shape[1] + 1, dtype=float)
        t_b = m[:, np.newaxis] + np.arange(1, b.shape[1] + 1, dtype=float)
        intercept = _median(a - slope * t_a, m)[:, np.newaxis]
        res_a = a - intercept - slope * t_a
        res_b = b - intercept - slope * t_b
        size = np.maximum.reduce([np.fmax.reduce(np.abs(a), axis=1),
                                  np.fmax.reduce(np.abs(b), axis=1),
                                  np.abs(intercept[:, 0]), np.abs(slope[:, 0]) * (m + n)])
        nap, se, _ = _nap(self.sign * res_a, self.sign * res_b, m, n, self.blocks, TIE_RTOL * size)
        rows = _tau_rows(_nap_rows(nap, se, m, n, self.z))
        rows[m < 2] = np.nan
        return rows

    @cached_property
    def sorted_a(self) -> np.ndarray:
        return np.sort(self.ya, axis=1)  # padding (NaN) last

    def pnd(self) -> np.ndarray:
        top = np.take_along_axis(self.sorted_a, self.m[:, np.newaxis] - 1, axis=1)
        return _rows((self.yb > top).sum(axis=1) / self.n)

    def pem(self) -> np.ndarray:
        med = _median(self.sorted_a, self.m)[:, np.newaxis]
        return _rows(((self.yb > med) + 0.5 * (self.yb == med)).sum(axis=1) / self.n)

    @cached_property
    def pand(self) -> np.ndarray:
        """Largest share of points left after dropping the top of A and the bottom of B until
        every kept A point is below every kept B point: keeping the k lowest A points keeps
        every B point above the k-th lowest, so the best is max(n, max_k k + #{B > A_(k)})."""
        m, n = self.m, self.n
        kept = n.copy()
        for idx, mb, nb in self.blocks:
            low = self.sorted_a[idx, :mb]
            above = (self.yb[idx, np.newaxis, :nb] > low[:, :, np.newaxis]).sum(axis=2)
            k = np.arange(1, mb + 1)
            kept_k = np.where(k <= m[idx, np.newaxis], k + above, 0)
            kept[idx] = np.maximum(kept[idx], kept_k.max(axis=1))
        return _rows(kept / (m + n))

    def ird(self) -> np.ndarray:
        m, n = self.m, self.n
        return _rows(((m + n) ** 2 * self.pand[:, 0] - m**2 - n**2) / (2 * m * n))

    @cached_property
    def moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Counts, means and variances of the raw phases, as (cases, 2) arrays (A, B)."""
        (mean_a, var_a), (mean_b, var_b) = _mean_var(self.a, self.m), _mean_var(self.b, self.n)
        return (np.column_stack([self.m, self.n]).astype(float),
                np.column_stack([mean_a, mean_b]), np.column_stack([var_a, var_b]))

    def smd(self) -> np.ndarray:
        _, means, var = self.moments
        m, n = self.m, self.n
        df = m - 1
        j = 1 - 3 / (4 * df - 1) if self.bias_correct else np.ones(len(m))
        diff = means[:, 1] - means[:, 0]
        # A constant baseline and a B phase at the same level: no difference, whatever the rounding
        # of the two means (0.1, 0.1, 0.1 against 0.1, 0.1), so 0 / 0 = NaN rather than +/-Inf.
        diff = np.where((var[:, 0] == 0) & (np.abs(diff) <= 1e-12 * np.maximum(1.0, np.abs(means[:, 0]))),
                        0.0, diff)
        with np.errstate(divide="ignore", invalid="ignore"):
            # As SingleCaseES: a constant baseline (SD 0) and phases that differ give +/-Inf, SE Inf.
            d = self.sign * j * diff / np.sqrt(var[:, 0])
            se = j * np.sqrt(1 / m + var[:, 1] / (n * var[:, 0]) + d**2 / (2 * df))
        rows = _rows(d, se, self.z)
        # One baseline point (no SD), or m = 2 where Hedges' J is 0.
        rows[np.isnan(var[:, 0]) | (j <= 0)] = np.nan
        return rows

    def lrr(self, kind: Literal["d", "i"]) -> np.ndarray:
        ns, means, var = self.moments
        d_const = self.d_const
        against = (kind == "d") == (self.improvement == "increase")  # points against improvement
        bounded = self.scale in ("percentage", "proportion")
        if bounded and against:  # LRR of the complementary behaviour
            means = (100.0 if self.scale == "percentage" else 1.0) - means
        if d_const > 0:
            means = np.maximum(1 / (2 * d_const * ns), means)
            var = np.maximum(1 / (d_const**2 * ns**3), var)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_m = np.log(means) + (var / (2 * ns * means**2) if self.bias_correct else 0.0)
            se = np.sqrt(np.sum(var / (ns * means**2), axis=1))
        lrr = log_m[:, 1] - log_m[:, 0]
        return _rows(-lrr if against and not bounded else lrr, se, self.z)

    def table(self, names: Sequence[str]) -> np.ndarray:
        """(cases, len(names), 4) array of ``est, se, ci_lower, ci_upper``."""
        compute: dict[str, Callable[[], np.ndarray]] = {
            "NAP": lambda: self.nap, "Tau": self.tau, "Tau_U": self.tau_u, "Tau_BC": self.tau_bc,
            "PND": self.pnd, "PEM": self.pem, "PAND": lambda: self.pand, "IRD": self.ird,
            "SMD": self.smd, "LRRd": lambda: self.lrr("d"), "LRRi": lambda: self.lrr("i"),
        }
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.stack([compute[name]() for name in names], axis=1)
