"""Consistency metrics on hand-worked examples (dates written out so the counts can be checked)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backanalytics.metrics.consistency import consistency, weekly_consistency
from backanalytics.metrics.dose import OLDER_ADULTS, dose_by_stretch, within_guidance


def make_log(entries: list[tuple], **extra) -> pd.DataFrame:
    """entries: (client, date, stretch or None, pain or None[, planned_rest])."""
    rows = []
    for e in entries:
        rows.append({"client_id": e[0], "date": pd.Timestamp(e[1]), "stretch": e[2],
                     "hold_s": 20.0 if e[2] else np.nan, "reps": 3 if e[2] else pd.NA,
                     "pain": e[3] if len(e) > 3 else np.nan,
                     "planned_rest": e[4] if len(e) > 4 else False})
    log = pd.DataFrame(rows)
    log["reps"] = log["reps"].astype("Int64")
    log["stretch"] = log["stretch"].astype("str")
    return log


def days_of(client: str, *dates: str, stretch: str = "Cobra Stretch") -> list[tuple]:
    return [(client, d, stretch) for d in dates]


def test_adherence_streaks_and_gaps_hand_worked():
    log = make_log(days_of("a", "2026-01-01", "2026-01-02", "2026-01-04"))
    row = consistency(log).loc["a"]
    # period Jan 1-4 = 4 days, 3 session days -> 3 / (4 * 7/7) = 0.75
    assert (row["days"], row["active_days"], row["adherence"]) == (4, 3, 0.75)
    assert not row["adherent"]
    assert (row["longest_streak"], row["current_streak"], row["streak_unit"]) == (2, 1, "days")
    assert (row["days_since_last"], row["longest_gap_days"]) == (0, 1)


def test_current_streak_ends_on_as_of_or_the_day_before():
    log = make_log(days_of("a", "2026-01-01", "2026-01-02", "2026-01-03"))
    assert consistency(log, as_of="2026-01-04").loc["a", "current_streak"] == 3
    late = consistency(log, as_of="2026-01-05").loc["a"]
    assert late["current_streak"] == 0
    assert (late["days_since_last"], late["longest_gap_days"]) == (2, 2)
    assert late["adherence"] == pytest.approx(3 / 5)


def test_sessions_per_week_prescription_scales_the_expected_days():
    log = make_log(days_of("a", "2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12"))
    row = consistency(log, prescription=3, as_of="2026-01-18").loc["a"]
    # 14 days at 3 a week -> 6 expected sessions; 4 done
    assert row["adherence"] == pytest.approx(4 / 6)
    assert row["streak_unit"] == "weeks"


def test_weekly_streak_counts_weeks_meeting_the_target():
    dates = ["2026-01-05", "2026-01-06", "2026-01-07",  # week 1: 3
             "2026-01-12", "2026-01-14", "2026-01-16",  # week 2: 3
             "2026-01-19"]  # week 3 (current, unfinished): 1 so far
    row = consistency(make_log(days_of("a", *dates)), prescription=3, as_of="2026-01-20").loc["a"]
    assert (row["longest_streak"], row["current_streak"]) == (2, 2)


def test_weekly_table_judges_part_weeks_fairly():
    weeks = weekly_consistency(make_log(days_of("a", "2026-01-08", "2026-01-12")), 7, as_of="2026-01-13")
    # Thursday Jan 8 to Sunday Jan 11 = 4 days of week 1 (target 4); Mon 12 - Tue 13 = 2 days of
    # week 2, which is still in progress on as_of and keeps its full target of 7
    assert weeks["week"].dt.strftime("%m-%d").tolist() == ["01-05", "01-12"]
    assert weeks["days"].tolist() == [4, 2]
    assert weeks["complete"].tolist() == [True, False]
    assert weeks["sessions"].tolist() == [1, 1]
    assert weeks["target"].tolist() == [4.0, 7.0]
    assert weeks["met"].tolist() == [False, False]
    assert weeks["minutes"].tolist() == [1.0, 1.0]  # 20 s x 3 reps


def test_planned_rest_day_bridges_a_streak_without_adding_to_it():
    log = make_log([*days_of("a", "2026-01-01", "2026-01-02", "2026-01-04"),
                    ("a", "2026-01-03", None, None, True)])
    assert consistency(log).loc["a", "longest_streak"] == 3


def test_duplicate_entries_on_one_day_count_once():
    log = make_log(days_of("a", "2026-01-01", "2026-01-01", "2026-01-02")
                   + days_of("a", "2026-01-02", stretch="Cat-Cow"))
    row = consistency(log).loc["a"]
    assert (row["active_days"], row["adherence"], row["stretch_variety"]) == (2, 1.0, 2)


def test_score_only_client_has_zero_adherence_and_no_streak():
    log = make_log([("s", "2026-01-01", None, 5.0), ("s", "2026-01-10", None, 4.0),
                    *days_of("a", "2026-01-10")])
    row = consistency(log).loc["s"]
    assert (row["active_days"], row["days"], row["adherence"], row["longest_streak"]) == (0, 10, 0.0, 0)
    assert np.isnan(row["days_since_last"])


def test_as_of_before_the_first_entry_gives_an_empty_period():
    row = consistency(make_log(days_of("a", "2026-01-05")), as_of="2026-01-01").loc["a"]
    assert (row["days"], row["active_days"]) == (0, 0)
    assert np.isnan(row["adherence"])


def test_clients_starting_on_different_dates_have_their_own_periods():
    log = make_log(days_of("a", "2026-01-01", "2026-01-10") + days_of("b", "2026-01-09", "2026-01-10"))
    out = consistency(log)
    assert out["days"].tolist() == [10, 2]
    assert out["adherence"].tolist() == [0.2, 1.0]


def test_adherence_28d_looks_at_the_last_four_weeks_only():
    dates = pd.date_range("2026-01-01", periods=12).strftime("%Y-%m-%d")
    row = consistency(make_log(days_of("a", *dates)), as_of="2026-02-09").loc["a"]
    assert row["adherence"] == pytest.approx(12 / 40)
    assert row["adherence_28d"] == 0.0


def test_all_clients_at_once_equals_one_client_at_a_time():
    log = make_log(days_of("a", "2026-01-01", "2026-01-03", "2026-01-04")
                   + days_of("b", "2026-01-02", "2026-01-05", stretch="Cat-Cow"))
    both = consistency(log, as_of="2026-01-06")
    for cid in ["a", "b"]:
        alone = consistency(log[log["client_id"] == cid], as_of="2026-01-06")
        pd.testing.assert_series_equal(both.loc[cid], alone.loc[cid])


def test_habit_strength_of_three_daily_sessions_is_one_minus_m_cubed():
    m = 0.5 ** (1 / 13)  # Loop's multiplier for a daily habit
    row = consistency(make_log(days_of("a", "2026-01-01", "2026-01-02", "2026-01-03"))).loc["a"]
    assert row["habit_strength"] == pytest.approx(1 - m**3, abs=1e-9)


def test_areas_come_from_the_catalog():
    row = consistency(make_log(days_of("a", "2026-01-01", stretch="Butterfly Stretch"))).loc["a"]
    assert (row["areas_covered"], row["areas"]) == (2, "hips, inner thighs")


def test_weekday_regularity_one_for_a_single_weekday_zero_for_an_even_spread():
    mondays = pd.date_range("2026-01-05", periods=4, freq="7D").strftime("%Y-%m-%d")
    week = pd.date_range("2026-01-05", periods=7).strftime("%Y-%m-%d")
    out = consistency(make_log(days_of("m", *mondays) + days_of("w", *week)), as_of="2026-01-26")
    assert out.loc["m", "weekday_regularity"] == pytest.approx(1.0)
    assert out.loc["w", "weekday_regularity"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc["m", "top_weekday"] == "Mon"


def test_dose_within_guidance_by_kind():
    rows = pd.DataFrame({"stretch": ["Cobra Stretch", "Cobra Stretch", "Cobra Stretch", "Cat-Cow", "Bridge Pose"],
                         "hold_s": [20.0, 45.0, 20.0, np.nan, np.nan],
                         "reps": pd.array([3, 3, 6, 10, 3], dtype="Int64")})
    # static: 10-30 s and 2-4 reps; dynamic 5-15 reps; strength 8-15 reps
    assert within_guidance(rows).tolist() == [True, False, False, True, False]
    # older adults: 30-60 s holds
    assert within_guidance(rows, OLDER_ADULTS).tolist() == [False, True, False, True, False]


def test_dose_table_per_client_and_stretch():
    log = make_log(days_of("a", "2026-01-01", "2026-01-02") + days_of("a", "2026-01-02", stretch="Cat-Cow"))
    table = dose_by_stretch(log).set_index("stretch")
    assert table.loc["Cobra Stretch", ["entries", "median_hold_s", "total_minutes"]].tolist() == [2, 20.0, 2.0]
    assert table.loc["Cat-Cow", "kind"] == "dynamic"


def test_prescribed_stretch_coverage():
    log = make_log(days_of("a", "2026-01-01"))
    rx = pd.DataFrame({"client_id": ["a"], "sessions_per_week": [7], "start": ["2025-12-31"],
                       "stretches": ["cobra;cat cow"]})
    row = consistency(log, prescription=rx).loc["a"]
    assert row["prescribed_coverage"] == 0.5
    assert row["days"] == 2  # the prescription's start, not the first session
