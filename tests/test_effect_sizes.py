"""Tests for backanalytics.metrics.effect_sizes against published and hand-worked values.

Reference values come from
* [V] the SingleCaseES 0.7.0 vignette "Basic effect sizes calculations using SingleCaseES"
  (Swan, Pustejovsky & Grekov, 2023-02-08; pkgdown article ``articles/Using-SingleCaseES.html``
  in github.com/jepusto/SingleCaseES), printed to 7 significant digits;
* [PVD] SingleCaseES ``tests/testthat/test-parker-vannest-davis-2011.R`` (exact fractions from
  Parker, Vannest & Davis 2011) and [T] ``tests/testthat/test-tarlow-2017.R``;
* [PV] the issue's Parker & Vannest (2009) worked example (to 4 digits);
* [McK] McKissick et al. (2010) counts (SingleCaseES ``tests/testdata/McKissick.csv``) and their
  NAP / PND table in [V];
* hand calculation, with the arithmetic in the comments, and exact rational arithmetic.

Published confidence limits for NAP / Tau / Tau-BC are compared at 2e-4 only: SingleCaseES finds
them with ``uniroot``'s default tolerance (about 1.2e-4), whereas we solve to 1e-15; our limits are
additionally checked to be roots of Newcombe's score equation found by numpy's polynomial solver.
"""

from __future__ import annotations

import doctest
import functools
import math
import statistics
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from numpy.polynomial import Polynomial
from scipy import stats

import backanalytics.metrics.effect_size_kernels as kernels
import backanalytics.metrics.effect_sizes as es_module
from backanalytics.metrics.effect_sizes import IMPROVEMENT, METRICS, effect_sizes, phase_effect_sizes
from backanalytics.sample import generate_log

A_V = [20, 20, 26, 25, 22, 23]  # [V] hypothetical series
B_V = [28, 25, 24, 27, 30, 30, 29]
CI_TOL = 2e-4


def close(value: float, expected: float, rel: float = 1e-6) -> bool:
    """Equal to a value printed with 7 significant digits."""
    return value == pytest.approx(expected, rel=rel, abs=1e-9)


def newcombe_roots(nap: float, m: int, n: int, confidence: float = 0.95) -> list[float]:
    """Real roots in [0, 1] of Newcombe's method-5 quartic, by numpy's eigenvalue solver."""
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    h = (m + n) / 2 - 1
    x = Polynomial([0, 1])
    f = (m * n * (nap - x) ** 2 * (2 - x) * (1 + x)
         - z**2 * x * (1 - x) * (2 + h + (1 + 2 * h) * x * (1 - x)))
    return sorted(r.real for r in f.roots() if abs(r.imag) < 1e-9 and -1e-12 <= r.real <= 1 + 1e-12)


# --- published examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("improvement", "expected"),
    [
        ("increase", {  # [V] NAP(), Tau(), Tau_BC(), PND() ... SMD() on A_V, B_V
            "NAP": (0.9166667, 0.06900656, 0.5973406, 0.9860176),
            "Tau": (0.8333333, 0.1380131, 0.1946812, 0.9720352),
            "Tau_BC": (0.2857143, 0.3595159, -0.3260702, 0.7180613),
            "Tau_U": (0.7380952,), "PND": (0.7142857,), "PEM": (1.0,), "PAND": (0.8461538,),
            "IRD": (0.6904762,),
            "SMD": (1.649932, 0.6340935, 0.4071314, 2.892732),
            "LRRd": (-0.1953962, 0.05557723, -0.30432554, -0.08646679),  # calc_ES() default
            "LRRi": (0.1953962, 0.05557723, 0.08646679, 0.3043255),
        }),
        ("decrease", {  # [V] calc_ES(A, B, ES = "NOM", improvement = "decrease"), SMD, LRRi
            "NAP": (0.08333333, 0.06900656, 0.01398242, 0.4026594),
            "Tau": (-0.83333333, 0.13801311, -0.97203517, -0.1946812),
            "Tau_BC": (-0.28571429, 0.35951593, -0.71806125, 0.3260702),
            "Tau_U": (-0.73809524,), "PND": (0.0,), "PEM": (0.0,), "PAND": (0.53846154,),
            "IRD": (0.07142857,),
            "SMD": (-1.649932, 0.6340935, -2.892732, -0.4071314),
            "LRRi": (-0.1953962, 0.05557723, -0.3043255, -0.08646679),
        }),
    ],
)
def test_singlecasees_vignette_example(improvement: str, expected: dict) -> None:
    res = effect_sizes(A_V, B_V, improvement=improvement)
    for metric, values in expected.items():
        est, se, lo, hi = res.loc[metric]
        assert close(est, values[0]), metric
        if len(values) == 1:
            assert np.isnan([se, lo, hi]).all(), metric
            continue
        assert close(se, values[1]), metric
        tol = CI_TOL if metric in ("NAP", "Tau", "Tau_BC") else 1e-6
        assert lo == pytest.approx(values[2], abs=tol, rel=tol), metric
        assert hi == pytest.approx(values[3], abs=tol, rel=tol), metric


