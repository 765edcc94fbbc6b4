"""Single-case effect sizes: how much did a client's scores change once stretching began?

Each client is an A-B single-case design: phase A is the run of days with a score before the first
stretch (baseline), phase B the days from then on. :func:`effect_sizes` compares two phases with
the non-overlap and parametric indices of the R package SingleCaseES 0.7.x (Pustejovsky, Chen,
Grekov & Swan), following its definitions and defaults; :func:`phase_effect_sizes` builds the
phases from the canonical log and returns one tidy table for every client.

There is one implementation of each index, with array operations over many cases at once
(:mod:`backanalytics.metrics.effect_size_kernels`): :func:`effect_sizes` runs it on one case,
:func:`phase_effect_sizes` on a whole caseload, with no loop over clients.

Two places do better than SingleCaseES (see :func:`effect_sizes`, Notes): the Newcombe interval
of a NAP of 0 or 1, and ties between Tau-BC residuals that are equal in exact arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.metrics.effect_size_kernels import TIE_RTOL as TIE_RTOL
from backanalytics.metrics.effect_size_kernels import Cases, Improvement

Scale = Literal["count", "rate", "proportion", "percentage", "other"]

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
#: Daily means are rounded to this many decimals so that equal days compare as ties.
DAILY_DECIMALS = 9


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


def _options(improvement: str, confidence: float | None, metrics: Sequence[str] | None,
             scale: str) -> tuple[list[str], float | None, str]:
    """Validated metric names, normal quantile z (None without intervals) and scale name."""
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
    z = None if confidence is None else _normal_quantile(1 - (1 - confidence) / 2)
    return names, z, scale_name


def _normal_quantile(q: float) -> float:
    """The standard normal quantile of ``q`` in (0.5, 1] (``inf`` at 1, as ``scipy.stats.norm.ppf``)."""
    return math.inf if q >= 1 else NormalDist().inv_cdf(q)


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
       equation, e.g. [0.6143, 1] for NAP = 1 with m = 3, n = 7. Interval roots are found by
       bisection to full double precision, whereas R's ``uniroot`` default tolerance is about
       1.2e-4, so the two agree on interval limits only to about that tolerance (estimates and
       SEs agree to rounding).
    2. Tau-BC residuals within ``TIE_RTOL`` (1e-10) times the size of the data and the fitted
       line count as ties, so residuals that are equal in exact arithmetic tie regardless of
       floating-point noise (SingleCaseES compares them exactly).
    3. SMD is NaN, not 0 with SE 0, when m = 2 (where Hedges' J is 0); NAP's SE (so Tau's and
       Tau-BC's) is NaN, not Inf, when m or n is 1. As in SingleCaseES, a constant baseline (SD 0)
       gives SMD = +/-Inf (the sign of the improvement) with SE Inf when the phase means differ, and
       NaN when they do not. A baseline whose values are all equal has SD exactly 0, even where
       floating-point noise in its mean would make the computed SD tiny but positive (0.1, 0.1,
       0.1 gives 1.7e-17), and an SMD of about 1e16.

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
    names, z, scale_name = _options(improvement, confidence, metrics, scale)
    a_raw, b_raw = _values(a, "A"), _values(b, "B")
    d = _trunc_constant(scale_name, observation_length, intervals) if d_const is None else d_const
    cases = Cases(a_raw[np.newaxis, :], b_raw[np.newaxis, :], improvement, z, scale_name, d,
                   bias_correct)
    return pd.DataFrame(cases.table(names)[0], index=pd.Index(names, name="metric"),
                        columns=RESULT_COLUMNS, dtype=float)


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

    All clients are computed together with array operations, by the same code as
    :func:`effect_sizes` (so each client's rows equal ``effect_sizes(a, b)`` on its own phases):
    a few seconds for 10,000 clients with 120 days each.

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
    names, z, _ = _options(improvement, confidence, metrics, "count")
    if client is not None:
        log = log[log[C.CLIENT_ID] == client]

    day = log[C.DATE].dt.normalize()
    stretched = log[C.STRETCH].notna() & (log[C.STRETCH].astype("string").str.strip() != "")
    first_stretch = day[stretched].groupby(log.loc[stretched, C.CLIENT_ID]).min()
    scored = log[score].notna()
    daily = (log.loc[scored, score].astype(float)
             .groupby([log.loc[scored, C.CLIENT_ID], day[scored]]).mean().round(DAILY_DECIMALS))

    # One row per client and day, sorted: each client's A days come first, then its B days.
    codes, clients = pd.factorize(daily.index.get_level_values(0))
    dates = pd.Series(daily.index.get_level_values(1))
    if phase_date is None:  # NaT for clients who never stretched: in neither phase
        cut = first_stretch.reindex(clients).to_numpy()[codes]
    else:
        cut = pd.Timestamp(phase_date).normalize()
    in_a, in_b = (dates < cut).to_numpy(), (dates >= cut).to_numpy()
    m = np.bincount(codes[in_a], minlength=len(clients))
    n = np.bincount(codes[in_b], minlength=len(clients))
    keep = (m >= 2) & (n >= 1)
    if not keep.any():
        empty = pd.DataFrame({col: pd.Series(dtype=float) for col in PHASE_COLUMNS})
        return empty.astype({C.CLIENT_ID: "str", "metric": "str", "n_a": int, "n_b": int})

    # Pack the phases into NaN-padded matrices, one row per kept client: a day's column is its
    # place among the client's days (minus m in phase B).
    row = (np.cumsum(keep) - 1)[codes]
    place = np.arange(len(codes)) - np.r_[0, np.cumsum(np.bincount(codes))][codes]
    values = daily.to_numpy(dtype=float)
    phases = []
    for in_phase, skip, width in ((in_a, np.zeros_like(m), m), (in_b, m, n)):
        take = in_phase & keep[codes]
        matrix = np.full((int(keep.sum()), int(width[keep].max())), np.nan)
        matrix[row[take], (place - skip[codes])[take]] = values[take]
        phases.append(matrix)
    res = Cases(*phases, improvement, z, "count", 1.0, True).table(names)

    k = len(names)
    table = pd.DataFrame(res.reshape(-1, 4), columns=RESULT_COLUMNS)
    table.insert(0, C.CLIENT_ID, np.asarray(clients)[keep].repeat(k))
    table.insert(1, "metric", np.tile(np.array(names, dtype=object), int(keep.sum())))
    table["n_a"], table["n_b"] = m[keep].repeat(k), n[keep].repeat(k)
    return table[PHASE_COLUMNS]
