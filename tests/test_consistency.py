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


def test_entries_after_as_of_do_not_move_the_start():
    # Scores from Jan 1, the first stretch on Jan 9: as of Jan 5 the client had done nothing for
    # 5 days (adherence 0), whatever came later; before the fix the later session made the
    # period start on Jan 9 (0 days, adherence NaN), so a drop-out was hidden.
    log = make_log([("s", "2026-01-01", None, 5.0), ("s", "2026-01-03", None, 6.0),
                    *days_of("s", "2026-01-09", "2026-01-10")])
    row = consistency(log, as_of="2026-01-05").loc["s"]
    assert (str(row["start"].date()), row["days"], row["adherence"]) == ("2026-01-01", 5, 0.0)
    known = consistency(log[log["date"] <= "2026-01-05"], as_of="2026-01-05")
    pd.testing.assert_frame_equal(consistency(log, as_of="2026-01-05"), known)


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


# ------------------------------------------------------------------ audit fixes (hand-worked)

M_DAILY = 0.5 ** (1 / 13)  # Loop's daily multiplier


def test_longest_gap_counts_the_days_before_the_first_session():
    log = make_log(days_of("a", "2026-01-01", "2026-01-02", "2026-01-03"))
    rx = pd.DataFrame({"client_id": ["a"], "sessions_per_week": [7], "start": ["2025-12-25"]})
    row = consistency(log, prescription=rx).loc["a"]
    # period Dec 25 - Jan 3 = 10 days; Dec 25..31 (7 days) pass before the first session on Jan 1
    assert (row["days"], row["active_days"], row["longest_gap_days"]) == (10, 3, 7)
    # without a prescription start the period starts on the first session: no gap before it
    assert consistency(log).loc["a", "longest_gap_days"] == 0


def test_longest_gap_is_the_longest_of_before_between_and_after():
    log = make_log(days_of("a", "2026-01-03", "2026-01-04", "2026-01-09"))
    rx = pd.DataFrame({"client_id": ["a"], "sessions_per_week": [7], "start": ["2026-01-01"]})
    # before: Jan 1-2 = 2 days; between: Jan 5-8 = 4 days; after (as_of Jan 12): Jan 10-12 = 3 days
    row = consistency(log, prescription=rx, as_of="2026-01-12").loc["a"]
    assert (row["longest_gap_days"], row["days_since_last"]) == (4, 3)


def test_weekly_current_streak_is_broken_by_a_finished_unmet_week():
    dates = ["2026-01-05", "2026-01-06", "2026-01-07",  # week of Mon Jan 5: 3 sessions, met
             "2026-01-12"]  # week of Mon Jan 12: 1 session, target 3
    log = make_log(days_of("a", *dates))
    # as_of Sunday Jan 18: the week of Jan 12 is over (complete) and unmet -> the streak is broken
    row = consistency(log, prescription=3, as_of="2026-01-18").loc["a"]
    assert (row["longest_streak"], row["current_streak"]) == (1, 0)
    weeks = weekly_consistency(log, 3, as_of="2026-01-18")
    assert weeks["complete"].tolist() == [True, True] and weeks["met"].tolist() == [True, False]
    # as_of Saturday Jan 17: that week is still in progress, so it is ignored while unmet
    row = consistency(log, prescription=3, as_of="2026-01-17").loc["a"]
    assert (row["longest_streak"], row["current_streak"]) == (1, 1)


def test_sessions_per_week_is_the_mean_over_the_period():
    log = make_log(days_of("a", "2026-01-01", "2026-01-05", "2026-01-08", "2026-01-14"))
    row = consistency(log).loc["a"]
    # Jan 1 - Jan 14 = 14 days, 4 session days -> 4 / 14 * 7 = 2.0 a week
    assert row["sessions_per_week"] == pytest.approx(2.0)


def test_weekend_share_counts_saturday_and_sunday_sessions():
    # 2026-01-03 is a Saturday, 01-04 a Sunday, 01-05 a Monday, 01-06 a Tuesday
    log = make_log(days_of("a", "2026-01-03", "2026-01-04", "2026-01-05", "2026-01-06"))
    row = consistency(log).loc["a"]
    assert row["weekend_share"] == pytest.approx(2 / 4)
    assert row["top_weekday"] == "Mon"  # a tie (one each) goes to the first day of the week