@pytest.mark.parametrize(("confidence", "lower", "upper"),
                         [(0.99, 0.4875014, 0.9907377), (0.90, 0.6591091, 0.9822249)])
def test_nap_interval_at_other_levels(confidence: float, lower: float, upper: float) -> None:
    # [V] NAP(A_data = A, B_data = B, confidence = .99 / .90)
    res = effect_sizes(A_V, B_V, "increase", confidence=confidence, metrics=["NAP"])
    lo, hi = res.loc["NAP", ["ci_lower", "ci_upper"]]
    assert (lo, hi) == pytest.approx((lower, upper), abs=CI_TOL)
    roots = newcombe_roots(11 / 12, 6, 7, confidence)
    assert lo == pytest.approx(roots[0], abs=1e-10)
    assert hi == pytest.approx(roots[-1], abs=1e-10)


def test_nap_other_phase_pairs_from_vignette() -> None:
    outcome = A_V + B_V
    a, b, c = outcome[:5], outcome[5:10], outcome[10:]
    # [V] NAP(condition = phase2, ...): A vs B gives 0.78, SE 0.155, CI [0.4115567, 0.9423658]
    est, se, lo, hi = effect_sizes(a, b, "increase", metrics=["NAP"]).loc["NAP"]
    assert (est, se) == pytest.approx((0.78, 0.155), rel=1e-9)
    assert (lo, hi) == pytest.approx((0.4115567, 0.9423658), abs=CI_TOL)
    # [V] A vs C and B vs C: NAP 1 with SE 0.06346478 (SingleCaseES prints the CI as [1, 1]).
    for base in (a, b):
        est, se, lo, hi = effect_sizes(base, c, "increase", metrics=["NAP"]).loc["NAP"]
        assert est == 1.0
        assert close(se, 0.06346478)
        assert lo < 1.0
        assert hi == 1.0


def test_parker_vannest_davis_2011_exact_values() -> None:
    # [PVD] example 1
    res = effect_sizes(A_V, B_V, "increase")["est"]
    assert res["PND"] == pytest.approx(5 / 7)
    assert res["PAND"] == pytest.approx(1 - 2 / 13)
    assert res["PEM"] == pytest.approx(7 / 7)
    assert res["IRD"] == pytest.approx(6 / 7 - 1 / 6)
    assert res["NAP"] == pytest.approx(38.5 / 42)
    assert res["Tau"] == pytest.approx((38 - 3) / 42)
    # [PVD] example 2
    res = effect_sizes([3, 3, 4, 5], [4, 5, 6, 7, 7], "increase")["est"]
    assert res["Tau"] == pytest.approx(16 / 20)
    assert res["Tau_U"] == pytest.approx(11 / 20)


def test_tarlow_2017_perfect_trend() -> None:
    # [T] a straight line through both phases: Tau 1, Tau-U 0.6, and Tau-BC 0 (all residuals 0).
    res = effect_sizes([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], "increase")["est"]
    assert (res["Tau"], res["Tau_U"], res["Tau_BC"]) == pytest.approx((1.0, 0.6, 0.0))


def test_parker_vannest_2009_example() -> None:
    # [PV]; by hand, NAP = 106/110: each B 5 loses to the A 7 and ties the A 5 (-1.5 each) and
    # each B 7 ties the A 7 (-0.5 each), every other pair improves: 110 - 3 - 1 = 106.
    a = [4, 3, 4, 3, 4, 7, 5, 2, 3, 2]
    b = [5, 9, 7, 9, 7, 5, 9, 11, 11, 10, 9]
    res = effect_sizes(a, b, "increase")["est"]
    assert res["NAP"] == pytest.approx(106 / 110)
    expected = {"NAP": 0.9636, "Tau": 0.9273, "Tau_U": 1.0182, "PND": 0.6364, "PEM": 1.0,
                "SMD": 2.853}
    for metric, value in expected.items():
        assert round(res[metric], 4 if metric != "SMD" else 3) == value, metric


