"""The data contract: each rule rejects what it should, aliases normalise, nothing is lost."""

from __future__ import annotations

import pandas as pd
import pytest

from backanalytics import LogReadError, LogValidationError, load_log, validate

TODAY = pd.Timestamp("2026-11-20")


def one_row(**cells: object) -> pd.DataFrame:
    base = {"client_id": "c1", "date": "2026-01-05", "stretch": "Cat-Cow"}
    base.update(cells)
    return pd.DataFrame([base])


def rules_for(frame: pd.DataFrame) -> list[str]:
    return validate(frame, today=TODAY).failures["rule"].tolist()


@pytest.mark.parametrize(
    ("cells", "rule"),
    [
        ({"client_id": ""}, "client_id is required"),
        ({"client_id": "x" * 65}, "client_id must be 1 to 64 characters"),
        ({"date": "yesterday"}, "date must be a date (2026-11-03, 3 Nov 2026, 11/3/2026...) or date-time"),
        ({"date": "2026-02-30"}, "date must be a date (2026-11-03, 3 Nov 2026, 11/3/2026...) or date-time"),
        ({"date": "2026-12-01"}, "date must not be in the future (after 2026-11-20)"),
        ({"date": "1989-12-31"}, "date must not be before 1990-01-01"),
        ({"hold_s": "0"}, "hold_s must be more than 0 seconds"),
        ({"hold_s": "601"}, "hold_s must be at most 600 seconds"),
        ({"hold_s": "abc"}, "hold_s must be a duration: seconds (30), m:ss (1:30) or with a unit (30 sec, 1.5 min)"),
        ({"hold_s": "inf"}, "hold_s must be a finite number"),
        ({"reps": "0"}, "reps must be between 1 and 100"),
        ({"reps": "101"}, "reps must be between 1 and 100"),
        ({"reps": "2.5"}, "reps must be a whole number"),
        ({"side": "up"}, "side must be left, right or both"),
        ({"pain": "11"}, "pain must be between 0 and 10"),
        ({"pain": "-1"}, "pain must be between 0 and 10"),
        ({"pain_after": "10.5"}, "pain_after must be between 0 and 10"),
        ({"flexibility": "12"}, "flexibility must be between 0 and 10"),
        ({"reach_cm": "500"}, "reach_cm must be between -50 and 100 cm"),
        ({"stretch": "", "pain": ""}, "row has neither a stretch nor any score"),
    ],
)
def test_each_rule_rejects_what_it_should(cells, rule):
    assert rules_for(one_row(**cells)) == [rule]


def test_a_good_row_passes_with_canonical_types():
    report = validate(one_row(hold_s="20", reps="3", side="L", pain="4", notes="ok"), today=TODAY)
    assert report.ok
    row = report.valid.iloc[0]
    assert row["date"] == pd.Timestamp("2026-01-05")
    assert (row["hold_s"], row["reps"], row["side"], row["pain"]) == (20.0, 3, "left", 4.0)
    assert str(report.valid["reps"].dtype) == "Int64"


def test_score_only_row_is_valid():
    report = validate(one_row(stretch="", pain="6"), today=TODAY)
    assert report.ok and pd.isna(report.valid.loc[0, "stretch"])


def test_every_problem_of_a_row_is_reported_in_one_pass():
    report = validate(one_row(pain="11", reps="0", side="up"), today=TODAY)
    assert sorted(report.failures["column"]) == ["pain", "reps", "side"]
    assert report.rejected.loc[0, "problems"].count(";") == 2


def test_aliases_and_case_insensitive_headers_normalise():
    raw = pd.DataFrame({"Patient ID": ["p1"], "DATE": ["2026-01-05"], "Exercise": ["childs pose"],
                        "Hold Seconds": ["30"], "NPRS": ["5"], "Comments": ["hi"]})
    valid = load_log(raw, today=TODAY)
    assert list(valid.loc[0, ["client_id", "stretch", "hold_s", "pain", "notes"]]) == [
        "p1", "Child's Pose", 30.0, 5.0, "hi"]


def test_units_convert_minutes_and_inches():
    raw = pd.DataFrame({"client": ["p1"], "date": ["2026-01-05"], "stretch": ["cobra"],
                        "hold_min": ["0.5"], "reach_in": ["2"]})
    valid = load_log(raw, today=TODAY)
    assert valid.loc[0, "hold_s"] == 30.0
    assert valid.loc[0, "reach_cm"] == pytest.approx(5.08)


def test_user_mapping_wins_over_aliases():
    raw = pd.DataFrame({"who": ["p1"], "when": ["2026-01-05"], "score": ["3"], "stretch": ["x"]})
    valid = load_log(raw, mapping={"who": "client_id", "score": "pain"}, today=TODAY)
    assert valid.loc[0, "pain"] == 3.0


def test_datetime_keeps_its_local_time_and_date():
    report = validate(one_row(date="2026-03-29T23:30:00-05:00"), today=TODAY)
    assert report.valid.loc[0, "date"] == pd.Timestamp("2026-03-29")
    assert report.valid.loc[0, "time"] == "23:30:00"


def test_decimal_comma_and_missing_tokens():
    report = validate(one_row(pain="7,5", flexibility="n/a", reach_cm="-"), today=TODAY)
    assert report.ok
    assert report.valid.loc[0, "pain"] == 7.5
    assert pd.isna(report.valid.loc[0, "flexibility"])


def test_unknown_stretch_is_kept_with_a_warning():
    report = validate(one_row(stretch="Handstand"), today=TODAY)
    assert report.ok and report.valid.loc[0, "stretch"] == "Handstand"
    assert report.warnings["warning"].str.contains("not in the catalog").any()


def test_duplicates_are_warned_not_merged():
    frame = pd.concat([one_row(), one_row()], ignore_index=True)
    report = validate(frame, today=TODAY)
    assert len(report.valid) == 2
    assert report.warnings["warning"].str.startswith("duplicate").sum() == 1


def test_conservation_valid_plus_rejected_equals_rows_read():
    frame = pd.concat([one_row(), one_row(pain="11"), one_row(client_id=""), one_row()],
                      ignore_index=True)
    report = validate(frame, today=TODAY)
    assert (len(report.valid), len(report.rejected), report.rows_read) == (2, 2, 4)


def test_missing_required_column_is_unusable():
    with pytest.raises(LogReadError, match="missing required column client_id"):
        validate(pd.DataFrame({"date": ["2026-01-05"], "stretch": ["x"]}))


def test_load_log_raises_with_every_problem_readable():
    frame = pd.concat([one_row(pain="11"), one_row(reps="0")], ignore_index=True)
    with pytest.raises(LogValidationError) as info:
        load_log(frame, today=TODAY)
    message = str(info.value)
    assert "2 of 2 rows rejected" in message
    assert "line 1: pain '11': pain must be between 0 and 10" in message
    assert "line 2: reps '0': reps must be between 1 and 100" in message
    assert len(info.value.failures) == 2
