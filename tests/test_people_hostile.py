"""Hostile inputs on the new paths (grids, workbooks of many sheets, folders): one clear line or
rejected rows, never a traceback, and conservation."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics import columns as C
from backanalytics.cli import app
from backanalytics.io import LogReadError

TODAY = "2026-12-01"
runner = CliRunner()


def adds_up(report: ba.ValidationReport) -> bool:
    return len(report.valid) + len(report.rejected) == report.rows_read


def test_a_grid_of_500_stretch_like_columns(tmp_path):
    names = ["Cobra", "Cat-Cow", "Bridge", "Child's Pose", "Knee to chest"]
    headers = [f"{names[i % 5]} ({'s' if i % 2 else 'min'})" if i < 5 else f"{names[i % 5]} {i}" for i in range(500)]
    path = tmp_path / "wide.csv"
    path.write_text("Date," + ",".join(headers) + "\n" + "2026-11-02," + ",".join(["x"] * 500) + "\n")
    report = ba.validate(path, today=TODAY)
    # The five headers naming a stretch with a unit are grid columns; "Cobra 5" ... name no
    # stretch and hold checkmarks: each is warned about, none read.
    assert adds_up(report) and sorted(report.valid[C.STRETCH]) == sorted(
        ["Cobra Stretch", "Cat-Cow", "Bridge Pose", "Child's Pose", "Knee-to-Chest"])
    assert report.warnings["warning"].str.contains("holds checkmarks").sum() == 495


def test_a_workbook_of_200_client_sheets(tmp_path):
    wb = Workbook()
    wb.remove(wb.active)
    for i in range(200):
        sheet = wb.create_sheet(f"client {i}")
        sheet.append(["Date", "Stretch", "Pain"])
        sheet.append(["2026-11-02", "Cobra", i % 11])
    path = tmp_path / "many.xlsx"
    wb.save(path)
    report = ba.validate(path, today=TODAY)
    assert adds_up(report) and report.valid[C.CLIENT_ID].nunique() == 200 and report.ok


def test_a_folder_with_a_binary_file_skips_it_by_name_and_exits_1(tmp_path):
    (tmp_path / "ann.csv").write_text("date,stretch\n2026-11-02,Cobra\n")
    (tmp_path / "photo.csv").write_bytes(bytes(range(256)) * 8)
    report = ba.validate(tmp_path, today=TODAY)
    assert report.valid[C.CLIENT_ID].tolist() == ["ann"]
    skipped = report.warnings[report.warnings["column"] == "file"]
    assert skipped["value"].tolist() == ["photo.csv"]
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1 and "photo.csv" in result.output and "Traceback" not in result.output


def test_a_folder_without_any_readable_log_is_one_line(tmp_path):
    (tmp_path / "notes.md").write_text("nothing here")
    with pytest.raises(LogReadError) as info:
        ba.validate(tmp_path, today=TODAY)
    assert "\n" not in str(info.value) and "a folder without log files" in str(info.value)


@pytest.mark.parametrize("dates", [["01/02/2026", "13/02/2026", "02/13/2026"], ["1-2-26", "31-12-26", "12-31-26"]])
def test_mixed_date_orders_reject_the_minority_and_add_up(dates):
    report = ba.validate(pd.DataFrame({"client": "c", "date": dates, "stretch": "Cobra"}), today="2027-06-01")
    assert adds_up(report) and len(report.rejected) == 1