def test_lrr_truncation_examples_from_vignette() -> None:
    zeros = [0, 0, 0, 0]
    # [V] LRRd(A, B, scale = "rate") is NaN without a session length; 8.672947 with 30 minutes.
    nan_rate = effect_sizes(zeros, B_V, "decrease", scale="rate", metrics=["LRRd"])
    assert nan_rate.isna().all(axis=None)
    res = effect_sizes(zeros, B_V, "decrease", scale="rate", observation_length=30,
                       metrics=["LRRd"]).loc["LRRd"]
    assert res.to_numpy() == pytest.approx([8.672947, 0.5010548, 7.690897, 9.654996], rel=1e-6)
    # [V] percentage scale needs intervals; 180 intervals give 5.859536.
    nan_pct = effect_sizes(zeros, B_V, "decrease", scale="percentage", metrics=["LRRd"])
    assert nan_pct.isna().all(axis=None)
    res = effect_sizes(zeros, B_V, "decrease", scale="percentage", intervals=180,
                       metrics=["LRRd"]).loc["LRRd"]
    assert res.to_numpy() == pytest.approx([5.859536, 0.5010548, 4.877487, 6.841586], rel=1e-6)
    # [V] LRRi on a percentage scale: improvement changes the magnitude, not just the sign.
    up = effect_sizes(A_V, B_V, "increase", scale="percentage", metrics=["LRRi"]).loc["LRRi"]
    down = effect_sizes(A_V, B_V, "decrease", scale="percentage", metrics=["LRRi"]).loc["LRRi"]
    assert up.to_numpy() == pytest.approx([0.1953962, 0.05557723, 0.08646679, 0.3043255], rel=1e-6)
    assert down.to_numpy() == pytest.approx([-0.06553504, 0.01810144, -0.1010132, -0.03005687],
                                            rel=1e-6)


MCKISSICK = {  # [McK] Case_pseudonym -> (A, B); disruptive behaviour, improvement = decrease
    "Period 1": ([13.62, 12.57, 15.76], [5.97, 4.63, 5.82, 3.72, 8.07, 2.95, 11.86]),
    "Period 2": ([8.07, 21.86, 19.6, 20.98, 17.75], [9.96, 4.02, 10.8, 9.57, 0.04, 5.57, 24.52]),
    "Period 3": ([11.82, 13.95, 11.93, 16.09, 18.09, 11.75, 13.75, 12.59, 11],
                 [1.98, 4.8, 11.87, 5.34]),
}


@pytest.mark.parametrize(("case", "nap", "pnd"), [
    # [V] batch_calc_ES(McKissick, ..., improvement = "decrease", ES = c("NAP", "PND"))
    ("Period 1", (1.0, 0.0440101, None, None), 1.0),
    ("Period 2", (0.7714286, 0.1538619, 0.4305321, 0.9322444), 0.4285714),
    ("Period 3", (0.9166667, 0.0833333, 0.5676324, 0.9874545), 0.75),
])
def test_mckissick_nap_and_pnd(case: str, nap: tuple, pnd: float) -> None:
    a, b = MCKISSICK[case]
    res = effect_sizes(a, b, "decrease", metrics=["NAP", "PND"])
    est, se, lo, hi = res.loc["NAP"]
    assert close(est, nap[0])
    assert close(se, nap[1])  # Period 1: the truncated SE, since NAP = 1
    if nap[2] is None:  # SingleCaseES: [1, 1]; we return the interior root
        assert lo == pytest.approx(newcombe_roots(1.0, len(a), len(b))[0], abs=1e-10)
        assert lo < 1.0
        assert hi == 1.0
    else:
        assert (lo, hi) == pytest.approx(nap[2:], abs=CI_TOL)
    assert close(res.loc["PND", "est"], pnd)


# --- hand-worked cases --------------------------------------------------------------------------


def test_ties_hand_worked() -> None:
    # A = 1, 2, 2; B = 2, 3. Pair scores (rows A, columns B): [[1, 1], [.5, 1], [.5, 1]].
    res = effect_sizes([1, 2, 2], [2, 3], "increase")
    assert res.loc["NAP", "est"] == pytest.approx(5 / 6)
    # Deviations from 5/6: row sums 1/3, -1/6, -1/6 -> Q1 = (1/6)/(3*4) = 1/72; column sums
    # -1/2, 1/2 -> Q2 = (1/2)/(9*2) = 1/36; X = (1/3)/6 = 1/18.
    # V = (5/36 + 2/72 + 3/36 - 2/18) / (2*1) = 5/72.
    assert res.loc["NAP", "se"] == pytest.approx(math.sqrt(5 / 72))
    assert res.loc["Tau", "se"] == pytest.approx(2 * math.sqrt(5 / 72))
    assert res.loc["PEM", "est"] == pytest.approx(0.75)  # median 2: one tie (1/2), one above
    assert res.loc["PND", "est"] == pytest.approx(0.5)  # only 3 beats max A = 2
    # S_AB = (1 + 0 + 0) + 3 = 4, S_A = 1 + 1 + 0 = 2 -> (4 - 2) / 6.
    assert res.loc["Tau_U", "est"] == pytest.approx(1 / 3)
    # Keep all of A (max 2) and B = {3}: 4 of 5 points. IRD = (25 * 4/5 - 9 - 4) / 12.
    assert res.loc["PAND", "est"] == pytest.approx(0.8)
    assert res.loc["IRD", "est"] == pytest.approx(7 / 12)


