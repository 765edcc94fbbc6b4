"""Outcome metrics against independent references (scipy, pymannkendall) and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymannkendall
import pytest
from scipy import stats

from backanalytics.metrics.association import adherence_bands, adherence_pain_correlation, weekly_adherence_pain
from backanalytics.metrics.outcomes import daily_scores, outcomes, rolling_mean, trends
from backanalytics.metrics.trend import trend_table


def score_log(pain: list[float], client: str = "a", start: str = "2026-01-01", **cols) -> pd.DataFrame:
    days = pd.date_range(start, periods=len(pain))
    frame = pd.DataFrame({"client_id": client, "date": days, "stretch": "Cobra Stretch", "pain": pain,
                          "pain_after": np.nan, "flexibility": np.nan, "reach_cm": np.nan,
                          "hold_s": 20.0, "reps": pd.array([3] * len(pain), dtype="Int64"),
                          "planned_rest": False})
    for k, v in cols.items():
        frame[k] = v
    return frame


def test_theil_sen_ols_and_mann_kendall_agree_with_scipy_and_pymannkendall():
    rng = np.random.default_rng(0)
    frames = []
    for i in range(30):
        n = int(rng.integers(3, 40))
        x = np.sort(rng.choice(200, size=n, replace=False)).astype(float)
        y = np.round(rng.normal(5 - 0.02 * x, 1.0), 0)  # rounded: plenty of ties
        frames.append(pd.DataFrame({"g": f"c{i:02d}", "x": x, "y": y}))
    frame = pd.concat(frames)
    table = trend_table(frame, "g", "x", "y")
    for key, part in frame.groupby("g"):
        ts = stats.theilslopes(part["y"], part["x"])
        assert table.loc[key, "slope_theil_sen"] == pytest.approx(ts.slope, abs=1e-12)
        assert table.loc[key, "intercept_theil_sen"] == pytest.approx(ts.intercept, abs=1e-12)
        ls = stats.linregress(part["x"], part["y"])
        assert table.loc[key, "slope_ols"] == pytest.approx(ls.slope, abs=1e-12)
        assert table.loc[key, "intercept_ols"] == pytest.approx(ls.intercept, abs=1e-12)
        mk = pymannkendall.original_test(part["y"].to_numpy())
        assert table.loc[key, "mk_p"] == pytest.approx(mk.p, abs=1e-9)


@pytest.mark.parametrize("lag_loop_min_rows", [0, 10**6])  # pairs built lag by lag / gathered by index
@pytest.mark.parametrize("block_elements", [1, 50, 10_000])
def test_theil_sen_blocks_and_reused_buffers_match_scipy(monkeypatch, block_elements, lag_loop_min_rows):
    # Many series of a few lengths (odd and even pair counts), split into blocks that threads
    # compute in reused buffers: each slope and S must still be its own series' (as scipy).
    from backanalytics.metrics import trend

    monkeypatch.setattr(trend, "BLOCK_ELEMENTS", block_elements)
    monkeypatch.setattr(trend, "LAG_LOOP_MIN_ROWS", lag_loop_min_rows)
    monkeypatch.setattr(trend, "THREADS", 2)  # threads even on a 1-core runner
    rng = np.random.default_rng(7)
    frames = []
    for i in range(120):
        n = int(rng.choice([4, 5, 9, 30, 230]))  # 230 points: longer than the gather path takes
        x = np.sort(rng.choice(400, size=n, replace=False)).astype(float)
        y = np.round(rng.normal(5 + rng.normal(0, 0.05) * x, 1.5) * 2) / 2
        frames.append(pd.DataFrame({"g": f"c{i:03d}", "x": x, "y": y}))
    frame = pd.concat(frames)
    table = trend_table(frame, "g", "x", "y")
    for key, part in frame.groupby("g"):
        assert table.loc[key, "slope_theil_sen"] == pytest.approx(stats.theilslopes(part["y"], part["x"]).slope,
                                                                   abs=1e-12)
        assert table.loc[key, "mk_p"] == pytest.approx(pymannkendall.original_test(part["y"].to_numpy()).p,
                                                       abs=1e-9)


def test_baseline_current_change_hand_worked():
    # first 7 days mean 6, last 7 days mean 3 -> change -3, -50 %
    row = outcomes(score_log([6.0] * 7 + [4.0] * 3 + [3.0] * 7)).loc["a"]
    assert (row["pain_baseline"], row["pain_current"], row["pain_change"]) == (6.0, 3.0, -3.0)
    assert row["pain_pct_change"] == -50.0
    assert row["pain_mcid_reached"] and row["pain_band"] == "substantial"


@pytest.mark.parametrize(("before", "after", "mcid", "band"), [
    (8.0, 6.0, True, "minimal"),   # 2 points (25 %): MCID by points
    (3.0, 2.0, True, "moderate"),  # 1 point but 33 %: MCID by percent
    (8.0, 7.0, False, "minimal"),  # 1 point, 12.5 %
    (5.0, 5.0, False, "no change"),
    (4.0, 6.0, False, "worse"),
])
def test_mcid_points_or_percent_and_immpact_bands(before, after, mcid, band):
    row = outcomes(score_log([before] * 7 + [after] * 7)).loc["a"]
    assert bool(row["pain_mcid_reached"]) is mcid
    assert row["pain_band"] == band


def test_pct_change_is_nan_for_zero_baseline():
    row = outcomes(score_log([0.0] * 7 + [1.0] * 7)).loc["a"]
    assert np.isnan(row["pain_pct_change"]) and row["pain_change"] == 1.0


def test_reliable_change_index_uses_sem_1_02_and_can_be_overridden():
    log = score_log([7.0] * 7 + [4.0] * 7)
    # RCI = -3 / (sqrt(2) * 1.02) = -2.0797; MDC95 = 1.96 * sqrt(2) * 1.02 = 2.83
    row = outcomes(log).loc["a"]
    assert row["pain_rci"] == pytest.approx(-3 / (np.sqrt(2) * 1.02))
    assert row["pain_reliable_change"]
    assert row["pain_mdc95"] == pytest.approx(2.8272, abs=1e-4)
    assert not outcomes(log, thresholds={"pain_sem": 1.2}).loc["a", "pain_reliable_change"]


def test_explicit_baseline_date_uses_phase_a():
    log = score_log([8.0] * 5 + [6.0] * 10)
    row = outcomes(log, baseline="2026-01-06").loc["a"]
    assert row["pain_baseline"] == 8.0
    assert outcomes(log).loc["a", "pain_baseline"] == pytest.approx((8 * 5 + 6 * 2) / 7)


def test_slopes_are_per_week():
    row = outcomes(score_log([7.0 - 0.1 * i for i in range(20)])).loc["a"]
    assert row["pain_slope_ols"] == pytest.approx(-0.7)
    assert row["pain_slope_theil_sen"] == pytest.approx(-0.7)


def test_within_session_relief_and_other_scores():
    log = score_log([5.0] * 14, pain_after=[4.0] * 7 + [2.0] * 7,
                    flexibility=[3.0] * 7 + [6.0] * 7, reach_cm=[-5.0] * 7 + [0.0] * 7)
    row = outcomes(log).loc["a"]
    assert row["within_session_relief"] == pytest.approx(2.0)
    assert (row["flexibility_change"], row["flexibility_mcid_reached"]) == (3.0, True)
    assert (row["reach_cm_change"], row["reach_cm_mdc_reached"]) == (5.0, True)


def test_daily_mean_series_and_rolling_mean():
    log = pd.concat([score_log([4.0, 2.0, 6.0]), score_log([6.0], start="2026-01-01")])
    daily = daily_scores(log)
    assert daily["value"].tolist() == [5.0, 2.0, 6.0]
    rolled = rolling_mean(log, window=2)
    assert rolled["rolling_mean"].tolist() == [5.0, 3.5, 4.0]


def test_trends_origin_and_intercept_describe_the_line():
    tr = trends(score_log([6.0, 5.0, 4.0], start="2026-03-01")).loc["a"]
    assert tr["origin"] == pd.Timestamp("2026-03-01")
    assert (tr["intercept_theil_sen"], tr["slope_theil_sen"]) == (6.0, -1.0)


def test_spearman_per_client_agrees_with_scipy(sample_log):
    corr = adherence_pain_correlation(sample_log)
    weeks = weekly_adherence_pain(sample_log).dropna(subset=["adherence", "next_pain_change"])
    for cid, part in weeks.groupby("client_id"):
        expected = stats.spearmanr(part["adherence"], part["next_pain_change"]).statistic
        assert corr.loc[cid, "spearman_rho"] == pytest.approx(expected, abs=1e-12, nan_ok=True)
        assert corr.loc[cid, "n_weeks"] == len(part)


def test_adherence_bands_count_every_client(sample_log):
    bands = adherence_bands(sample_log)
    assert list(bands.index) == ["80-100 %", "60-79 %", "< 60 %"]
    assert bands["clients"].sum() == sample_log["client_id"].nunique()


def test_all_clients_at_once_equals_one_at_a_time(sample_log):
    both = outcomes(sample_log)
    for cid in ["anna", "grace"]:
        alone = outcomes(sample_log[sample_log["client_id"] == cid], as_of=sample_log["date"].max())
        pd.testing.assert_series_equal(both.loc[cid], alone.loc[cid], check_dtype=False)


def test_sample_stories_come_out(sample_log):
    out = outcomes(sample_log)
    assert out.loc["anna", "pain_mcid_reached"] and out.loc["ines", "pain_mcid_reached"]
    assert not out.loc["grace", "pain_mcid_reached"]
    assert out.loc["grace", "within_session_relief"] < 0


def test_an_improvement_of_exactly_two_points_reaches_the_mcid_despite_float_noise():
    # Baseline mean (6*8 + 9) / 7 = 8.142857..., current (6*6 + 7) / 7 = 6.142857...: exactly 2 points
    # better, though the floating-point difference is -1.9999999999999991. 2 / 8.142857 = 24.6 %.
    row = outcomes(score_log([8.0] * 6 + [9.0] + [6.0] * 6 + [7.0])).loc["a"]
    assert row["pain_change"] == pytest.approx(-2.0)
    assert bool(row["pain_mcid_reached"]) is True
    assert row["pain_band"] == "minimal"


def test_pain_bands_cut_offs_come_from_the_threshold_table():
    out = outcomes(score_log([10.0] * 7 + [8.0] * 7), thresholds={"pain_moderate_pct": 20.0})
    assert out.loc["a", "pain_band"] == "moderate"  # 20 % better: moderate only under the override
    assert outcomes(score_log([10.0] * 7 + [8.0] * 7)).loc["a", "pain_band"] == "minimal"
    assert outcomes(score_log([10.0] * 7 + [11.0] * 7)).loc["a", "pain_band"] == "worse"  # +10 %
    assert outcomes(score_log([10.0] * 7 + [10.5] * 7)).loc["a", "pain_band"] == "no change"  # +5 %


def test_mann_kendall_of_a_constant_series_is_p_one_as_pymannkendall():
    pain = [4.0] * 12
    assert outcomes(score_log(pain)).loc["a", "pain_mk_p"] == pymannkendall.original_test(pain).p == 1.0


def test_explicit_baseline_window_averages_the_days_inside_it():
    log = score_log([9.0, 9.0, 5.0, 5.0, 5.0, 4.0, 4.0, 2.0])
    out = outcomes(log, baseline=("2026-01-03", "2026-01-05")).loc["a"]
    assert out["pain_baseline"] == 5.0  # Jan 3-5: 5, 5, 5
    with pytest.raises(ValueError, match="window"):
        outcomes(log, baseline=("2026-01-03",))


def test_adherence_and_pain_use_only_complete_weeks_up_to_as_of():
    # Monday 2026-01-05 on: pain 6 x 7 days, then 5, 5, 5, 0, 0, 0, 0, then 5 x 7; stretching daily.
    log = score_log([6.0] * 7 + [5.0] * 3 + [0.0] * 4 + [5.0] * 7, start="2026-01-05")
    mid_week = weekly_adherence_pain(log, as_of="2026-01-14")
    assert mid_week["next_pain_change"].isna().all()  # the second week is not over: no change yet
    weeks = weekly_adherence_pain(log, as_of="2026-01-25").set_index("week")["next_pain_change"]
    assert weeks[pd.Timestamp("2026-01-05")] == pytest.approx(15 / 7 - 6)  # week 2 mean 15/7
    assert weeks[pd.Timestamp("2026-01-12")] == pytest.approx(5 - 15 / 7)
    assert np.isnan(weeks[pd.Timestamp("2026-01-19")])  # no week after it


def test_adherence_bands_hand_worked():
    # a: daily for 14 days (adherence 1.0), pain 6 -> 3 (-3, MCID). b: 10 of 14 days (0.71), pain
    # 5 -> 4 (-1 point, 20 %: no MCID). c: first and last day only (2 / 14 = 0.14), pain 4 -> 4.
    a = score_log([6.0] * 7 + [3.0] * 7, client="a")
    b = score_log([5.0] * 7 + [4.0] * 7, client="b")
    b.loc[[1, 4, 8, 11], "stretch"] = None
    c = score_log([4.0] * 14, client="c")
    c.loc[1:12, "stretch"] = None
    table = adherence_bands(pd.concat([a, b, c], ignore_index=True))
    assert table["clients"].tolist() == [1, 1, 1]
    assert table["mean_pain_change"].tolist() == pytest.approx([-3.0, -1.0, 0.0])
    assert table["median_pain_change"].tolist() == pytest.approx([-3.0, -1.0, 0.0])
    assert table["share_mcid"].tolist() == pytest.approx([1.0, 0.0, 0.0])


def test_mann_kendall_p_from_z_is_scipys_normal_tail_without_scipy():
    # p = 2 * (1 - Phi(|z|)) by math.erfc: equal to scipy's ndtr within 1e-12 relative, NaN stays NaN,
    # an infinite z is p = 0, and a z past exp's underflow (|z| > 37.7) is 0 as in scipy.
    from scipy.special import ndtr

    from backanalytics.metrics.trend import _two_sided_p

    z = np.concatenate([np.random.default_rng(3).normal(0, 4, 20_000), np.linspace(-45, 45, 90_001),
                        [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-300, 1e300]])
    ours, reference = _two_sided_p(z), 2 * ndtr(-np.abs(z))
    assert np.array_equal(np.isnan(ours), np.isnan(reference))
    assert np.array_equal(ours == 0, reference == 0)
    assert np.allclose(ours, reference, rtol=1e-12, atol=0, equal_nan=True)
    grid = _two_sided_p(np.array([[0.0, np.nan], [1.959963984540054, -np.inf]]))  # shape kept
    assert grid.shape == (2, 2) and grid[0, 0] == 1.0 and np.isnan(grid[0, 1]) and grid[1, 1] == 0.0
    assert grid[1, 0] == pytest.approx(0.05, rel=1e-12)