def test_per_client_dose_summary_hand_worked():
    rows = pd.DataFrame({
        "client_id": ["a"] * 4,
        "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-02"]),
        "stretch": ["Cobra Stretch", "Cobra Stretch", "Cat-Cow", "Child's Pose"],
        "hold_s": [20.0, 40.0, np.nan, 25.0],
        "reps": pd.array([3, 3, 10, 5], dtype="Int64"),
        "planned_rest": False,
    })
    row = consistency(rows).loc["a"]
    # static holds: Cobra 20, 40 and Child's Pose 25 -> median 25 (Cat-Cow is dynamic: no hold)
    assert row["median_hold_s"] == 25.0
    # reps 3, 3, 10, 5 -> sorted 3, 3, 5, 10 -> (3 + 5) / 2 = 4
    assert row["median_reps"] == 4.0
    # Jan 1: 20 x 3 + 40 x 3 = 180 s; Jan 2: 10 reps x 4 s (no hold) + 25 x 5 = 165 s -> mean 172.5
    assert row["seconds_per_session"] == 172.5
    # within guidance: Cobra 20 s x 3 yes; Cobra 40 s no (> 30 s); Cat-Cow 10 reps yes (5-15);
    # Child's Pose 5 reps no (> 4) -> 2 of 4
    assert row["dose_within_guidance"] == 0.5


def test_adherent_at_and_above_the_threshold():
    full = make_log(days_of("a", *pd.date_range("2026-01-01", periods=7).strftime("%Y-%m-%d")))
    row = consistency(full).loc["a"]
    assert (row["adherence"], row["adherent"]) == (1.0, True)  # 7 of 7 days
    four_of_five = make_log(days_of("b", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-05"))
    row = consistency(four_of_five).loc["b"]
    assert (row["adherence"], row["adherent"]) == (0.8, True)  # 4 / 5 = 0.8, the threshold itself
    three_of_five = make_log(days_of("c", "2026-01-01", "2026-01-03", "2026-01-05"))
    assert not consistency(three_of_five).loc["c", "adherent"]  # 0.6


@pytest.mark.parametrize("per_week", [7, 3])
def test_as_of_before_the_first_entry_has_no_streak_no_habit_no_adherence(per_week):
    log = make_log(days_of("a", "2026-01-05", "2026-01-06"))
    row = consistency(log, prescription=per_week, as_of="2026-01-01").loc["a"]
    assert (row["days"], row["active_days"], row["longest_streak"], row["current_streak"]) == (0, 0, 0, 0)
    assert row["habit_strength"] == 0.0
    assert np.isnan(row["adherence"]) and np.isnan(row["adherence_28d"]) and not row["adherent"]
    assert np.isnan(row["days_since_last"]) and np.isnan(row["longest_gap_days"])
    assert row["stretch_variety"] == 0 and row["areas"] == ""  # entries after as_of are ignored


def test_single_day_log():
    log = make_log(days_of("a", "2026-01-07"))  # a Wednesday
    row = consistency(log).loc["a"]
    # period = the one day: 1 of 1 -> adherence 1, streak 1 (current: it ends on as_of)
    assert (row["days"], row["active_days"], row["adherence"], row["adherence_28d"]) == (1, 1, 1.0, 1.0)
    assert (row["longest_streak"], row["current_streak"], row["streak_unit"]) == (1, 1, "days")
    assert row["habit_strength"] == pytest.approx(1 - M_DAILY, abs=1e-12)  # one step from 0
    assert (row["days_since_last"], row["longest_gap_days"], row["sessions_per_week"]) == (0, 0, 7.0)
    assert (row["weekend_share"], row["weekday_regularity"], row["top_weekday"]) == (0.0, 1.0, "Wed")
    assert (row["median_hold_s"], row["median_reps"], row["seconds_per_session"]) == (20.0, 3.0, 60.0)
    weekly = consistency(log, prescription=3).loc["a"]
    # 3 a week over 1 day -> 3 / 7 expected; the week in progress (Wed-Sun: target 3 x 5 / 7 = 2.14,
    # so 3 sessions) is not met yet and not over: no weekly streak
    assert weekly["adherence"] == pytest.approx(7 / 3)
    assert (weekly["longest_streak"], weekly["current_streak"], weekly["streak_unit"]) == (0, 0, "weeks")


def test_dose_by_stretch_has_seconds_per_session_and_as_of():
    log = pd.DataFrame({
        "client_id": ["a", "a", "a", "a"],
        "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-03"]),
        "stretch": ["Cobra Stretch", "Cobra Stretch", "Cobra Stretch", "Cat-Cow"],
        "hold_s": [20.0, 30.0, 20.0, np.nan],
        "reps": pd.array([3, 2, 3, 10], dtype="Int64"),
    })
    cobra = dose_by_stretch(log).set_index("stretch").loc["Cobra Stretch"]
    # Jan 1: 20 x 3 + 30 x 2 = 120 s; Jan 2: 20 x 3 = 60 s -> 180 s over 2 days = 90 s a session
    assert (cobra["entries"], cobra["session_days"], cobra["seconds_per_session"]) == (3, 2, 90.0)
    assert cobra["total_minutes"] == 3.0
    early = dose_by_stretch(log, as_of="2026-01-01").set_index("stretch")
    assert early.index.tolist() == ["Cobra Stretch"]  # Cat-Cow (Jan 3) is after as_of
    assert (early.loc["Cobra Stretch", "entries"], early.loc["Cobra Stretch", "seconds_per_session"]) == (2, 120.0)