def test_two_baseline_points_hand_worked() -> None:
    a, b = [3, 5], [4, 6, 7]
    res = effect_sizes(a, b, "increase")["est"]
    assert res["NAP"] == pytest.approx(5 / 6)  # 4 beats 3 only; 6 and 7 beat both
    assert res["Tau"] == pytest.approx(2 / 3)
    assert res["Tau_U"] == pytest.approx((4 - 1) / 6)  # S_AB = 0 + 2 + 2, S_A = 1
    # Theil-Sen through (1, 3), (2, 5): slope 2, intercept 1; B residuals at sessions 3..5 are
    # 4 - 7, 6 - 9, 7 - 11, all below the A residuals (0, 0): Tau-BC = -1.
    assert res["Tau_BC"] == pytest.approx(-1.0)
    assert res["PEM"] == pytest.approx(2.5 / 3)
    assert res["PND"] == pytest.approx(2 / 3)
    assert res["PAND"] == pytest.approx(0.8)
    # Hedges' J = 1 - 3/(4*1 - 1) = 0 with one baseline df: no SMD.
    assert np.isnan(effect_sizes(a, b, "increase").loc["SMD"]).all()
    # Without the correction: d = (17/3 - 4) / sqrt(2); s_B^2 = 7/3;
    # SE^2 = 1/2 + (7/3)/(3*2) + d^2/2 = 18/36 + 14/36 + 25/36 = 57/36.
    smd = effect_sizes(a, b, "increase", bias_correct=False).loc["SMD"]
    assert smd["est"] == pytest.approx((5 / 3) / math.sqrt(2))
    assert smd["se"] == pytest.approx(math.sqrt(57) / 6)
    z = stats.norm.ppf(0.975)
    assert smd["ci_lower"] == pytest.approx(smd["est"] - z * math.sqrt(57) / 6)


def test_constant_baseline_hand_worked() -> None:
    a, b = [4, 4, 4, 4], [2, 3, 4]
    res = effect_sizes(a, b, "decrease")
    assert res.loc["NAP", "est"] == pytest.approx(10 / 12)  # 2 and 3 beat all four, 4 ties
    # Baseline SD 0, phases differ: SingleCaseES gives d = (3 - 4) / 0 = -Inf, J d = -Inf, negated for
    # "decrease" = +Inf; SE = J sqrt(1/4 + 1/(3 * 0) + Inf) = Inf; CI = Inf -/+ z Inf = (NaN, Inf).
    smd = res.loc["SMD"]
    assert (smd["est"], smd["se"], smd["ci_upper"]) == (math.inf, math.inf, math.inf)
    assert np.isnan(smd["ci_lower"])
    assert effect_sizes(a, b, "increase").loc["SMD", "est"] == -math.inf  # the sign follows improvement
    assert np.isnan(effect_sizes(a, [4, 4], "decrease").loc["SMD"]).all()  # no difference: 0 / 0
    assert res.loc["Tau_BC"].to_numpy() == pytest.approx(res.loc["Tau"].to_numpy())  # slope 0
    # Counts, D = 1: V_A = 0 is truncated to 1/(1 * 4^3) = 1/64; M_B = 3, V_B = 1.
    lrr = math.log(3 / 4) + 1 / (2 * 3 * 9) - (1 / 64) / (2 * 4 * 16)
    se = math.sqrt((1 / 64) / (4 * 16) + 1 / (3 * 9))
    assert res.loc["LRRd", ["est", "se"]].to_numpy() == pytest.approx([lrr, se])
    assert res.loc["LRRi", ["est", "se"]].to_numpy() == pytest.approx([-lrr, se])
    # All-equal baselines have SD exactly 0, even where rounding makes the computed one positive
    # (the float mean of 0.1, 0.1, 0.1 is not 0.1), which would give an SMD of about 1e16.
    assert np.var([0.1] * 3, ddof=1) > 0
    assert effect_sizes([0.1] * 3, [0.3, 0.2], "decrease").loc["SMD", "est"] == -math.inf
    assert np.isnan(effect_sizes([0.1] * 3, [0.1] * 2, "decrease").loc["SMD"]).all()


