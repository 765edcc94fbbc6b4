"""The round trip: the template as written and as filled in, read back by the log reader.

The template has no client column: each log sheet is a client (the sheet name; a single log sheet
is the file's client, from ``--client`` or the file name), and its programme and instruction
sheets hold no log. These tests need the reader that reads workbooks that way (the real-world
logs issue); test_template.py checks the same filled workbook with a client column added.
"""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics.cli import app
from backanalytics.template import make_spec, write_workbook
from tests.test_template import START, fill_template

EXTRA_SHEETS = {"Programme", "How to fill this in"}


def test_template_as_written_validates_with_zero_rows(tmp_path):
    path = tmp_path / "clinic.xlsx"
    write_workbook(make_spec(["anna", "ben"], weeks=4, start=START), path)
    report = ba.validate(path)
    assert (len(report.valid), len(report.rejected), len(report.failures)) == (0, 0, 0)
    assert not set(report.warnings["value"].astype(str)) & EXTRA_SHEETS, report.warnings


def test_filled_template_validates_every_row_with_clients_from_sheet_names(tmp_path):
    report = ba.validate(fill_template(tmp_path / "filled.xlsx"))
    assert (len(report.valid), len(report.rejected)) == (7, 0)  # anna 4 rows, ben 3; the empty row is no row
    valid = report.valid
    assert valid.groupby("client_id").size().to_dict() == {"anna": 4, "ben": 3}
    assert valid.groupby("client_id")["stretch"].count().to_dict() == {"anna": 3, "ben": 2}
    assert valid.groupby("client_id")["pain"].count().to_dict() == {"anna": 3, "ben": 3}
    assert valid["hold_s"].sum() == 30 + 20 + 30 + 30
    assert valid.loc[valid["notes"].notna(), "notes"].tolist() == ["felt good", "=SUM(A1)"]
    assert not set(report.warnings["value"].astype(str)) & EXTRA_SHEETS, report.warnings


def test_pain_12_typed_past_the_validation_is_a_rejected_row_naming_sheet_and_row(tmp_path):
    report = ba.validate(fill_template(tmp_path / "filled.xlsx", pain={("anna", 5): 12}))
    assert (len(report.valid), len(report.rejected)) == (6, 1)
    row = report.rejected.iloc[0]
    assert (row["sheet"], row["source_line"]) == ("anna", 5)
    assert report.failures["column"].tolist() == ["pain"]
    assert "12" in str(report.failures["value"].iloc[0])


def test_single_client_workbook_is_the_files_client(tmp_path):
    path = tmp_path / "sam.xlsx"
    write_workbook(make_spec([], "Cobra", weeks=1, start=START), path)
    book = openpyxl.load_workbook(path)
    book["Log"].append([START, "Cobra Stretch", 30, 2, None, 4, 3, None, None])
    book.save(path)
    report = ba.validate(path)
    assert report.valid["client_id"].tolist() == ["sam"] and len(report.rejected) == 0


@pytest.mark.parametrize("command", ["summary", "report"])
def test_summary_and_report_use_the_programme_sheet(tmp_path, command):
    path = fill_template(tmp_path / "filled.xlsx")
    if command == "summary":
        result = CliRunner().invoke(app, ["summary", str(path), "--format", "json", "--all-columns"])
    else:
        result = CliRunner().invoke(app, ["report", str(path), "--client", "anna", "--format", "html",
                                          "--export", "csv", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "prescription: the programme sheet of filled.xlsx" in result.output
    if command == "summary":
        rows = {r["client_id"]: r for r in json.loads(result.output[result.output.index("["):])}
    else:
        rows = pd.read_csv(tmp_path / "out" / "metrics_clients.csv").set_index("client_id").T.to_dict()
    # 3 a week from Mon 5 Jan to the log's last day, Fri 9 Jan: 15/7 expected session days.
    # anna: 2 session days -> 14/15 (daily from her first session would be 2/5).
    assert rows["anna"]["adherence"] == pytest.approx(14 / 15)
