"""Workbooks: error cells and unsaved formulas are never silent blanks; cells keep their Python values;
many sheets, notes sheets and stray far-away cells."""

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

import backanalytics as ba
from backanalytics.io import LogReadError, read_table, read_table_with_warnings


def _rewrite(path: Path, old: bytes, new: bytes) -> None:
    """Replace bytes in the first worksheet's XML (to store what openpyxl cannot write)."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert old in members[sheet]
    members[sheet] = members[sheet].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.fixture
def errors_book(tmp_path: Path) -> Path:
    """Rows 2-6: a clean row, #DIV/0!, #VALUE!, =1+2 and =A1 without saved results, two problems at once."""
    path = tmp_path / "errors.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["client_id", "date", "Pain", "Hold"])
    sheet.append(["ana", "2026-01-05", 4, 30])
    sheet.append(["ana", "2026-01-06", "#DIV/0!", 30])
    sheet.append(["ana", "2026-01-07", "#VALUE!", 30])
    sheet.append(["ana", "2026-01-08", "=1+2", "=A1"])
    for cell in ("C3", "C4"):
        sheet[cell].data_type = "e"          # saved as Excel error cells, as Excel writes them
    book.save(path)
    return path


def test_excel_error_cells_are_blanked_and_described_on_their_row(errors_book):
    raw = read_table(errors_book)
    assert raw["cell_errors"].tolist() == [
        "",
        "Pain: Excel error #DIV/0!",
        "Pain: Excel error #VALUE!",
        "Pain: formula =1+2 without a saved value: open and save the file in Excel; "
        "Hold: formula =A1 without a saved value: open and save the file in Excel",
    ]
    assert raw["Pain"].isna().tolist() == [False, True, True, True]
    assert raw["source_line"].tolist() == [2, 3, 4, 5]


def test_a_formula_with_its_saved_result_is_read_as_the_result(errors_book):
    _rewrite(errors_book, b"<f>1+2</f><v />", b"<f>1+2</f><v>3</v>")
    raw = read_table(errors_book)
    assert raw["Pain"].tolist()[3] == 3
    assert raw["cell_errors"].tolist()[3] == "Hold: formula =A1 without a saved value: open and save the file in Excel"


def test_a_workbook_without_problem_cells_has_no_cell_errors_column(tmp_path):
    path = tmp_path / "clean.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["client_id", "date"])
    book.active.append(["ana", "2026-01-05"])
    book.save(path)
    assert "cell_errors" not in read_table(path)


def test_date_time_and_number_cells_come_back_as_python_values(tmp_path):
    path = tmp_path / "typed.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["client_id", "date", "time", "hold", "pain"])
    sheet.append(["ana", dt.date(2026, 1, 5), dt.time(7, 30), dt.timedelta(seconds=45), 7.5])
    sheet.append(["ana", dt.datetime(2026, 1, 6, 8, 15), dt.time(18, 0), dt.timedelta(minutes=1), 3.0])
    book.save(path)
    raw = read_table(path)
    assert raw["date"].tolist() == [dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 6, 8, 15)]
    assert raw["time"].tolist() == [dt.time(7, 30), dt.time(18, 0)]
    assert raw["hold"].tolist() == [dt.timedelta(seconds=45), dt.timedelta(minutes=1)]
    assert raw["pain"].tolist() == [7.5, 3]         # a whole number saved as 3.0 reads as 3, as pandas did
    assert type(raw["pain"].tolist()[1]) is int


def test_two_hundred_sheets_are_all_read_and_a_notes_sheet_is_named(tmp_path):
    path = tmp_path / "caseload.xlsx"
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Read me"
    notes.append(["How to fill in this workbook: one sheet per client."])
    for i in range(200):
        sheet = book.create_sheet(f"c{i:03d}")
        sheet.append([f"Client c{i:03d}, home programme"])            # a title row above the header
        sheet.append(["client_id", "date", "stretch"])
        sheet.append([f"c{i:03d}", "2026-01-05", "Cobra"])
        sheet.append([f"c{i:03d}", "2026-01-06", "Cobra"])
    book.save(path)
    raw, warnings = read_table_with_warnings(path)
    assert len(raw) == 400
    assert raw["sheet"].nunique() == 200 and raw["sheet"].iloc[-1] == "c199"
    assert raw["source_line"].tolist()[:2] == [3, 4]
    assert [(c, v) for c, v, _ in warnings] == [("sheet", "Read me")]