def test_all_zero_b_phase_hand_worked() -> None:
    a, b = [2, 1, 3], [0, 0, 0]
    res = effect_sizes(a, b, "decrease")
    # M_B = 0 is truncated to 1/(2*1*3) = 1/6 and V_B = 0 to 1/(1*27); M_A = 2, V_A = 1.
    # LRRd = [log(1/6) + (1/27) / (2*3/36)] - [log 2 + 1 / (2*3*4)] = -log 12 + 2/9 - 1/24.
    lrr = -math.log(12) + 2 / 9 - 1 / 24
    se = math.sqrt(1 / (3 * 4) + (1 / 27) / (3 / 36))
    assert res.loc["LRRd", ["est", "se"]].to_numpy() == pytest.approx([lrr, se])
    assert res.loc["LRRi", ["est", "se"]].to_numpy() == pytest.approx([-lrr, se])
    # SMD: J = 1 - 3/7 = 4/7, d = 2 J = 8/7, SE = J sqrt(1/3 + 0 + d^2/4).
    assert res.loc["SMD", ["est", "se"]].to_numpy() == pytest.approx(
        [8 / 7, 4 / 7 * math.sqrt(1 / 3 + (64 / 49) / 4)])
    assert (res.loc["NAP", "est"], res.loc["PND", "est"], res.loc["PEM", "est"]) == (1, 1, 1)
    # No truncation on the "other" scale: log(0) makes the LRR undefined.
    other = effect_sizes(a, b, "decrease", scale="other", metrics=["LRRd", "LRRi"])
    assert other.isna().all(axis=None)


def test_nap_one_gives_interior_newcombe_root() -> None:
    a, b = [5, 6, 7], [1, 2, 3, 4, 2, 1, 0]  # every B point improves (decrease)
    m, n = len(a), len(b)
    est, se, lo, hi = effect_sizes(a, b, "decrease", metrics=["NAP"]).loc["NAP"]
    assert est == 1.0
    assert 0 < lo < 1
    assert hi == 1.0
    z = stats.norm.ppf(0.975)
    h = (m + n) / 2 - 1
    score = m * n * (1 - lo) ** 2 * (2 - lo) * (1 + lo) - z**2 * lo * (1 - lo) * (
        2 + h + (1 + 2 * h) * lo * (1 - lo))
    assert abs(score) < 1e-9
    interior = [r for r in newcombe_roots(1.0, m, n) if r < 1 - 1e-9]
    assert interior == pytest.approx([lo], abs=1e-10)
    # Truncated SE: p = 1 - 1/(2*21); every deviation is 0, so V = p(1 - p) / (2 * 6).
    p = 1 - 1 / 42
    assert se == pytest.approx(math.sqrt(p * (1 - p) / 12))
    # Tau carries the same interval, and NAP = 0 mirrors it.
    tau = effect_sizes(a, b, "decrease", metrics=["Tau"]).loc["Tau"]
    assert (tau["ci_lower"], tau["ci_upper"]) == pytest.approx((2 * lo - 1, 1.0))
    zero = effect_sizes(a, b, "increase", metrics=["NAP"]).loc["NAP"]
    assert (zero["est"], zero["ci_lower"]) == (0.0, 0.0)
    assert zero["ci_upper"] == pytest.approx(1 - lo, abs=1e-12)


def exact_tau_bc(a: list[str], b: list[str]) -> Fraction:
    """Tau-BC (improvement = increase) in exact rational arithmetic, an independent reference."""
    ya, yb = [Fraction(v) for v in a], [Fraction(v) for v in b]
    m, n = len(ya), len(yb)
    slope = statistics.median((ya[k] - ya[i]) / (k - i) for i in range(m) for k in range(i + 1, m))
    intercept = statistics.median(ya[i] - slope * (i + 1) for i in range(m))
    ra = [ya[i] - intercept - slope * (i + 1) for i in range(m)]
    rb = [yb[j] - intercept - slope * (m + j + 1) for j in range(n)]
    return Fraction(sum((y > x) - (y < x) for x in ra for y in rb), m * n)


@pytest.mark.parametrize(("a", "b"), [
    (["0.1", "0.2", "0.3", "0.4"], ["0.5", "0.6", "0.7"]),  # on the line: every residual is 0
    (["0.3", "0.6", "0.9", "1.2"], ["1.5", "1.6", "2.1"]),  # two B residuals tie with A's
])
def test_tau_bc_ties_in_exact_arithmetic(a: list[str], b: list[str]) -> None:
    fa, fb = [float(v) for v in a], [float(v) for v in b]
    # The floating-point residuals are not all equal, so an exact comparison would break ties.
    t = np.arange(1, len(fa) + 1)
    slope = np.median([(fa[k] - fa[i]) / (k - i) for i in range(len(fa))
                       for k in range(i + 1, len(fa))])
    resid = np.array(fa) - np.median(np.array(fa) - slope * t) - slope * t
    assert len(set(resid.tolist())) > 1
    res = effect_sizes(fa, fb, "increase", metrics=["Tau_BC"]).loc["Tau_BC"]
    assert res["est"] == pytest.approx(float(exact_tau_bc(a, b)), abs=1e-15)
    mirrored = effect_sizes([-v for v in fa], [-v for v in fb], "decrease", metrics=["Tau_BC"])
    assert mirrored.loc["Tau_BC", "est"] == pytest.approx(res["est"], abs=1e-15)


