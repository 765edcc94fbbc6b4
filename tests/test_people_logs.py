"""Logs written the way people keep them (tests/people/ and workbooks built here): each shape,
US and European conventions, a folder of client files. Expected values are worked out by hand
from the files, in the comments beside them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics import columns as C
from backanalytics.cli import app
from backanalytics.io import LogReadError

PEOPLE = Path(__file__).parent / "people"
TODAY = "2026-12-01"
runner = CliRunner()


def per_client(log: pd.DataFrame) -> dict[str, tuple[int, int, int, float]]:
    """client -> (session days, stretch rows, pain days, hold seconds)."""
    out = {}
    for client, rows in log.groupby(C.CLIENT_ID):
        stretched = rows[rows[C.STRETCH].notna()]
        out[client] = (stretched[C.DATE].nunique(), len(stretched),
                       rows.loc[rows[C.PAIN].notna(), C.DATE].nunique(), float(rows[C.HOLD_S].sum()))
    return out


def test_a_google_sheet_export_of_one_person_loads_with_client_from_the_file_name():
    report = ba.validate(PEOPLE / "sam.csv", today=TODAY)
    # Days 11/3, 11/4, 11/6, 11/13, 11/14 (month first: 11/13 says so); 7 stretch rows; pain on
    # 3, 4, 6, 13, 14 Nov; holds 30 s + 0:30 + 1 min + 1:30 + 00:00:45 + 1.5 min + PT30S
    # = 30 + 30 + 60 + 90 + 45 + 90 + 30 = 375 s.
    assert per_client(report.valid) == {"sam": (5, 7, 5, 375.0)}
    assert report.ok and report.rows_read == 7
    assert report.valid[C.PAIN].tolist()[:4] == [4.0, 4.0, 3.0, 3.0]  # "4/10" and "3 out of 10"
    assert "client 'sam' from the file name" in report.how_read()
    assert "dates month/day/year (line 7: 11/13/2026)" in report.how_read()


def test_a_european_habit_grid_becomes_one_row_per_stretch_done():
    report = ba.validate(PEOPLE / "habit_grid_eu.csv", today=TODAY)
    # Line 2: Cat-Cow, Cobra 1 min, Hamstrings 30 s; line 3: nothing ticked (no row); line 4:
    # Cat-Cow, Child's Pose, Hamstrings 45 s; line 5 (13/11: day first): Cat-Cow, Child's Pose,
    # Cobra 2 min. 9 rows on 3 days; pain 5, 4,5 (decimal comma) and 4; holds 60+30+45+120 = 255 s.
    assert per_client(report.valid) == {"habit_grid_eu": (3, 9, 3, 255.0)}
    assert report.lines_read == 4 and report.rows_read == len(report.valid) + len(report.rejected) == 9
    assert sorted(report.valid[C.PAIN].unique()) == [4.0, 4.5, 5.0]
    warned = dict(zip(report.warnings["column"], report.warnings["warning"], strict=True))
    assert '--map "Walked dog=ignore"' in warned["Walked dog"]
    assert report.warnings.loc[report.warnings["column"] == C.STRETCH, C.SOURCE_LINE].tolist() == [3]


def test_mapping_a_checkbox_column_as_a_stretch_or_ignoring_it():
    as_stretch = ba.validate(PEOPLE / "habit_grid_eu.csv", today=TODAY, mapping={"Walked dog": "stretch"})
    assert (as_stretch.valid[C.STRETCH] == "Walked dog").sum() == 2  # TRUE on lines 2 and 4
    ignored = ba.validate(PEOPLE / "habit_grid_eu.csv", today=TODAY, mapping={"Walked dog": "ignore"})
    assert len(ignored.valid) == 9 and "ignored, as the mapping asks" in ignored.warnings["warning"].tolist()


def test_lists_of_stretches_and_doses_in_one_cell():
    report = ba.validate(PEOPLE / "lists_and_doses.csv", today=TODAY)
    # Line 2 lists three stretches at 3x30s; line 3 "30s x 2"; line 4 "10 reps" (no hold).
    assert per_client(report.valid) == {"kim": (3, 5, 2, 30.0 * 3 + 30.0)}
    assert report.valid[C.REPS].tolist() == [3, 3, 3, 2, 10]
    assert report.lines_read == 3 and report.rows_read == 5


def test_a_folder_of_client_files_is_one_client_per_file_and_names_the_file_it_skips():
    report = ba.validate(PEOPLE / "clinic", today=TODAY)
    # ann.csv: 2 days, pain 6 and 5, holds 30 + 20; bo.tsv ("Day", "Exercise" headers): 3 days,
    # pain on 2 of them, holds 10 + 10 + 15.
    assert per_client(report.valid) == {"ann": (2, 2, 2, 50.0), "bo": (3, 3, 2, 35.0)}
    skipped = report.warnings[report.warnings["column"] == "file"]
    assert skipped["value"].tolist() == ["README.md"]


def test_problems_of_several_files_name_their_file(tmp_path):
    (tmp_path / "a.csv").write_text("date,stretch,pain\n2026-11-02,Cobra,11\n")
    (tmp_path / "b.csv").write_text("date,stretch,pain\n2026-11-02,Cobra,3\n2026-11-03,Cobra,12\n")
    result = runner.invoke(app, ["validate", str(tmp_path / "a.csv"), str(tmp_path / "b.csv")])
    assert result.exit_code == 1
    assert "a.csv line 2: pain '11'" in result.output and "b.csv line 3: pain '12'" in result.output


def test_a_workbook_with_one_sheet_per_client_and_a_read_me(tmp_path):
    wb = Workbook()
    wb.active.title = "Read me"
    wb.active.append(["How to fill this in: one sheet per client."])
    anna = wb.create_sheet("anna")
    anna.append(["Date", "Stretch", "Hold", "Pain"])
    anna.append([dt.datetime(2026, 11, 2), "Cobra", dt.time(0, 0, 30), 5])  # Excel date and time cells
    anna.append([46329, "Cat-Cow", dt.time(0, 1, 0), 4])  # serial 46329 = 2026-11-03
    ben = wb.create_sheet("ben")
    ben.append(["Date", "Stretch", "Hold", "Pain"])
    ben.append([dt.datetime(2026, 11, 4, 8, 30), "Bridge", 20, None])
    path = tmp_path / "clinic.xlsx"
    wb.save(path)
    report = ba.validate(path, today=TODAY)
    assert per_client(report.valid) == {"anna": (2, 2, 2, 90.0), "ben": (1, 1, 0, 20.0)}
    assert report.valid.loc[report.valid[C.CLIENT_ID] == "ben", C.TIME].tolist() == ["08:30:00"]
    assert "Read me" in report.warnings["value"].astype(str).tolist()


def test_a_workbook_with_a_single_log_sheet_is_one_client(tmp_path):
    wb = Workbook()
    wb.active.append(["Date", "Exercise", "Pain"])
    wb.active.append(["3 Nov 2026", "Cobra", 4])
    path = tmp_path / "log.xlsx"
    wb.save(path)
    assert ba.validate(path, today=TODAY, client="sam").valid[C.CLIENT_ID].tolist() == ["sam"]
    assert ba.validate(path, today=TODAY).valid[C.CLIENT_ID].tolist() == ["log"]


def test_only_ambiguous_day_month_dates_ask_for_date_order_in_one_line(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("Date,Exercise\n03/11/2026,Cobra\n04/11/2026,Cobra\n")
    with pytest.raises(LogReadError) as info:
        ba.validate(path, today=TODAY)
    assert "\n" not in str(info.value) and "'03/11/2026'" in str(info.value) and "--date-order" in str(info.value)
    assert ba.validate(path, today=TODAY, date_order="dmy").valid[C.DATE].dt.month.tolist() == [11, 11]
    assert ba.validate(path, today=TODAY, date_order="mdy").valid[C.DATE].dt.month.tolist() == [3, 4]
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "--date-order dmy|mdy|ymd" in result.output
    result = runner.invoke(app, ["validate", str(path), "--date-order", "dmy", "--client", "me"])
    assert result.exit_code == 0 and "client 'me' from --client" in result.output


def test_contradictory_day_month_dates_are_rejected_not_flipped():
    raw = pd.DataFrame({"client": "c", "date": ["11/13/2026", "12/14/2026", "13/11/2026"], "stretch": "Cobra"})
    report = ba.validate(raw, today="2027-01-01")
    # Two cells say month first; the third reads only day first: it is rejected.
    assert report.failures[C.SOURCE_LINE].tolist() == [3]
    assert "month/day/year" in report.failures["rule"].iloc[0]
    assert len(report.valid) + len(report.rejected) == report.rows_read == 3


@pytest.mark.parametrize("written, seconds", [
    ("30", 30), ("30s", 30), ("30 sec", 30), ("30 seconds", 30), ("0:30", 30), ("1:30", 90), ("00:00:30", 30),
    ("1 min", 60), ("1.5 min", 90), ("1m30s", 90), ("PT30S", 30), ("2 mins", 120)])
def test_durations_as_people_write_them(written, seconds):
    raw = pd.DataFrame({"client": ["c"], "date": ["2026-11-02"], "stretch": ["Cobra"], "hold": [written]})
    assert ba.validate(raw, today=TODAY).valid[C.HOLD_S].tolist() == [seconds]


def test_a_score_out_of_another_scale_is_rejected_with_that_reason():
    raw = pd.DataFrame({"client": "c", "date": "2026-11-02", "stretch": "Cobra", "pain": ["4/10", "4 / 10", "4/5"]})
    report = ba.validate(raw, today=TODAY)
    assert report.valid[C.PAIN].tolist() == [4.0, 4.0]
    assert report.failures["rule"].tolist() == ["pain is written out of 5; the contract scores 0 to 10 "
                                                "(write it out of 10)"]


def test_no_stretch_while_columns_were_ignored_is_said_prominently(tmp_path):
    path = tmp_path / "pat.csv"
    path.write_text("Date,Pigeon,Pain\n2026-11-02,TRUE,4\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert "NO STRETCH read at all" in result.output
    result = runner.invoke(app, ["validate", str(path), "--map", "Pigeon=stretch"])
    assert result.exit_code == 0 and "NO STRETCH" not in result.output


def test_rows_from_one_grid_line_report_that_line():
    raw = pd.DataFrame({"Date": ["2026-11-02", "2026-11-03"], "Cobra": ["x", "x"], "Cat-Cow": ["x", ""],
                        "Pain": ["11", "3"]}).assign(source_line=[7, 8])
    report = ba.validate(raw, today=TODAY, client="c")
    # Line 7 holds two stretches and a pain of 11: both rows are rejected, each naming line 7.
    assert report.failures[C.SOURCE_LINE].tolist() == [7, 7]
    assert (report.lines_read, report.rows_read, len(report.valid), len(report.rejected)) == (2, 3, 1, 2)


def test_each_file_decides_its_own_day_month_order(tmp_path):
    (tmp_path / "us.csv").write_text("Date,Exercise\n11/3/2026,Cobra\n11/13/2026,Cobra\n")
    (tmp_path / "eu.csv").write_text("Date,Exercise\n3/11/2026,Cobra\n13/11/2026,Cobra\n")
    report = ba.validate(tmp_path, today=TODAY)
    # Both files mean 3 and 13 November: us.csv month first, eu.csv day first.
    days = report.valid.groupby(C.CLIENT_ID)[C.DATE].apply(lambda d: [x.strftime("%m-%d") for x in d]).to_dict()
    assert days == {"eu": ["11-03", "11-13"], "us": ["11-03", "11-13"]} and report.ok
    assert "eu.csv: dates day/month/year (line 3: 13/11/2026)" in report.how_read()
    (tmp_path / "unsure.csv").write_text("Date,Exercise\n3/11/2026,Cobra\n")
    with pytest.raises(LogReadError, match=r"unsure\.csv: dates like '3/11/2026'"):
        ba.validate(tmp_path, today=TODAY)


def test_a_malformed_map_option_exits_2_with_the_form_to_use():
    result = runner.invoke(app, ["validate", str(PEOPLE / "habit_grid_eu.csv"), "--map", "Walked dog"])
    assert result.exit_code == 2 and "COLUMN=TARGET" in result.output


def test_summary_of_a_folder_counts_each_files_client():
    result = runner.invoke(app, ["summary", str(PEOPLE / "clinic"), "--format", "csv", "--as-of", "2026-11-05"])
    rows = dict(line.split(",")[:3:2] for line in result.output.strip().splitlines()[1:])
    # ann: active on 2 and 3 Nov; bo: on 2, 4 and 5 Nov (column 3 is active_days).
    assert rows == {"ann": "2", "bo": "3"}