def test_a_stray_cell_far_from_the_log_is_refused_in_one_line(tmp_path):
    path = tmp_path / "stray.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["client_id", "date", "stretch"])
    for day in range(1, 101):
        sheet.append(["ana", f"2026-01-{day % 28 + 1:02d}", "Cobra"])
    sheet["XFD100000"] = "x"     # the dense grid would be 102 x 16,384 cells for 304 values
    book.save(path)
    with pytest.raises(LogReadError, match="delete the stray cells far from the log") as info:
        read_table(path)
    assert "\n" not in str(info.value) and "stray.xlsx" in str(info.value)


def test_a_declared_huge_dimension_does_not_make_the_sheet_huge(tmp_path):
    path = tmp_path / "dimension.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["client_id", "date"])
    book.active.append(["ana", "2026-01-05"])
    book.save(path)
    _rewrite(path, b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD1048576" />')
    raw = read_table(path)
    assert raw.columns.tolist() == ["client_id", "date", "source_line"] and len(raw) == 1


def test_a_chart_sheet_is_skipped_with_a_warning_naming_it(tmp_path):
    from openpyxl.chart import BarChart, Reference

    path = tmp_path / "charted.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["client_id", "date", "pain"])
    sheet.append(["ana", "2026-01-05", 4])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=2), titles_from_data=True)
    book.create_chartsheet("Pain chart").add_chart(chart)
    book.save(path)
    raw, warnings = read_table_with_warnings(path)
    assert len(raw) == 1
    assert warnings == [("sheet", "Pain chart", "chart sheet skipped: it holds no cells")]


def test_sheets_with_different_headers_keep_each_headers_unit(tmp_path):
    # Sheet a holds minutes (hold_min), sheet b seconds: aligning the sheets' headers must not
    # rename hold_min to hold_s (1 minute read as 1 second, silently, before this was fixed).
    book = Workbook()
    first = book.active
    first.title = "a"
    first.append(["client_id", "date", "stretch", "hold_min"])
    first.append(["a", "2026-11-02", "Cobra", 1])
    second = book.create_sheet("b")
    second.append(["patient", "date", "stretch", "hold_s"])
    second.append(["b", "2026-11-02", "Cobra", 30])
    book.save(tmp_path / "units.xlsx")
    valid = ba.validate(tmp_path / "units.xlsx", today="2026-12-01").valid
    assert dict(zip(valid["client_id"], valid["hold_s"], strict=True)) == {"a": 60.0, "b": 30.0}


def test_files_with_different_headers_are_one_table_without_warnings(tmp_path):
    # "Day"/"Exercise" in one file, "date"/"stretch" in the other: one column each, not two
    # columns merged with a "read as date too" warning.
    (tmp_path / "ann.csv").write_text("Day,Exercise,Pain\n2026-11-02,Cobra,4\n")
    (tmp_path / "bo.csv").write_text("date,stretch,pain\n2026-11-03,Cat-Cow,5\n")
    report = ba.validate(tmp_path, today="2026-12-01")
    assert sorted(report.valid["client_id"]) == ["ann", "bo"]
    assert not report.warnings["warning"].str.contains("too").any(), report.warnings


def test_a_workbook_of_client_sheets_names_the_sheet_of_each_problem_and_reads_doses(tmp_path):
    # Two client sheets whose problems both sit on sheet line 4: the message must say which sheet.
    # "Duration" and "Hold" differ, so the sheets' headers are aligned to hold_s; a dose written
    # there (3x30s = 3 reps of 30 s) is still read as a dose.
    book = Workbook()
    book.active.title = "Maria"
    book.active.append(["My stretch log"])
    book.active.append([])
    book.active.append(["Date", "Exercise", "Duration", "Pain level"])
    book.active.append(["2026-11-03", "Cobra", "3x30s", "11"])
    tom = book.create_sheet("Tom")
    tom.append(["Title"])
    tom.append([])
    tom.append(["Date", "Exercise", "Hold", "Pain"])
    tom.append(["2026-11-03", "Cat-Cow", "45", "4/5"])
    book.save(tmp_path / "clinic.xlsx")
    report = ba.validate(tmp_path / "clinic.xlsx", today="2026-12-01")
    places = report.failures[["source_file", "source_line", "column"]].values.tolist()
    assert places == [["sheet 'Maria'", 4, "pain"], ["sheet 'Tom'", 4, "pain"]]
    maria = report.rejected[report.rejected["sheet"] == "Maria"]
    assert len(maria) == 1 and len(report.valid) == 0
    ok = ba.validate(tmp_path / "clinic.xlsx", today="2026-12-01", mapping={"Pain level": "notes", "Pain": "notes"})
    row = ok.valid.set_index("client_id").loc["Maria"]
    assert (row["reps"], row["hold_s"]) == (3, 30.0)