def test_tau_bc_all_ties_standard_error() -> None:
    # All 12 pairs tie: NAP = 1/2, every deviation is 0, V = (1/4) / (3 * 2); SE(Tau) = 2 sqrt(V).
    res = effect_sizes([0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7], "increase").loc["Tau_BC"]
    assert res["se"] == pytest.approx(2 * math.sqrt(1 / 24))


def test_sign_flip_on_mirrored_data() -> None:
    a = [3.0, 5.5, 4.0, 4.0, 6.0]
    b = [6.0, 7.5, 4.0, 8.0, 9.0, 7.0]
    up = effect_sizes(a, b, "increase", metrics=METRICS[:9])
    down = effect_sizes([-v for v in a], [-v for v in b], "decrease", metrics=METRICS[:9])
    pd.testing.assert_frame_equal(up, down, rtol=1e-12)
    # Same data, other direction: NAP -> 1 - NAP with the interval mirrored.
    other = effect_sizes(a, b, "decrease", metrics=["NAP"]).loc["NAP"]
    nap = up.loc["NAP"]
    assert other["est"] == pytest.approx(1 - nap["est"])
    assert other["se"] == pytest.approx(nap["se"])
    assert (other["ci_lower"], other["ci_upper"]) == pytest.approx(
        (1 - nap["ci_upper"], 1 - nap["ci_lower"]), abs=1e-12)


def test_shape_metrics_and_options() -> None:
    res = effect_sizes([*A_V, np.nan], B_V, "increase")
    assert list(res.index) == list(METRICS)
    assert res.index.name == "metric"
    assert list(res.columns) == ["est", "se", "ci_lower", "ci_upper"]
    assert res.loc["NAP", "est"] == pytest.approx(11 / 12)  # the NaN was dropped
    picked = effect_sizes(A_V, B_V, "increase", confidence=None, metrics=["SMD", "NAP"])
    assert list(picked.index) == ["SMD", "NAP"]
    assert picked[["ci_lower", "ci_upper"]].isna().all(axis=None)
    single = effect_sizes([4.0], [1.0, 2.0], "decrease")
    assert np.isnan(single.loc[["NAP", "Tau", "Tau_BC", "SMD"], "se"]).all()
    assert single.loc["NAP", "est"] == 1.0


@pytest.mark.parametrize("kwargs", [
    {"improvement": "up"}, {"improvement": "increase", "metrics": ["NAP", "Cohen"]},
    {"improvement": "increase", "confidence": 1.5}, {"improvement": "increase", "scale": "ratio"},
])
def test_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        effect_sizes(A_V, B_V, **kwargs)


def test_empty_phase() -> None:
    with pytest.raises(ValueError, match="phase B"):
        effect_sizes(A_V, [np.nan], "increase")


# --- per-client wrapper -------------------------------------------------------------------------


def make_log() -> pd.DataFrame:
    rows = [
        # c1: three baseline days (3/2 has two scores, mean 7), stretching from 3/4.
        ("c1", "2024-03-01", None, 6.0, 5.0), ("c1", "2024-03-02", None, 6.0, None),
        ("c1", "2024-03-02", None, 8.0, 4.0), ("c1", "2024-03-03", None, 5.0, 5.0),
        ("c1", "2024-03-04", "Cat-Cow", None, None), ("c1", "2024-03-04", None, 4.0, 6.0),
        ("c1", "2024-03-05", "Cat-Cow", 3.0, 7.0), ("c1", "2024-03-06", "Bridge Pose", 5.0, 7.0),
        # c2: only one baseline day -> left out.
        ("c2", "2024-03-01", None, 6.0, 5.0), ("c2", "2024-03-02", "Cat-Cow", 4.0, 6.0),
        # c3: never stretched -> left out.
        ("c3", "2024-03-01", None, 6.0, 5.0), ("c3", "2024-03-02", None, 5.0, 5.0),
        ("c3", "2024-03-03", None, 4.0, 5.0),
    ]
    log = pd.DataFrame(rows, columns=["client_id", "date", "stretch", "pain", "flexibility"])
    log["date"] = pd.to_datetime(log["date"])
    return log


def test_phase_effect_sizes_per_client() -> None:
    res = phase_effect_sizes(make_log())
    assert list(res.columns) == ["client_id", "metric", "est", "se", "ci_lower", "ci_upper",
                                 "n_a", "n_b"]
    assert set(res["client_id"]) == {"c1"}
    assert (res["n_a"] == 3).all() and (res["n_b"] == 3).all()
    # c1 daily pain means: A = 6, 7, 5; B = 4, 3, 5 (improvement = decrease for pain).
    expected = effect_sizes([6, 7, 5], [4, 3, 5], "decrease").reset_index()
    pd.testing.assert_frame_equal(res[["metric", "est", "se", "ci_lower", "ci_upper"]],
                                  expected, check_dtype=False)
    # By hand: B's 4 and 3 beat all three A days, 5 ties the 5 and beats 6, 7: NAP = 8.5/9.
    nap = res.set_index("metric").loc["NAP", "est"]
    assert nap == pytest.approx(8.5 / 9)


