"""Cells a hostile probe found read wrongly (issue 22 items 1, 7, 12): each a rejected row with
its reason, never a crash or a silent misreading."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics import columns as C
from backanalytics.cli import app

TODAY = "2026-12-01"
runner = CliRunner()


def log(**cells) -> pd.DataFrame:
    rows = max(len(v) if isinstance(v, list) else 1 for v in cells.values())
    base = {"client_id": "c1", "date": "2026-11-02", "stretch": "Cat-Cow"}
    return pd.DataFrame({**base, **cells}, index=range(rows))


@pytest.mark.parametrize("column, digit", [("pain", "٣"), ("reps", "３"), ("hold_s", "৩"), ("reach_cm", "٣٠")])
def test_a_digit_of_another_script_is_a_rejected_row(column, digit):
    report = ba.validate(log(**{column: ["5", digit]}), today=TODAY)
    assert report.failures[[C.SOURCE_LINE, "rule"]].values.tolist() == [
        [2, f"{column} must be written with the digits 0-9"]]
    assert len(report.valid) == 1


def test_a_date_with_another_scripts_digits_is_rejected_like_a_number():
    report = ba.validate(log(date=["2026-11-02", "２０２６-11-03", "2026-11-0٣"]), today=TODAY)
    assert report.failures["rule"].tolist() == ["date must be written with the digits 0-9"] * 2


def test_the_cli_rejects_the_row_and_exits_1(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("client_id,date,stretch,pain\nc1,2026-11-01,Cat-Cow,5\nc1,2026-11-02,Cat-Cow,٣\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "1 valid, 1 rejected" in result.output and "line 3: pain" in result.output


@pytest.mark.parametrize("word", ["-", "NULL", "none", "n/a", "NaN", "?", "missing"])
def test_no_value_words_are_no_client_id(word):
    report = ba.validate(log(client_id=["c1", word]), today=TODAY)
    assert report.failures[["column", "rule"]].values.tolist() == [["client_id", "client_id is required"]]


def test_composed_and_decomposed_names_are_one_client():
    composed = unicodedata.normalize("NFC", "José")
    decomposed = unicodedata.normalize("NFD", "José")
    assert composed != decomposed
    report = ba.validate(log(client_id=[composed, decomposed], date=["2026-11-02", "2026-11-03"]), today=TODAY)
    assert report.valid[C.CLIENT_ID].tolist() == [composed, composed]


@pytest.mark.parametrize("cells", [{"time": ["23:59:59", "23:59:60"]},
                                   {"date": ["2026-11-02T23:59:59", "2026-11-02T23:59:60"]}])
def test_a_leap_second_is_not_a_time_of_day(cells):
    report = ba.validate(log(**cells), today=TODAY)
    assert report.failures[C.SOURCE_LINE].tolist() == [2]
    assert report.valid[C.TIME].tolist() == ["23:59:59"]


def test_a_lone_thousands_comma_is_ambiguous_and_rejected():
    report = ba.validate(log(reach_cm=["1,000", "12"]), today=TODAY)
    assert report.failures["rule"].tolist() == [
        "reach_cm: ',' may be a thousands separator or a decimal comma here; write 1000 or 1.000"]
    assert report.valid[C.REACH_CM].tolist() == [12.0]


def test_a_column_with_decimal_commas_reads_1_000_as_one():
    report = ba.validate(log(reach_cm=["1,000", "7,5"]), today=TODAY)
    assert report.valid[C.REACH_CM].tolist() == [1.0, 7.5]
    assert "reach_cm: ',' read as a decimal comma" in report.how_read()


def test_a_column_with_thousands_separators_reads_1_000_as_a_thousand():
    report = ba.validate(log(hold_s=["1,000", "1,500.5"]), today=TODAY)
    # 1000 and 1500.5 seconds are read, then both are over the 600 s limit of the contract.
    assert report.failures["rule"].tolist() == ["hold_s must be at most 600 seconds"] * 2
    assert report.failures["value"].tolist() == ["1,000", "1,500.5"]
    assert "hold_s: ',' read as a thousands separator" in report.how_read()


def test_a_row_with_a_cell_the_reader_could_not_take_is_rejected_with_that_text():
    # The reader fills cell_errors for an Excel error cell (and leaves the cell itself blank).
    raw = log(pain=["4", None], cell_errors=["", "pain: Excel error #DIV/0!"])
    report = ba.validate(raw, today=TODAY)
    assert report.failures[[C.SOURCE_LINE, "column", "rule"]].values.tolist() == [
        [2, "cell", "pain: Excel error #DIV/0!"]]
    assert len(report.valid) == 1 and len(report.rejected) == 1


def test_raw_rows_of_several_files_are_each_files_client_and_name_their_file():
    # What the reader hands over for two files: lines numbered per file, the file in source_file.
    raw = pd.DataFrame({"date": ["2026-11-02", "2026-11-03", "2026-11-02"], "stretch": "Cobra",
                        "pain": ["3", "11", "4"], "source_file": ["ann.csv", "ann.csv", "bo.csv"],
                        "source_line": [2, 3, 2]})
    report = ba.validate(raw, today=TODAY)
    assert report.valid[C.CLIENT_ID].tolist() == ["ann", "bo"]
    assert report.failures[[C.SOURCE_FILE, C.SOURCE_LINE]].values.tolist() == [["ann.csv", 3]]
