"""Duplicates: repeated entries are warned about (never merged), repeated columns never hide a value."""

from __future__ import annotations

import pandas as pd
import pytest

from backanalytics import read_table, validate

TODAY = pd.Timestamp("2026-11-20")


def warnings_of(frame: pd.DataFrame, **kwargs) -> pd.DataFrame:
    report = validate(frame, today=TODAY, **kwargs)
    return report.warnings


# ------------------------------------------------------------------ duplicate entries


def test_two_pain_scores_for_one_client_and_day_are_warned_not_merged():
    report = validate(pd.DataFrame({"client_id": ["a", "a"], "date": ["2026-01-05"] * 2,
                                    "stretch": ["", ""], "pain": ["5", "6"]}), today=TODAY)
    assert report.ok and report.valid["pain"].tolist() == [5.0, 6.0]
    dup = report.warnings[report.warnings["warning"].str.startswith("duplicate score-only")]
    assert dup["source_line"].tolist() == [2]
    assert dup["value"].tolist() == ["a"]


@pytest.mark.parametrize(("times", "dates", "clients", "expected"), [
    (["", ""], ["2026-01-05", "2026-01-05"], ["a", "a"], 1),           # same score twice
    (["08:00", "20:00"], ["2026-01-05", "2026-01-05"], ["a", "a"], 0),  # morning and evening
    (["", ""], ["2026-01-05", "2026-01-06"], ["a", "a"], 0),           # two days
    (["", ""], ["2026-01-05", "2026-01-05"], ["a", "b"], 0),           # two clients
])
def test_score_only_duplicates_need_same_client_date_and_time(times, dates, clients, expected):
    frame = pd.DataFrame({"client_id": clients, "date": dates, "time": times, "stretch": "", "pain": "4"})
    warnings = warnings_of(frame)
    assert warnings["warning"].str.startswith("duplicate score-only").sum() == expected


def test_a_score_only_row_beside_a_stretch_row_is_no_duplicate():
    frame = pd.DataFrame({"client_id": ["a", "a"], "date": ["2026-01-05"] * 2,
                          "stretch": ["Cobra", ""], "pain": ["5", "5"]})
    assert not warnings_of(frame)["warning"].str.startswith("duplicate").any()


def test_stretch_duplicates_are_still_warned_once_per_repeat():
    frame = pd.DataFrame({"client_id": ["a"] * 3, "date": ["2026-01-05"] * 3, "stretch": ["Cobra"] * 3})
    warnings = warnings_of(frame)
    assert warnings["warning"].str.startswith("duplicate entry").sum() == 2


def test_duplicates_among_rejected_rows_are_not_warned():
    frame = pd.DataFrame({"client_id": ["a", "a"], "date": ["2026-01-05"] * 2, "stretch": "",
                          "pain": ["5", "11"]})
    report = validate(frame, today=TODAY)
    assert len(report.rejected) == 1 and report.warnings.empty


# ------------------------------------------------------------------ repeated columns


def write(tmp_path, text: str):
    path = tmp_path / "log.csv"
    path.write_text(text)
    return path


def test_a_header_with_client_id_twice_rejects_rows_where_the_copies_disagree(tmp_path):
    path = write(tmp_path, "client_id,date,stretch,client_id\n"
                           "anna,2026-01-05,Cobra,anna\n"
                           "anna,2026-01-06,Cobra,ben\n"
                           ",2026-01-07,Cobra,carla\n")
    report = validate(path, today=TODAY)
    assert report.valid["client_id"].tolist() == ["anna", "carla"]  # an empty copy takes the other
    assert report.failures[["source_line", "column"]].values.tolist() == [[3, "client_id"]]
    rule = report.failures.loc[0, "rule"]
    assert "'client_id' (column 1) and 'client_id' (column 4) disagree" in rule and "'ben'" in rule
    warned = report.warnings[report.warnings["column"] == "client_id.1"]["warning"]
    assert warned.str.contains("read as client_id too").all() and len(warned) == 1


def test_two_aliases_of_one_column_are_compared(tmp_path):
    path = write(tmp_path, "client_id,date,stretch,pain,nprs\n"
                           "anna,2026-01-05,Cobra,5,5\n"
                           "anna,2026-01-06,Cobra,5,7\n"
                           "anna,2026-01-07,Cobra,,3\n")
    report = validate(path, today=TODAY)
    assert report.valid["pain"].tolist() == [5.0, 3.0]
    assert report.failures["source_line"].tolist() == [3]
    assert "'pain' (column 4) and 'nprs' (column 5) disagree" in report.failures.loc[0, "rule"]


def test_columns_in_different_units_are_compared_in_seconds():
    frame = pd.DataFrame({"client_id": "a", "date": ["2026-01-05", "2026-01-06", "2026-01-07"],
                          "stretch": "Cobra", "hold_s": ["30", "30", ""], "hold_min": ["0.5", "1", "0.25"]})
    report = validate(frame, today=TODAY)
    assert report.valid["hold_s"].tolist() == [30.0, 15.0]
    assert report.failures["source_line"].tolist() == [2]


def test_the_user_mapping_wins_over_an_alias_for_the_same_column():
    frame = pd.DataFrame({"client": ["x", "y"], "who": ["anna", "ben"], "date": "2026-01-05",
                          "stretch": "Cobra"})
    report = validate(frame, mapping={"who": "client_id"}, today=TODAY)
    assert report.ok and report.valid["client_id"].tolist() == ["anna", "ben"]
    warned = report.warnings.set_index("column")["warning"]
    assert warned["client"] == "not used: the mapping reads client_id from 'who'"


def test_a_mapping_to_a_column_outside_the_contract_is_warned():
    frame = pd.DataFrame({"client_id": ["a"], "date": "2026-01-05", "stretch": "Cobra", "mood": "ok"})
    warned = warnings_of(frame, mapping={"mood": "happiness"}).set_index("column")["warning"]
    assert "not a column of the contract" in warned["mood"]


# ------------------------------------------------------------------ the readers' own columns


def test_a_frame_from_read_table_keeps_its_line_numbers(tmp_path):
    path = write(tmp_path, "client_id,date,stretch,pain\n\nanna,2026-01-05,Cobra,11\n")
    raw = read_table(path)
    assert validate(raw, today=TODAY).failures["source_line"].tolist() == [3]


def test_a_frame_whose_source_line_is_not_line_numbers_is_numbered_from_one():
    frame = pd.DataFrame({"client_id": ["a", "b"], "date": "2026-01-05", "stretch": "Cobra",
                          "pain": ["3", "11"], "source_line": ["x", "y"]})
    report = validate(frame, today=TODAY)
    assert report.failures["source_line"].tolist() == [2]
    assert report.rejected["source_line (input)"].tolist() == ["y"]


def test_problems_of_two_sheets_with_the_same_row_number_stay_apart(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    for title, pain in [("jan", 11), ("feb", -1)]:
        ws = wb.create_sheet(title)
        ws.append(["client_id", "date", "stretch", "pain"])
        ws.append(["anna", "2026-01-05", "Cobra", pain])
    wb.remove(wb.worksheets[0])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    rejected = validate(path, today=TODAY).rejected
    assert rejected["sheet"].tolist() == ["jan", "feb"]
    assert rejected["problems"].tolist() == ["pain: pain must be between 0 and 10"] * 2


def test_a_row_whose_only_score_is_a_missing_token_says_nothing():
    report = validate(pd.DataFrame({"client_id": ["a"], "date": ["2026-01-05"], "stretch": [""],
                                    "pain": ["n/a"]}), today=TODAY)
    assert report.failures["rule"].tolist() == ["row has neither a stretch nor any score"]
