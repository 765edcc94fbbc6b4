"""Single-case effect sizes: how much did a client's scores change once stretching began?

Each client is an A-B single-case design: phase A is the run of days with a score before the first
stretch (baseline), phase B the days from then on. :func:`effect_sizes` compares two phases with
the non-overlap and parametric indices of the R package SingleCaseES 0.7.x (Pustejovsky, Chen,
Grekov & Swan), following its definitions and defaults; :func:`phase_effect_sizes` builds the
phases from the canonical log and returns one tidy table for every client.

Two places do better than SingleCaseES (see :func:`effect_sizes`, Notes): the Newcombe interval
of a NAP of 0 or 1, and ties between Tau-BC residuals that are equal in exact arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from backanalytics import columns as C

Improvement = Literal["increase", "decrease"]
Scale = Literal["count", "rate", "proportion", "percentage", "other"]
Result = tuple[float, float, float, float]

#: Every metric, in the order :func:`effect_sizes` reports them.
METRICS: tuple[str, ...] = (
    "NAP", "Tau", "Tau_U", "Tau_BC", "PND", "PEM", "PAND", "IRD", "SMD", "LRRd", "LRRi",
)
RESULT_COLUMNS = ["est", "se", "ci_lower", "ci_upper"]
PHASE_COLUMNS = [C.CLIENT_ID, "metric", *RESULT_COLUMNS, "n_a", "n_b"]
#: Direction of improvement of each score when ``phase_effect_sizes`` is not told.
IMPROVEMENT: dict[str, Improvement] = {
    C.PAIN: "decrease", C.PAIN_AFTER: "decrease", C.FLEXIBILITY: "increase", C.REACH_CM: "increase",
}
SCALES = ("count", "rate", "proportion", "percentage", "other")
#: Tau-BC residuals closer than this, relative to the size of the data and the fitted line, tie.
TIE_RTOL = 1e-10
#: Daily means are rounded to this many decimals so that equal days compare as ties.
DAILY_DECIMALS = 9
_NAN4: Result = (math.nan, math.nan, math.nan, math.nan)


def _pair_scores(a: np.ndarray, b: np.ndarray, tol: float = 0.0) -> np.ndarray:
    """Matrix q[i, j] = 1 if b[j] beats a[i], 1/2 if they tie (within ``tol``), else 0."""
    d = b[np.newaxis, :] - a[:, np.newaxis]
    return np.where(d > tol, 1.0, np.where(d < -tol, 0.0, 0.5))


def _newcombe_lower(nap: float, m: int, n: int, z: float) -> float:
    """Lower limit of Newcombe's (2006) method-5 score interval for NAP.

    The limits are the roots of ``f(x) = m n (nap - x)^2 (2 - x)(1 + x)
    - z^2 x (1 - x)(2 + h + (1 + 2h) x (1 - x))`` with ``h = (m + n) / 2 - 1``. When ``nap = 1``,
    ``x = 1`` is a spurious root (both terms vanish), so we solve ``f(x) / (1 - x) = 0`` instead,
    which has exactly the interior root.
    """
    if nap <= 0.0:
        return 0.0
    h = (m + n) / 2 - 1
    if nap >= 1.0:
        def g(x: float) -> float:
            return m * n * (1 - x) * (2 - x) * (1 + x) - z**2 * x * (2 + h + (1 + 2 * h) * x * (1 - x))
        return float(optimize.brentq(g, 0.0, 1.0, xtol=1e-15))

    def f(x: float) -> float:
        return (m * n * (nap - x) ** 2 * (2 - x) * (1 + x)
                - z**2 * x * (1 - x) * (2 + h + (1 + 2 * h) * x * (1 - x)))
    return float(optimize.brentq(f, 0.0, nap, xtol=1e-15))


def _nap(a: np.ndarray, b: np.ndarray, z: float | None, tol: float = 0.0) -> Result:
    """NAP with the unbiased SE (truncated as in SingleCaseES) and the Newcombe interval."""
    q = _pair_scores(a, b, tol)
    m, n = q.shape
    nap = float(q.mean())
    se = math.nan
    if m >= 2 and n >= 2:
        dev = q - nap
        q1 = float((dev.sum(axis=1) ** 2).sum()) / (m * n**2)
        q2 = float((dev.sum(axis=0) ** 2).sum()) / (m**2 * n)
        x = float((dev**2).sum()) / (m * n)
        trunc = 0.5 / (m * n)
        p = min(max(nap, trunc), 1 - trunc)
        var = (p * (1 - p) + n * q1 + m * q2 - 2 * x) / ((m - 1) * (n - 1))
        se = math.sqrt(var) if var >= 0 else math.nan
    if z is None:
        return nap, se, math.nan, math.nan
    # f is symmetric under (nap, x) -> (1 - nap, 1 - x), so the upper limit is a mirrored lower one.
    return nap, se, _newcombe_lower(nap, m, n, z), 1 - _newcombe_lower(1 - nap, m, n, z)


def _tau(a: np.ndarray, b: np.ndarray, z: float | None, tol: float = 0.0) -> Result:
    nap, se, lo, hi = _nap(a, b, z, tol)
    return 2 * nap - 1, 2 * se, 2 * lo - 1, 2 * hi - 1


def _tau_u(a: np.ndarray, b: np.ndarray) -> Result:
    m, n = len(a), len(b)
    s_ab = np.sign(b[np.newaxis, :] - a[:, np.newaxis]).sum()
    s_a = np.sign(a[np.newaxis, :] - a[:, np.newaxis])[np.triu_indices(m, k=1)].sum()
    return float(s_ab - s_a) / (m * n), math.nan, math.nan, math.nan


def _tau_bc(a: np.ndarray, b: np.ndarray, sign: int, z: float | None) -> Result:
    """Tau on the residuals from a Theil-Sen line fitted to the (unoriented) baseline."""
    m, n = len(a), len(b)
    if m < 2:
        return _NAN4
    t_a = np.arange(1, m + 1, dtype=float)
    t_b = np.arange(m + 1, m + n + 1, dtype=float)
    i, j = np.triu_indices(m, k=1)
    slope = float(np.median((a[j] - a[i]) / (t_a[j] - t_a[i])))
    intercept = float(np.median(a - slope * t_a))
    res_a = a - intercept - slope * t_a
    res_b = b - intercept - slope * t_b
    size = max(np.abs(a).max(), np.abs(b).max(), abs(intercept), abs(slope) * (m + n))
    return _tau(sign * res_a, sign * res_b, z, tol=TIE_RTOL * size)


def _pnd(a: np.ndarray, b: np.ndarray) -> Result:
    return float(np.mean(b > a.max())), math.nan, math.nan, math.nan


def _pem(a: np.ndarray, b: np.ndarray) -> Result:
    med = np.median(a)
    return float(np.mean((b > med) + 0.5 * (b == med))), math.nan, math.nan, math.nan


def _pand(a: np.ndarray, b: np.ndarray) -> float:
    """Largest share of points left after dropping the top of A and the bottom of B until
    every kept A point is below every kept B point."""
    m, n = len(a), len(b)
    top_kept_a = np.r_[-np.inf, np.sort(a)]  # keeping the k lowest A points, k = 0..m
    low_kept_b = np.r_[np.sort(b), np.inf]  # keeping B points from sorted index j on, j = 0..n
    kept = np.arange(m + 1)[:, np.newaxis] + (n - np.arange(n + 1))[np.newaxis, :]
    return float(kept[top_kept_a[:, np.newaxis] < low_kept_b[np.newaxis, :]].max()) / (m + n)


def _ird(a: np.ndarray, b: np.ndarray) -> Result:
    m, n = len(a), len(b)
    return ((m + n) ** 2 * _pand(a, b) - m**2 - n**2) / (2 * m * n), math.nan, math.nan, math.nan


def _smd(a: np.ndarray, b: np.ndarray, sign: int, bias_correct: bool, z: float | None) -> Result:
    m, n = len(a), len(b)
    df = m - 1
    var_a = float(np.var(a, ddof=1)) if m > 1 else math.nan
    var_b = float(np.var(b, ddof=1)) if n > 1 else math.nan
    j = 1 - 3 / (4 * df - 1) if bias_correct else 1.0
    if not var_a > 0 or j <= 0:  # no baseline spread, or m = 2 where Hedges' J is 0
        return _NAN4
    d = sign * j * (b.mean() - a.mean()) / math.sqrt(var_a)
    se = j * math.sqrt(1 / m + var_b / (n * var_a) + d**2 / (2 * df))
    if z is None:
        return d, se, math.nan, math.nan
    return d, se, d - z * se, d + z * se


def _trunc_constant(scale: str, observation_length: float | None, intervals: float | None) -> float:
    if scale == "count":
        return 1.0
    if scale == "rate" and observation_length is not None:
        return float(observation_length)
    if scale == "proportion" and intervals is not None:
        return float(intervals)
    if scale == "percentage" and intervals is not None:
        return float(intervals) / 100
    return math.inf


def _lrr(a: np.ndarray, b: np.ndarray, kind: Literal["d", "i"], improvement: Improvement,
         scale: str, d_const: float, bias_correct: bool, z: float | None) -> Result:
    ns = np.array([len(a), len(b)], dtype=float)
    means = np.array([a.mean(), b.mean()])
    var = np.array([np.var(x, ddof=1) if len(x) > 1 else math.nan for x in (a, b)])
    against = (kind == "d") == (improvement == "increase")  # the index points against improvement
    bounded = scale in ("percentage", "proportion")
    if bounded and against:  # LRR of the complementary behaviour
        means = (100.0 if scale == "percentage" else 1.0) - means
    if d_const > 0:
        means = np.maximum(1 / (2 * d_const * ns), means)
        var = np.maximum(1 / (d_const**2 * ns**3), var)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_m = np.log(means) + (var / (2 * ns * means**2) if bias_correct else 0.0)
        se = float(np.sqrt(np.sum(var / (ns * means**2))))
    lrr = float(log_m[1] - log_m[0])
    if against and not bounded:
        lrr = -lrr
    if z is None:
        return lrr, se, math.nan, math.nan
    return lrr, se, lrr - z * se, lrr + z * se


def _values(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float).ravel()
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        raise ValueError(f"phase {name} has no observations")
    return arr


def effect_sizes(
    a: Sequence[float] | np.ndarray | pd.Series,
    b: Sequence[float] | np.ndarray | pd.Series,
    improvement: Improvement,
    confidence: float | None = 0.95,
    metrics: Sequence[str] | None = None,
    scale: Scale = "count",
    *,
    observation_length: float | None = None,
    intervals: float | None = None,
    d_const: float | None = None,
    bias_correct: bool = True,
) -> pd.DataFrame:
    """Single-case effect sizes comparing phase B with baseline phase A.

    Parameters
    ----------
    a, b : array-like of float
        Phase A (baseline) and phase B observations in time order. NaN values are dropped.
    improvement : {"increase", "decrease"}
        Which direction of change is therapeutic (``"decrease"`` for pain).
    confidence : float or None, default 0.95
        Confidence level of the intervals; ``None`` leaves the interval columns NaN.
    metrics : sequence of str, optional
        Names from :data:`METRICS`; all of them by default, reported in that order.
    scale : {"count", "rate", "proportion", "percentage", "other"}, default "count"
        Outcome scale for LRRd / LRRi; it sets the truncation constant D (count: 1, rate:
        ``observation_length``, proportion: ``intervals``, percentage: ``intervals / 100``,
        otherwise no truncation) and, for percentages and proportions, which behaviour is logged.
    observation_length, intervals : float, optional
        Session length in minutes (rates) and intervals per session (proportions, percentages).
    d_const : float, optional
        Truncation constant D for LRRd / LRRi, overriding the one implied by ``scale``.
    bias_correct : bool, default True
        Hedges' small-sample correction for SMD and the delta-method correction for LRRd / LRRi.

    Returns
    -------
    pandas.DataFrame
        Index ``metric``; columns ``est, se, ci_lower, ci_upper``, NaN where a metric has none.

    Notes
    -----
    With ``m`` A points ``y^A_i`` and ``n`` B points ``y^B_j``, signs flipped when improvement
    is a decrease (SingleCaseES 0.7.x, Pustejovsky et al.):

    * NAP (Parker & Vannest 2009) = mean over all pairs of ``q_ij = 1[y^B_j > y^A_i]
      + 1/2 1[y^B_j = y^A_i]``. SE: the unbiased estimator of Sen (1967) and Mee (1990),
      ``V = (p(1-p) + n Q1 + m Q2 - 2X) / ((m-1)(n-1))`` with ``p`` = NAP truncated to
      ``[1/(2mn), 1 - 1/(2mn)]``, ``Q1 = sum_i (sum_j (q_ij - NAP))^2 / (m n^2)``, ``Q2`` the
      same over columns ``/ (m^2 n)``, ``X = sum (q_ij - NAP)^2 / (mn)``; NaN when m or n is 1.
      CI: Newcombe's (2006) method 5, the roots ``x`` of ``mn (NAP - x)^2 (2 - x)(1 + x) =
      z^2 x (1 - x)(2 + h + (1 + 2h) x (1 - x))``, ``h = (m + n)/2 - 1``.
    * Tau = 2 NAP - 1; SE = 2 SE(NAP); CI = 2 CI(NAP) - 1 (Parker, Vannest, Davis & Sauber 2011).
    * Tau_U (Parker et al. 2011, "A vs B minus trend A", denominator ``mn``, so it can exceed 1) =
      ``(S_AB - S_A) / (mn)`` with ``S_AB = sum_ij sign(y^B_j - y^A_i)`` and
      ``S_A = sum_{i<k} sign(y^A_k - y^A_i)``. No SE.
    * Tau_BC (Tarlow 2017) with SingleCaseES's defaults ``Kendall = FALSE`` and
      ``pretest_trend = FALSE``: the baseline trend is always removed (no significance pre-test)
      with the Theil-Sen line (slope = median of pairwise slopes over sessions 1..m, intercept =
      median of ``y^A_i - slope i``; B sessions are m+1..m+n), then Tau (non-overlap, no tie
      adjustment) with its SE and CI is computed on the residuals. NaN when m < 2.
    * PND (Scruggs et al. 1987) = share of B above the A maximum. PEM (Ma 2006) = share of B above
      the A median, ties 1/2. PAND (Parker et al. 2007) = largest share of all points left after
      removing points until every A point is below every B point; IRD (Parker, Vannest & Brown
      2009) = ``((m+n)^2 PAND - m^2 - n^2) / (2mn)``.
    * SMD (within-case, baseline SD) = ``J (mean_B - mean_A) / s_A`` with Hedges'
      ``J = 1 - 3/(4 df - 1)``, ``df = m - 1``; ``SE = J sqrt(1/m + s_B^2/(n s_A^2) + d^2/(2 df))``,
      CI = est -/+ z SE.
    * LRRd / LRRi (Pustejovsky 2015, 2018): phase means and variances are truncated below at
      ``1/(2 D n)`` and ``1/(D^2 n^3)``; ``R = log(M_B) - log(M_A)`` plus, with bias correction,
      ``V_B/(2 n M_B^2) - V_A/(2 m M_A^2)``; ``SE^2 = V_A/(m M_A^2) + V_B/(n M_B^2)``; CI = R -/+ z SE.
      LRRi is positive for improvement, LRRd negative; for counts and rates LRRd = -LRRi, for
      percentages / proportions the index against improvement logs the complement (100 - M).
      With bias correction it is NaN when a phase has one point (no variance), as in SingleCaseES.

    Deliberate departures from SingleCaseES 0.7.x:

    1. When NAP is 1 (or 0) SingleCaseES's root finder stops at the spurious root x = 1 (x = 0)
       and reports the interval [1, 1] ([0, 0]); we return the interior root of the score
       equation, e.g. [0.6143, 1] for NAP = 1 with m = 3, n = 7. All interval roots are solved to
       1e-15, whereas R's ``uniroot`` default tolerance is about 1.2e-4, so the two agree on
       interval limits only to about that tolerance (estimates and SEs agree to rounding).
    2. Tau-BC residuals within ``TIE_RTOL`` (1e-10) times the size of the data and the fitted
       line count as ties, so residuals that are equal in exact arithmetic tie regardless of
       floating-point noise (SingleCaseES compares them exactly).
    3. SMD is NaN, not +/-Inf or 0 with SE 0, when the baseline SD is 0 or m = 2 (where Hedges' J
       is 0); NAP's SE (so Tau's and Tau-BC's) is NaN, not Inf, when m or n is 1.

    References: Newcombe, R. G. (2006), Stat. Med. 25(4), 559-573; Parker, R. I. & Vannest, K. J.
    (2009), Behav. Ther. 40(4), 357-367; Parker, R. I., Vannest, K. J., Davis, J. L. & Sauber,
    S. B. (2011), Behav. Ther. 42(2), 284-299; Tarlow, K. R. (2017), Behav. Modif. 41(4),
    427-467; Pustejovsky, J. E. (2018), J. Sch. Psychol. 68, 99-112.

    Examples
    --------
    Parker & Vannest's (2009) NAP example, where higher scores are better:

    >>> a = [4, 3, 4, 3, 4, 7, 5, 2, 3, 2]
    >>> b = [5, 9, 7, 9, 7, 5, 9, 11, 11, 10, 9]
    >>> es = effect_sizes(a, b, improvement="increase")
    >>> print(f"{es.loc['NAP', 'est']:.4f} {es.loc['Tau', 'est']:.4f} {es.loc['PND', 'est']:.4f}")
    0.9636 0.9273 0.6364
    >>> print(es.loc["Tau_U"].round(4).tolist())
    [1.0182, nan, nan, nan]
    """
    if improvement not in ("increase", "decrease"):
        raise ValueError(f"improvement must be 'increase' or 'decrease', not {improvement!r}")
    scale_name = str(scale).lower()
    if scale_name not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    names = list(METRICS if metrics is None else metrics)
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {', '.join(METRICS)}")
    if confidence is not None and not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    z = None if confidence is None else float(stats.norm.ppf(1 - (1 - confidence) / 2))
    a_raw, b_raw = _values(a, "A"), _values(b, "B")
    sign = 1 if improvement == "increase" else -1
    ya, yb = sign * a_raw, sign * b_raw
    d = _trunc_constant(scale_name, observation_length, intervals) if d_const is None else d_const

    compute: dict[str, Callable[[], Result]] = {
        "NAP": lambda: _nap(ya, yb, z),
        "Tau": lambda: _tau(ya, yb, z),
        "Tau_U": lambda: _tau_u(ya, yb),
        "Tau_BC": lambda: _tau_bc(a_raw, b_raw, sign, z),
        "PND": lambda: _pnd(ya, yb),
        "PEM": lambda: _pem(ya, yb),
        "PAND": lambda: (_pand(ya, yb), math.nan, math.nan, math.nan),
        "IRD": lambda: _ird(ya, yb),
        "SMD": lambda: _smd(a_raw, b_raw, sign, bias_correct, z),
        "LRRd": lambda: _lrr(a_raw, b_raw, "d", improvement, scale_name, d, bias_correct, z),
        "LRRi": lambda: _lrr(a_raw, b_raw, "i", improvement, scale_name, d, bias_correct, z),
    }
    rows = [compute[name]() for name in names]
    return pd.DataFrame(rows, index=pd.Index(names, name="metric"), columns=RESULT_COLUMNS,
                        dtype=float)


def phase_effect_sizes(
    log: pd.DataFrame,
    score: str = C.PAIN,
    phase_date: Any = None,
    improvement: Improvement | None = None,
    client: str | None = None,
    *,
    confidence: float | None = 0.95,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Effect sizes of starting to stretch, per client, from the canonical log.

    Parameters
    ----------
    log : pandas.DataFrame
        Canonical log (``client_id``, ``date``, ``stretch``, the score columns, ...).
    score : str, default "pain"
        Score column to compare: ``pain``, ``pain_after``, ``flexibility`` or ``reach_cm``.
    phase_date : date-like, optional
        First day of phase B for every client. By default each client's first stretch day.
    improvement : {"increase", "decrease"}, optional
        Defaults to "decrease" for pain and pain_after, "increase" for flexibility and reach_cm.
    client : str, optional
        Only this client.
    confidence, metrics
        Passed to :func:`effect_sizes`.

    Returns
    -------
    pandas.DataFrame
        Columns ``client_id, metric, est, se, ci_lower, ci_upper, n_a, n_b``, one row per client
        and metric, clients sorted.

    Notes
    -----
    Each client's series is the mean of the score per calendar day, over days with a score,
    rounded to ``DAILY_DECIMALS`` decimals (so days whose means are equal compare as ties), in
    date order. Days before ``phase_date`` (or the first day with a non-empty ``stretch``) are
    phase A, that day and later days are phase B. Trend-based indices (Tau_U, Tau_BC) number
    these days 1, 2, ... as sessions, ignoring gaps, as SingleCaseES numbers sessions.
    Clients with fewer than 2 phase-A days or no phase-B day are left out (without
    ``phase_date`` that includes clients who never stretched): every index here needs a baseline
    to compare with, and the baseline SD, Theil-Sen trend and NAP variance need 2 points or more.

    Examples
    --------
    >>> log = pd.DataFrame({
    ...     "client_id": ["c1"] * 6,
    ...     "date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03",
    ...                             "2024-03-04", "2024-03-04", "2024-03-05"]),
    ...     "stretch": [None, None, None, "Cat-Cow", None, "Cat-Cow"],
    ...     "pain": [6.0, 7.0, 6.0, None, 3.0, 2.0],
    ... })
    >>> res = phase_effect_sizes(log, metrics=["NAP", "PND"])
    >>> res[["client_id", "metric", "est", "n_a", "n_b"]].values.tolist()
    [['c1', 'NAP', 1.0, 3, 2], ['c1', 'PND', 1.0, 3, 2]]
    """
    if score not in log.columns:
        raise ValueError(f"the log has no {score!r} column")
    if improvement is None:
        if score not in IMPROVEMENT:
            raise ValueError(f"say whether improvement in {score!r} is an increase or decrease")
        improvement = IMPROVEMENT[score]
    if client is not None:
        log = log[log[C.CLIENT_ID] == client]
    start = None if phase_date is None else pd.Timestamp(phase_date).normalize()

    day = log[C.DATE].dt.normalize()
    stretched = log[C.STRETCH].notna() & (log[C.STRETCH].astype("string").str.strip() != "")
    first_stretch = day[stretched].groupby(log.loc[stretched, C.CLIENT_ID]).min()
    scored = log[score].notna()
    daily = (log.loc[scored, score].astype(float)
             .groupby([log.loc[scored, C.CLIENT_ID], day[scored]]).mean().round(DAILY_DECIMALS))

    frames = []
    for client_id, series in daily.groupby(level=0, sort=True):
        cut = start if start is not None else first_stretch.get(client_id)
        if cut is None or pd.isna(cut):
            continue
        dates = series.index.get_level_values(1)
        a, b = series[dates < cut].to_numpy(), series[dates >= cut].to_numpy()
        if len(a) < 2 or len(b) < 1:
            continue
        res = effect_sizes(a, b, improvement, confidence=confidence, metrics=metrics).reset_index()
        res.insert(0, C.CLIENT_ID, client_id)
        res["n_a"], res["n_b"] = len(a), len(b)
        frames.append(res)
    if not frames:
        empty = pd.DataFrame({col: pd.Series(dtype=float) for col in PHASE_COLUMNS})
        return empty.astype({C.CLIENT_ID: "str", "metric": "str", "n_a": int, "n_b": int})
    return pd.concat(frames, ignore_index=True)[PHASE_COLUMNS]
