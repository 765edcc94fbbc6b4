"""Flags: each rule fires on a hand-built case and stays quiet otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backanalytics.metrics.caseload import caseload_metrics
from backanalytics.metrics.flags import flag_summary, flags
from tests.test_outcomes import score_log


def test_flare_is_two_points_above_the_previous_14_day_median():
    log = score_log([3.0, 3, 4, 3, 5, 3])  # day 5: 5 vs median(3,3,4,3)=3 -> +2
    table = flags(log)
    flare = table[table["flag"] == "pain_flare"]
    assert flare["date"].tolist() == [pd.Timestamp("2026-01-05")]
    assert flare["severity"].tolist() == ["warning"]


def test_flare_needs_three_days_of_history_and_big_jumps_are_alerts():
    assert flags(score_log([2.0, 6.0]))["flag"].tolist() == []
    big = flags(score_log([2.0, 2, 2, 6]))
    assert big.loc[big["flag"] == "pain_flare", "severity"].tolist() == ["alert"]


def test_pain_rising_with_stretching_warns_then_alerts_when_repeated():
    after = [np.nan] * 10 + [6.0, 6.0, 6.0]
    table = flags(score_log([5.0] * 13, pain_after=after))
    hurt = table[table["flag"] == "pain_during_stretching"]
    assert len(hurt) == 3 and set(hurt["severity"]) == {"alert"}
    assert "see a professional" in hurt["detail"].iloc[0]
    one = flags(score_log([5.0] * 13, pain_after=[np.nan] * 12 + [6.0]))
    assert one.loc[one["flag"] == "pain_during_stretching", "severity"].tolist() == ["warning"]


def test_pain_after_above_three_that_eased_is_info():
    table = flags(score_log([6.0] * 3, pain_after=[np.nan, np.nan, 4.0]))
    assert table.loc[table["flag"] == "pain_during_stretching", "severity"].tolist() == ["info"]


def test_silent_after_seven_days_without_entries():
    table = flags(score_log([3.0] * 5), as_of="2026-01-12")
    silent = table[table["flag"] == "silent"]
    assert silent["detail"].tolist() == ["no entry for 7 days (last on 2026-01-05)"]
    assert flags(score_log([3.0] * 5), as_of="2026-01-11").query("flag == 'silent'").empty


def test_low_adherence_below_60_percent_in_28_days():
    log = score_log([3.0] * 28)
    log.loc[log.index % 2 == 0, "stretch"] = None  # 14 of 28 days -> 50 %
    assert "low_adherence" in set(flags(log)["flag"])


def test_no_improvement_after_six_adherent_weeks_without_mcid():
    log = score_log([5.0] * 43)
    table = flags(log)
    assert table.loc[table["flag"] == "no_improvement", "severity"].tolist() == ["alert"]
    assert flags(score_log([5.0] * 40)).query("flag == 'no_improvement'").empty  # under 6 weeks


def test_sample_flags_tell_the_stories(sample_log):
    summary = flag_summary(flags(sample_log))
    assert summary.loc["dev", "silent"] == 1
    assert summary.loc["grace", "worst_severity"] == "alert"
    assert summary.loc["carla", "pain_flare"] >= 5
    assert summary.loc["ben", "no_improvement"] == 1


def test_a_log_without_any_pain_score_gets_no_pain_flags():
    log = score_log([np.nan] * 50)
    table = flags(log, as_of="2026-02-19")
    assert set(table["flag"]) <= {"silent", "low_adherence"}


def test_a_flare_of_exactly_two_points_counts_despite_float_noise():
    # 5.1 - 3.1 = 1.9999999999999996 in floating point; it is a 2-point rise all the same.
    table = flags(score_log([3.1, 3.1, 3.1, 3.1, 5.1, 3.1]))
    assert table.loc[table["flag"] == "pain_flare", "date"].astype(str).tolist() == ["2026-01-05"]


def test_exactly_two_points_better_is_improvement_not_a_no_improvement_alert():
    # 7 days averaging 57/7, 29 days of 8, 7 days averaging 43/7: exactly 2 points better after 6 weeks.
    log = score_log([8.0] * 6 + [9.0] + [8.0] * 29 + [6.0] * 6 + [7.0])
    assert flags(log).query("flag == 'no_improvement'").empty


def test_flag_rules_follow_threshold_overrides():
    log = score_log([3.0, 3, 3, 3, 5, 3])
    assert flags(log, thresholds={"flare_points": 2.5}).query("flag == 'pain_flare'").empty
    alert = flags(log, thresholds={"escalate_multiple": 1.0}).query("flag == 'pain_flare'")
    assert alert["severity"].tolist() == ["alert"]  # escalated at 1 x the 2-point threshold


def test_a_client_whose_entries_all_come_after_as_of_is_not_judged():
    # Prescribed from January 1, first entry on February 15: on February 9 the consistency table
    # has the client at 0 % adherence, but with no entry up to as_of there is nothing to judge.
    log = pd.concat([score_log([3.0] * 40), score_log([3.0] * 10, client="late", start="2026-02-15")],
                    ignore_index=True)
    rx = pd.DataFrame({"client_id": ["a", "late"], "sessions_per_week": [7, 7],
                       "start": pd.to_datetime(["2026-01-01", "2026-01-01"])})
    tables = caseload_metrics(log, as_of="2026-02-09", prescription=rx)
    assert tables.consistency.loc["late", "adherence_28d"] == 0.0
    assert tables.flags.empty
    assert flags(log, as_of="2026-02-09", prescription=rx).empty