def test_phase_effect_sizes_options() -> None:
    log = make_log()
    # flexibility defaults to improvement = increase: A = 5, 4, 5; B = 6, 7, 7 -> NAP 1.
    flex = phase_effect_sizes(log, score="flexibility", metrics=["NAP"])
    assert flex["est"].tolist() == [1.0]
    # A fixed phase date applies to every client: c1 gets A = 6, 7 and B = 5, 4, 3, 5, and c3,
    # who never stretched, A = 6, 5 and B = 4. Tau-U on the negated (decrease) scores:
    # c1: S_AB = 8, S_A = sign(-7 + 6) = -1 -> 9/8; c3: S_AB = 2, S_A = +1 -> 1/2.
    fixed = phase_effect_sizes(log, phase_date="2024-03-03", metrics=["Tau_U"])
    assert fixed.set_index("client_id")[["n_a", "n_b"]].to_dict("index") == {
        "c1": {"n_a": 2, "n_b": 4}, "c3": {"n_a": 2, "n_b": 1}}
    assert fixed.set_index("client_id")["est"].to_dict() == pytest.approx({"c1": 9 / 8, "c3": 0.5})
    assert phase_effect_sizes(log, client="c2").empty
    one = phase_effect_sizes(log, client="c1", improvement="increase", metrics=["NAP"])
    assert one["est"].tolist() == pytest.approx([0.5 / 9])
    with pytest.raises(ValueError):
        phase_effect_sizes(log, score="hold_s")


def test_daily_means_equal_in_exact_arithmetic_tie() -> None:
    # (0.1 + 0.2) / 2 != 0.15 in floating point; the daily means are rounded so the days tie.
    log = pd.DataFrame({
        "client_id": ["c"] * 5,
        "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03",
                                "2024-01-03"]),
        "stretch": [None, None, None, "Cat-Cow", None],
        "pain": [0.1, 0.2, 0.15, None, 0.15],
    })
    res = phase_effect_sizes(log, metrics=["NAP"])
    assert res["est"].tolist() == [0.5]


# --- a whole caseload at once -------------------------------------------------------------------


def awkward_clients(phase: pd.Timestamp) -> pd.DataFrame:
    """Hand-made clients whose phase B starts at ``phase`` (the day they start stretching)."""
    rng = np.random.default_rng(3)
    long_a = rng.integers(0, 11, 40).astype(float)
    phases = {  # client -> (phase A daily scores, phase B daily scores)
        "x-m2": ([6, 7], [4, 3, 5, 5]),  # m = 2: no Hedges' J, Theil-Sen through two points
        "x-flat": ([4, 4, 4, 4, 4], [2, 3, 4]),  # constant baseline
        "x-flat-tenths": ([0.1] * 4, [0.3, 0.2, 0.1]),  # constant, with a noisy float mean
        "x-zero-b": ([2, 1, 3], [0, 0, 0]),  # all-zero B phase
        "x-ties": ([3, 3, 4, 4, 3], [3, 4, 4, 3, 4, 4]),
        "x-one-b": ([5, 6, 5], [2]),  # n = 1
        "x-trend": ([0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7]),  # Tau-BC residuals tie exactly
        "x-long": (long_a, [3, 2, 2, 1, 4, 2, 1, 0, 1, 2]),
        "x-no-b": ([5, 6, 5], []),  # never stretches: left out
        "x-no-a": ([], [5, 4, 3]),  # stretches from day 1: left out
        "x-one-a": ([5], [4, 3]),  # one baseline day: left out
    }
    rows = []
    for client, (a, b) in phases.items():
        gap = 2 if client == "x-long" else 1  # every other day: sessions ignore the gaps
        for k, value in enumerate(a):
            rows.append((client, phase - pd.Timedelta(days=gap * (len(a) - k)), None, value))
        for k, value in enumerate(b):
            rows.append((client, phase + pd.Timedelta(days=k), "Cat-Cow", value))
    log = pd.DataFrame(rows, columns=["client_id", "date", "stretch", "pain"])
    # Two scores on one day average to the day's score (x-ties, B day 2: 4 and 2 give 3); rows
    # without a score do not count as days.
    extra = pd.DataFrame({"client_id": ["x-ties", "x-ties", "x-m2"],
                          "date": [phase + pd.Timedelta(days=1)] * 2 + [phase - pd.Timedelta(days=1)],
                          "stretch": ["Bridge Pose", "Cat-Cow", None], "pain": [2.0, np.nan, np.nan]})
    log = pd.concat([log, extra], ignore_index=True)
    return log


@functools.cache
def caseload() -> tuple[pd.DataFrame, pd.Timestamp]:
    generated = generate_log(n_clients=60, days=60)
    phase = generated["date"].min() + pd.Timedelta(days=14)
    log = pd.concat([generated, awkward_clients(phase)], ignore_index=True)
    return log.sort_values(["client_id", "date"], kind="stable", ignore_index=True), phase