def test_logs_without_optional_columns_are_read_as_empty():
    bare = pd.DataFrame({"client_id": ["a", "a"], "stretch": ["Cobra Stretch", "Cat-Cow"],
                         "date": pd.to_datetime(["2026-01-01", "2026-01-03"])})
    row = consistency(bare).loc["a"]
    # no hold_s / reps: nothing to time or judge; no planned_rest: no rest day bridges Jan 2
    assert (row["active_days"], row["days"], row["longest_streak"]) == (2, 3, 1)
    assert row["seconds_per_session"] == 0.0
    assert np.isnan(row["median_hold_s"]) and np.isnan(row["dose_within_guidance"])
    assert weekly_consistency(bare)["minutes"].tolist() == [0.0]
    assert dose_by_stretch(bare)["entries"].tolist() == [1, 1]
    scores_only = pd.DataFrame({"client_id": ["s", "s"], "date": pd.to_datetime(["2026-01-01", "2026-01-04"]),
                                "pain": [5.0, 4.0]})
    row = consistency(scores_only).loc["s"]  # no stretch column at all: no session day
    assert (row["days"], row["active_days"], row["adherence"], row["habit_strength"]) == (4, 0, 0.0, 0.0)


def test_prescriptions_are_at_most_seven_session_days_a_week():
    log = make_log(days_of("a", "2026-01-01"))
    for bad in (14, 0, -1, float("nan")):
        with pytest.raises(ValueError, match="more than 0 and at most 7") as err:
            consistency(log, prescription=bad)
        assert "np.float64" not in str(err.value)
    with pytest.raises(ValueError, match=r"got 14 for client 'a'"):
        consistency(log, prescription=pd.DataFrame({"client_id": ["a"], "sessions_per_week": [14]}))
    with pytest.raises(ValueError, match="a number of session days"):
        consistency(log, prescription=pd.DataFrame({"client_id": ["a"], "sessions_per_week": ["often"]}))
    assert consistency(log, prescription=7).loc["a", "streak_unit"] == "days"
    # a blank target in the table means the default (daily)
    blank = pd.DataFrame({"client_id": ["a"], "sessions_per_week": [np.nan]})
    assert consistency(log, prescription=blank).loc["a", "sessions_per_week_target"] == 7.0


def test_prescribed_coverage_accepts_lists_and_counts_unknown_names_apart():
    log = make_log(days_of("a", "2026-01-01") + days_of("b", "2026-01-01", stretch="Cat-Cow"))
    rx = pd.DataFrame({"client_id": ["a", "b"], "sessions_per_week": [7, 7],
                       "stretches": [["Cobra", "Handstand", "Juggling"], "cat cow;cobra;cat-cow"]})
    out = consistency(log, prescription=rx)
    # a: Cobra done; Handstand and Juggling (two unknown names) not -> 1 of 3
    assert out.loc["a", "prescribed_coverage"] == pytest.approx(1 / 3)
    # b: "cat cow" and "cat-cow" are both Cat-Cow (counted once), done; Cobra not -> 1 of 2
    assert out.loc["b", "prescribed_coverage"] == 0.5


def test_areas_of_several_stretches_are_sorted_and_counted_once():
    log = make_log(days_of("a", "2026-01-01", stretch="Butterfly Stretch")
                   + days_of("a", "2026-01-02", stretch="Hip Flexor Stretch"))
    row = consistency(log).loc["a"]
    # Butterfly: hips, inner thighs; Hip Flexor: hip flexors, hips, quadriceps -> 4 distinct areas
    assert (row["areas_covered"], row["areas"]) == (4, "hip flexors, hips, inner thighs, quadriceps")


@pytest.mark.parametrize("module", ["consistency", "dose", "periods", "log_arrays", "streaks"])
def test_module_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"backanalytics.metrics.{module}"),
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ the summary command


def write_csv(path, text: str):
    path.write_text(text)
    return str(path)


@pytest.fixture()
def two_clients(tmp_path):
    # a stretches Jan 1-3, b Jan 1-10: the whole log ends on Jan 10
    rows = ["client_id,date,stretch,hold_s,reps"]
    rows += [f"a,2026-01-0{d},cobra,20,3" for d in (1, 2, 3)]
    rows += [f"b,2026-01-{d:02d},cat cow,,10" for d in range(1, 11)]
    return write_csv(tmp_path / "log.csv", "\n".join(rows) + "\n")


def run_summary(*args: str):
    from typer.testing import CliRunner

    from backanalytics.cli import app

    return CliRunner().invoke(app, ["summary", *args])


def test_summary_json(two_clients):
    import json

    result = run_summary(two_clients, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["client_id"]: r for r in json.loads(result.output)}
    assert set(rows) == {"a", "b"}
    # a: Jan 1-10 = 10 days, 3 sessions -> 0.3; last session Jan 3 -> 7 days since
    assert (rows["a"]["days"], rows["a"]["active_days"], rows["a"]["adherence"]) == (10, 3, 0.3)
    assert (rows["a"]["days_since_last"], rows["a"]["current_streak"]) == (7, 0)
    assert (rows["b"]["adherence"], rows["b"]["longest_streak"], rows["b"]["streak_unit"]) == (1.0, 10, "days")


def test_summary_for_one_client_uses_the_whole_logs_as_of(two_clients):
    import json

    result = run_summary(two_clients, "--client", "a", "--format", "json", "--all-columns")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    # as_of is the log's last day (Jan 10), not a's (Jan 3): a's drop-out stays visible
    assert row["as_of"].startswith("2026-01-10")
    assert (row["client_id"], row["days"], row["adherence"], row["days_since_last"]) == ("a", 10, 0.3, 7)


def test_summary_sample_client_matches_the_whole_log(sample_path):
    alone = run_summary(str(sample_path), "--client", "dev", "--format", "csv", "--all-columns")
    everyone = run_summary(str(sample_path), "--format", "csv", "--all-columns")
    assert alone.exit_code == everyone.exit_code == 0
    dev = [line for line in everyone.output.splitlines() if line.startswith("dev,")]
    assert alone.output.splitlines()[1:] == dev
    assert ",2026-11-15," in dev[0]


def test_summary_prescription_file(two_clients, tmp_path):
    import json

    rx = write_csv(tmp_path / "rx.csv", "client_id,sessions_per_week,start\na,3,2025-12-29\n")
    result = run_summary(two_clients, "--prescription", rx, "--format", "json", "--all-columns")
    assert result.exit_code == 0, result.output
    rows = {r["client_id"]: r for r in json.loads(result.output)}
    # a: Dec 29 - Jan 10 = 13 days at 3 a week -> 13 x 3 / 7 expected; 3 done -> 7 / 13
    assert rows["a"]["days"] == 13 and rows["a"]["adherence"] == pytest.approx(7 / 13)
    # gaps: before, Dec 29-31 = 3 days; after, Jan 4-10 = 7 days
    assert (rows["a"]["streak_unit"], rows["a"]["longest_gap_days"]) == ("weeks", 7)
    # b is not in the file: the default, daily
    assert (rows["b"]["sessions_per_week_target"], rows["b"]["streak_unit"]) == (7.0, "days")


def test_summary_rejects_impossible_prescriptions_in_one_line(two_clients, tmp_path):
    result = run_summary(two_clients, "--prescription", "14")
    assert result.exit_code == 2
    assert "at most 7" in result.output and "np.float64" not in result.output
    assert "Traceback" not in result.output
    rx = write_csv(tmp_path / "rx.csv", "client_id,sessions_per_week\na,14\n")
    result = run_summary(two_clients, "--prescription", rx)
    assert result.exit_code == 2 and "client 'a'" in result.output


def test_prescribed_names_are_looked_up_once_per_distinct_name(monkeypatch):
    from backanalytics import catalog

    calls = []
    lookup = catalog.canonical_name
    monkeypatch.setattr(catalog, "canonical_name", lambda name: calls.append(name) or lookup(name))
    clients = [f"c{i:02d}" for i in range(50)]
    log = make_log([(c, "2026-01-01", "Cobra Stretch") for c in clients])
    rx = pd.DataFrame({"client_id": clients, "sessions_per_week": 7, "stretches": "cobra;cat cow"})
    out = consistency(log, prescription=rx)
    assert sorted(calls) == ["cat cow", "cobra"]  # not 2 x 50: no loop over clients
    assert (out["prescribed_coverage"] == 0.5).all()  # Cobra done, Cat-Cow not