def own_phases(log: pd.DataFrame, score: str, client: str,
               phase: pd.Timestamp | None) -> tuple[np.ndarray, np.ndarray] | None:
    """One client's daily scores split at the phase date (or its first stretch day)."""
    rows = log[log["client_id"] == client]
    if phase is None:
        stretch_days = rows.loc[rows["stretch"].fillna("").str.strip() != "", "date"]
        if stretch_days.empty:
            return None
        phase = stretch_days.min().normalize()
    scored = rows[rows[score].notna()]
    daily = scored.groupby(scored["date"].dt.normalize())[score].mean().round(9).sort_index()
    return daily[daily.index < phase].to_numpy(), daily[daily.index >= phase].to_numpy()


@pytest.mark.parametrize(("score", "fixed_phase"), [("pain", True), ("pain", False),
                                                    ("flexibility", True)])
@pytest.mark.parametrize("block_elements", [None, 2000])
def test_caseload_equals_each_client_alone(score: str, fixed_phase: bool,
                                           block_elements: int | None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    if block_elements is not None:  # many small blocks of cases instead of one
        monkeypatch.setattr(kernels, "BLOCK_ELEMENTS", block_elements)
    log, phase = caseload()
    phase_date = phase if fixed_phase else None
    res = phase_effect_sizes(log, score, phase_date=phase_date)
    expected = []
    for client in sorted(log["client_id"].unique()):
        split = own_phases(log, score, client, phase_date)
        if split is None or len(split[0]) < 2 or len(split[1]) < 1:
            continue
        one = effect_sizes(*split, IMPROVEMENT[score]).reset_index()
        one.insert(0, "client_id", client)
        one["n_a"], one["n_b"] = len(split[0]), len(split[1])
        expected.append(one)
    expected_table = pd.concat(expected, ignore_index=True)
    pd.testing.assert_frame_equal(res, expected_table, check_exact=False, rtol=1e-12, atol=1e-12)
    clients = set(res["client_id"])
    if score == "pain":
        assert {"x-m2", "x-flat", "x-zero-b", "x-ties", "x-one-b", "x-long"} <= clients
        assert not {"x-no-b", "x-no-a", "x-one-a"} & clients
    assert len(clients) > (50 if fixed_phase else 5)


def test_caseload_hand_worked_rows() -> None:
    log, phase = caseload()
    res = phase_effect_sizes(log, phase_date=phase).set_index(["client_id", "metric"])
    # x-ties: A = 3, 3, 4, 4, 3 and B = 3, 3, 4, 3, 4, 4 (pain: lower is better). Each B 3 ties
    # three A days and beats two (3.5 of 5), each B 4 loses to three and ties two (1 of 5):
    # NAP = (3 * 3.5 + 3 * 1) / 30.
    assert res.loc[("x-ties", "NAP"), ["n_a", "n_b"]].tolist() == [5, 6]
    assert res.loc[("x-ties", "NAP"), "est"] == pytest.approx(13.5 / 30)
    assert np.isnan(res.loc[("x-m2", "SMD")].iloc[:4].astype(float)).all()
    # Constant baseline 0.1, B mean 0.2 (more pain, scores are pain): SingleCaseES gives -Inf, SE Inf.
    assert res.loc[("x-flat-tenths", "SMD")].iloc[:2].astype(float).tolist() == [-np.inf, np.inf]
    assert res.loc[("x-trend", "Tau_BC"), "est"] == 0.0  # every residual is 0: all pairs tie
    assert res.loc[("x-zero-b", "PND"), "est"] == 1.0
    assert res.loc[("x-long", "NAP"), "n_a"] == 40


def test_caseload_newcombe_limits_are_roots() -> None:
    log, phase = caseload()
    nap = phase_effect_sizes(log, phase_date=phase, metrics=["NAP"])
    assert len(nap) > 50
    for est, lo, hi, m, n in nap[["est", "ci_lower", "ci_upper", "n_a", "n_b"]].itertuples(
            index=False):
        roots = newcombe_roots(est, m, n)
        assert lo == pytest.approx(roots[0] if est > 0 else 0.0, abs=1e-10)
        assert hi == pytest.approx(roots[-1] if est < 1 else 1.0, abs=1e-10)


def test_docstring_examples_run() -> None:
    for module in (es_module, kernels):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0
        assert result.failed == 0


@pytest.mark.parametrize("confidence", [1e-9, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1 - 1e-12, 1 - 1e-16])
def test_interval_quantile_is_scipys_normal_quantile_without_scipy(confidence):
    q = 1 - (1 - confidence) / 2
    assert es_module._normal_quantile(q) == pytest.approx(stats.norm.ppf(q), rel=1e-12)
