"""The fill-in log: the workbook's sheets, checks and formats, the paper PDF, the programme read back.

Expectations are written out by hand from the issue and the data contract (README, "The canonical
log"); the workbook is opened with openpyxl, the PDF with poppler (pdftotext / pdftoppm).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics.cli import app
from backanalytics.columns import ALIASES, normalise_header
from backanalytics.template import TemplateError, make_spec, read_programme, write_paper, write_workbook

START = dt.date(2026, 1, 5)  # a Monday


@pytest.fixture(scope="module")
def book_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "clinic.xlsx"
    write_workbook(make_spec(["anna", "ben"], weeks=4, start=START), path)  # the guide's 15 stretches
    return path


@pytest.fixture(scope="module")
def book(book_path):
    return openpyxl.load_workbook(book_path)


# 4 weeks x 7 days x (15 stretches + a score-only row a day) = 448 entry rows, rows 2-449.
LAST = 449


def test_sheets_one_per_client_then_programme_and_instructions(book, tmp_path):
    assert book.sheetnames == ["anna", "ben", "Programme", "How to fill this in"]
    write_workbook(make_spec([], "Cobra", start=START), tmp_path / "one.xlsx")
    assert openpyxl.load_workbook(tmp_path / "one.xlsx").sheetnames == ["Log", "Programme", "How to fill this in"]


def test_log_header_is_frozen_and_maps_to_canonical_columns(book):
    sheet = book["ben"]
    header = [c.value for c in sheet[1]]
    assert header == ["Date", "Stretch", "Hold (s)", "Reps", "Side", "Pain before", "Pain after", "Flexibility",
                      "Notes"]
    assert [ALIASES[normalise_header(h)] for h in header] == [
        "date", "stretch", "hold_s", "reps", "side", "pain", "pain_after", "flexibility", "notes"]
    assert sheet.freeze_panes == "A2"
    assert all(c.comment is not None and c.comment.text for c in sheet[1])  # what goes there, on the header


def validations(sheet) -> dict[str, object]:
    """Entry range (e.g. 'A2:A449') -> its DataValidation."""
    return {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}


EXPECTED_RULES = {  # column: (type, operator, formula1, formula2), from the issue and the data contract
    "A": ("date", "between", "DATE(1990,1,1)", "TODAY()"),
    "B": ("list", None, "Prescribed", None),  # the workbook name of the programme's stretch cells
    "C": ("decimal", "between", "1", "600"),
    "D": ("whole", "between", "1", "100"),
    "E": ("list", None, '"left,right,both"', None),
    "F": ("custom", None, "AND(ISNUMBER(F2),F2>=0,F2<=10,MOD(F2*2,1)=0)", None),
    "G": ("custom", None, "AND(ISNUMBER(G2),G2>=0,G2<=10,MOD(G2*2,1)=0)", None),
    "H": ("custom", None, "AND(ISNUMBER(H2),H2>=0,H2<=10,MOD(H2*2,1)=0)", None),
    "I": ("textLength", "lessThanOrEqual", "1000", None),
}


@pytest.mark.parametrize("sheet_name", ["anna", "ben"])
def test_every_entry_column_is_validated_on_its_whole_range(book, sheet_name):
    found = validations(book[sheet_name])
    assert set(found) == {f"{col}2:{col}{LAST}" for col in EXPECTED_RULES}
    for col, (kind, operator, formula1, formula2) in EXPECTED_RULES.items():
        dv = found[f"{col}2:{col}{LAST}"]
        assert (dv.type, dv.operator, dv.formula1, dv.formula2) == (kind, operator, formula1, formula2), col
        assert dv.allow_blank and dv.showInputMessage and dv.showErrorMessage and dv.errorStyle == "stop"
        # Excel's limits: titles <= 32 characters, input message <= 255, error message <= 225.
        assert dv.prompt and len(dv.prompt) <= 255 and dv.promptTitle and len(dv.promptTitle) <= 32, col
        assert dv.error and len(dv.error) <= 225 and dv.errorTitle and len(dv.errorTitle) <= 32, col


def test_stretch_dropdown_lists_the_programme(book_path, book):
    assert book.defined_names["Prescribed"].attr_text == "'Programme'!$A$6:$A$35"
    programme = book["Programme"]
    names = [programme.cell(r, 1).value for r in range(6, 36)]
    assert names[:15] == ["Cat-Cow", "Child's Pose", "Knee-to-Chest", "Pelvic Tilts", "Seated Spinal Twist",
                          "Sphinx Pose", "Piriformis Stretch", "Butterfly Stretch", "Forward Bend", "Supine Twist",
                          "Bridge Pose", "Cobra Stretch", "Downward-Facing Dog", "Hip Flexor Stretch",
                          "Hamstring Stretch"]
    assert names[15:] == [None] * 15  # room for the therapist to add stretches


def test_date_cells_are_dates_and_notes_are_text(book):
    sheet = book["anna"]
    assert {sheet.cell(r, 1).number_format for r in range(2, LAST + 1)} == {"yyyy-mm-dd"}
    assert sheet.cell(LAST + 1, 1).number_format == "General"
    # Text format: what a person types as "=..." in a note stays text in Excel, never a formula.
    assert {sheet.cell(r, 9).number_format for r in range(2, LAST + 1)} == {"@"}


def test_pain_traffic_light_amber_above_mild_red_from_six(book):
    rules = {str(cf.sqref): [(r.formula, r.dxf.fill.fgColor.rgb) for r in cf.rules]
             for cf in book["anna"].conditional_formatting}
    # Amber above 3 (the flags' "more than mild tension"), red from 6; only the two pain columns.
    assert rules == {
        f"F2:F{LAST}": [(["AND(ISNUMBER(F2),F2>=6)"], "00F4B183"), (["AND(ISNUMBER(F2),F2>3,F2<6)"], "00FFE699")],
        f"G2:G{LAST}": [(["AND(ISNUMBER(G2),G2>=6)"], "00F4B183"), (["AND(ISNUMBER(G2),G2>3,G2<6)"], "00FFE699")],
    }


def test_programme_sheet_comes_from_the_catalog(tmp_path):
    path = tmp_path / "p.xlsx"
    write_workbook(make_spec(["anna"], "cat cow, cobra, bridge", start=START, sessions_per_week=3), path)
    sheet = openpyxl.load_workbook(path)["Programme"]
    assert (sheet["A2"].value, sheet["B2"].value) == ("Sessions per week", 3)
    assert sheet["B3"].value == dt.datetime(2026, 1, 5) and sheet["B3"].number_format == "yyyy-mm-dd"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5, max_row=8, max_col=4)]
    assert rows == [
        ["Prescribed stretch", "Kind", "Target areas", "Dose guidance"],
        ["Cat-Cow", "dynamic", "spine, neck, lower back", "5-15 reps"],
        ["Cobra Stretch", "static", "lower back, abdominals, spine", "hold 10-30 s, 2-4 reps"],
        ["Bridge Pose", "strength", "glutes, lower back, spine", "8-15 reps"],
    ]


def test_instructions_quote_the_guides_rules(book):
    text = "\n".join(str(c.value) for c in book["How to fill this in"]["A"] if c.value)
    assert "Stretching should cause a feeling of mild tension, not pain. If a stretch hurts, ease up." in text
    assert "Regular, moderate stretching is more beneficial than infrequent, intense sessions." in text
    assert "amber above 3" in text and "red from 6" in text


@pytest.mark.parametrize("sheet_name", ["Programme", "How to fill this in"])
def test_extra_sheets_name_no_log_column_so_readers_skip_them(book, sheet_name):
    cells = [c.value for row in book[sheet_name].iter_rows(max_row=10) for c in row if c.value is not None]
    assert cells and not [c for c in cells if normalise_header(c) in ALIASES]


# ---------------------------------------------------------------------------------------------
# options


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"clients": ["a/b"]}, "cannot hold any of"),
    ({"clients": ["x" * 32]}, "at most 31 characters (32 given)"),
    ({"clients": ["an\nna"]}, "control characters"),
    ({"clients": ["anna", "Anna"]}, "given twice"),
    ({"clients": ["programme"]}, "a sheet of that name"),
    ({"stretches": "Cobra, handstand"}, "'handstand' is not a catalog stretch"),
    ({"weeks": 0}, "--weeks 0"),
    ({"paper": "a3"}, "use a4 or letter"),
    ({"sessions_per_week": 8}, "at most 7"),
    ({"start": "someday"}, "is not a date"),
])
def test_options_a_template_cannot_be_made_from_are_refused_with_a_reason(kwargs, message):
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_spec(**kwargs)


# ---------------------------------------------------------------------------------------------
# the programme read back as the prescription


def test_programme_reads_back_as_the_prescription_table(book_path):
    table = read_programme(book_path)
    assert table[["client_id", "sessions_per_week"]].to_dict("records") == [
        {"client_id": "anna", "sessions_per_week": 7.0}, {"client_id": "ben", "sessions_per_week": 7.0}]
    assert (table["start"] == pd.Timestamp("2026-01-05")).all()
    assert table["stretches"].iloc[0].split(";")[:3] == ["Cat-Cow", "Child's Pose", "Knee-to-Chest"]
    assert len(table["stretches"].iloc[0].split(";")) == 15


def test_programme_edited_by_the_therapist_reads_back_as_edited(tmp_path):
    path = tmp_path / "p.xlsx"
    write_workbook(make_spec(["anna"], "Cat-Cow,Cobra", start=START), path)
    book = openpyxl.load_workbook(path)
    sheet = book["Programme"]
    sheet["B2"], sheet["B3"] = 3, None
    sheet["A7"] = None  # Cobra dropped
    sheet["A9"] = "hamstrings"  # added further down, as an alias
    book.save(path)
    table = read_programme(path, clients=["anna", "c2"])
    assert table["client_id"].tolist() == ["anna", "c2"]
    assert table["sessions_per_week"].tolist() == [3.0, 3.0]
    assert table["start"].isna().all()
    assert table["stretches"].tolist() == ["Cat-Cow;Hamstring Stretch"] * 2


def test_unreadable_sessions_per_week_names_the_cell(tmp_path):
    path = tmp_path / "p.xlsx"
    write_workbook(make_spec(["anna"], "Cobra", start=START), path)
    book = openpyxl.load_workbook(path)
    book["Programme"]["B2"] = "often"
    book.save(path)
    with pytest.raises(TemplateError, match=r"p.xlsx, sheet 'Programme', cell B2: sessions per week 'often'"):
        read_programme(path)


def test_a_workbook_without_a_template_programme_has_none(tmp_path):
    plain = openpyxl.Workbook()
    plain.active.append(["client_id", "date"])
    plain.create_sheet("Programme").append(["something else"])
    plain.save(tmp_path / "plain.xlsx")
    assert read_programme(tmp_path / "plain.xlsx") is None


def test_consistency_takes_the_programme_as_prescription(tmp_path):
    path = tmp_path / "p.xlsx"
    write_workbook(make_spec(["anna"], "Cat-Cow,Cobra", start=START, sessions_per_week=3), path)
    log = ba.validate(pd.DataFrame({"client_id": "anna", "date": ["2026-01-05", "2026-01-07", "2026-01-11"],
                                    "stretch": ["Cat-Cow", "Cat-Cow", "Cat-Cow"]})).valid
    row = ba.consistency(log, prescription=read_programme(path)).loc["anna"]
    # 5-11 Jan = 7 days at 3 a week = 3 expected session days; 3 done -> 1.0; Cobra never done -> 1/2.
    assert (row["days"], row["active_days"], row["adherence"]) == (7, 3, 1.0)
    assert row["prescribed_coverage"] == 0.5


# ---------------------------------------------------------------------------------------------
# the paper log


def pdf_text(path: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
                          check=True, capture_output=True, text=True, timeout=60).stdout


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True, timeout=60).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


@pytest.fixture(scope="module")
def paper(tmp_path_factory) -> Path:
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.fail("pdftotext / pdftoppm missing: install poppler-utils (or run .ci/run)", pytrace=False)
    path = tmp_path_factory.mktemp("paper") / "clinic.pdf"
    write_paper(make_spec(["anna", "ben"], "Cat-Cow,Child's Pose,Cobra", weeks=2, start=START), path)
    return path


def test_paper_has_a_landscape_page_per_client_and_week(paper):
    info = pdf_info(paper)
    assert int(info["Pages"]) == 4  # 2 clients x 2 weeks
    assert info["Page size"].split("pts")[0].split() == ["841.89", "x", "595.276"]  # A4 landscape


def test_paper_first_page_has_the_week_the_stretches_their_hints_and_the_safety_rules(paper, tmp_path):
    text = pdf_text(paper, 1)
    for words in ["Stretching log", "anna", "Week 1 of 2", "Mon 5 Jan – Sun 11 Jan 2026", "Cat-Cow", "Child's",
                  "Cobra", "5-15 reps", "hold 10-30 s,", "Pain before", "Pain after", "Mon", "Sun",
                  "mild tension, not pain", "If a stretch hurts, ease up."]:
        assert words in text, words
    assert "ben" not in text and "Week 2" not in text
    # Under each box: "s × reps" for the 2 held stretches, "reps" for Cat-Cow, on 7 days: 14 and 7,
    # plus the 3 column hints ("5-15 reps", twice "2-4 reps") = 24 "reps" in all.
    assert (text.count("s × reps"), text.count("reps")) == (14, 24)
    assert "ben" in pdf_text(paper, 3) and "Week 1 of 2" in pdf_text(paper, 3)
    assert "Mon 12 Jan – Sun 18 Jan 2026" in pdf_text(paper, 4)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(paper), str(tmp_path / "p")],
                   check=True, timeout=60)
    from PIL import Image

    grey = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    assert grey.size == (468, 331)  # 297 x 210 mm at 40 dpi
    dark = sum(grey.histogram()[:200])
    assert dark > 0.02 * grey.width * grey.height  # the table's lines and text: not a blank page


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_week_of_all_15_stretches_fits_one_page_footer_included(tmp_path, paper):
    path = tmp_path / "p.pdf"
    write_paper(make_spec(["anna"], weeks=1, start=START, paper=paper), path)
    assert int(pdf_info(path)["Pages"]) == 1
    text = pdf_text(path, 1)
    # a late column, the last day, the last rule: all on the one page
    assert "Flexor" in text and "Sun" in text and "Consulting Professionals:" in text


def test_letter_paper_without_a_client_leaves_a_name_line(tmp_path):
    path = tmp_path / "p.pdf"
    write_paper(make_spec([], "Cobra", weeks=1, start=START, paper="letter"), path)
    info = pdf_info(path)
    assert int(info["Pages"]) == 1 and info["Page size"].split("pts")[0].split() == ["792", "x", "612"]
    assert "Name: ____" in pdf_text(path, 1)


# ---------------------------------------------------------------------------------------------
# the command


def test_template_command_writes_both_files(tmp_path):
    result = CliRunner().invoke(app, ["template", str(tmp_path / "anna.xlsx"), "--client", "anna",
                                      "--stretches", "Cat-Cow,Cobra", "--weeks", "1", "--start", "2026-01-05",
                                      "--paper", "letter"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anna.pdf", "anna.xlsx"]
    assert openpyxl.load_workbook(tmp_path / "anna.xlsx").sheetnames[0] == "anna"


def test_template_command_never_writes_over_a_log(tmp_path):
    (tmp_path / "anna.xlsx").write_bytes(b"a filled-in log")
    result = CliRunner().invoke(app, ["template", str(tmp_path / "anna"), "--weeks", "1"])
    assert result.exit_code == 2 and "anna.xlsx exists and may hold a filled-in log" in result.output
    assert (tmp_path / "anna.xlsx").read_bytes() == b"a filled-in log" and not (tmp_path / "anna.pdf").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--client", "a:b"], "error: --client 'a:b': a sheet name cannot hold"),
    (["--stretches", "Cobra,Handstand"], "error: --stretches: 'Handstand' is not a catalog stretch"),
    (["--start", "soon"], "error: --start 'soon' is not a date"),
])
def test_template_command_refuses_bad_options_with_one_line(tmp_path, args, message):
    result = CliRunner().invoke(app, ["template", str(tmp_path / "x"), *args])
    assert result.exit_code == 2 and result.output.startswith(message) and "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------------------------
# filled in as Excel stores what a person types (shared with test_template_roundtrip.py)

#: Per sheet, rows as typed: (sheet row, date, stretch, hold, reps, side, pain, pain after, flexibility, note).
FILLED = {
    "anna": [
        (2, dt.datetime(2026, 1, 5), "Cat-Cow", None, 10, None, 4, 3, 6, None),
        (3, dt.datetime(2026, 1, 5), "Child's Pose", 30, 3, None, None, None, None, "felt good"),
        # row 4 left empty
        (5, dt.datetime(2026, 1, 7), "Cobra Stretch", 20, 2, None, 5, 4.5, 6.5, "=SUM(A1)"),
        (6, dt.datetime(2026, 1, 9), None, None, None, None, 3, None, 7, None),  # score-only day
    ],
    "ben": [
        (2, dt.datetime(2026, 1, 6), "Child's Pose", 30, 2, "left", 6, 6, 5, None),
        (3, dt.datetime(2026, 1, 6), "Child's Pose", 30, 2, "right", 6, 6, 5, None),
        (4, dt.datetime(2026, 1, 8), None, None, None, None, 5, None, None, None),  # score-only day
    ],
}


def fill_template(path: Path, client_column: bool = False, pain: dict | None = None) -> Path:
    """The template for anna and ben (Cat-Cow, Child's Pose, Cobra; 3 a week from 5 Jan 2026), filled in.

    Dates as date cells, dropdown values and numbers as typed, a note typed into the Text-formatted
    notes column (a string cell, as Excel stores it). ``client_column`` inserts a ``Client`` column
    holding the sheet name (what the reader's sheet-per-client rule supplies); ``pain`` overrides
    a pain cell: {(sheet, row): value}.
    """
    write_workbook(make_spec(["anna", "ben"], "Cat-Cow,Child's Pose,Cobra", weeks=1, start=START,
                             sessions_per_week=3), path)
    book = openpyxl.load_workbook(path)
    for name, rows in FILLED.items():
        sheet = book[name]
        for row, *values in rows:
            for col, value in enumerate(values, start=1):
                if value is not None:
                    sheet.cell(row, col, value)
            if values[-1] is not None:
                sheet.cell(row, 9).data_type = "s"  # text, even when it starts with "="
        for (where, row), value in (pain or {}).items():
            if where == name:
                sheet.cell(row, 6, value)
        if client_column:
            sheet.insert_cols(1)
            sheet.cell(1, 1, "Client")
            for row, *_ in rows:
                sheet.cell(row, 1, name)
    book.save(path)
    return path


def test_filled_template_with_a_client_column_validates_today(tmp_path):
    # With the sheet name written in a Client column (the reader today needs one), the template's
    # header, date cells, dropdown values, numbers and the "=" note all pass the contract.
    report = ba.validate(fill_template(tmp_path / "filled.xlsx", client_column=True))
    assert (len(report.valid), len(report.rejected)) == (7, 0)  # anna 4 rows, ben 3; the empty row is no row
    valid = report.valid
    assert valid.groupby("client_id").size().to_dict() == {"anna": 4, "ben": 3}
    assert valid["stretch"].notna().sum() == 5 and valid["pain"].notna().sum() == 6
    assert valid.loc[valid["notes"].notna(), "notes"].tolist() == ["felt good", "=SUM(A1)"]
    assert valid["date"].min() == pd.Timestamp("2026-01-05") and valid["date"].max() == pd.Timestamp("2026-01-09")
    assert sorted(valid["side"].dropna().astype(str)) == ["left", "right"]


def test_summary_uses_the_programme_sheet_without_a_prescription(tmp_path):
    path = fill_template(tmp_path / "filled.xlsx", client_column=True)
    result = CliRunner().invoke(app, ["summary", str(path), "--format", "json", "--all-columns"])
    assert result.exit_code == 0, result.output
    assert "prescription: the programme sheet of filled.xlsx" in result.output
    rows = {r["client_id"]: r for r in json.loads(result.output[result.output.index("["):])}
    # Programme: 3 a week from Mon 5 Jan; as_of = last date of the log, Fri 9 Jan: 5 days ->
    # 5 x 3 / 7 = 15/7 expected session days. anna: 2 session days (5 and 7 Jan) -> 14/15;
    # ben: 1 (6 Jan) -> 7/15. Coverage of Cat-Cow, Child's Pose, Cobra: anna 3/3, ben 1/3.
    assert rows["anna"]["adherence"] == pytest.approx(14 / 15) and rows["ben"]["adherence"] == pytest.approx(7 / 15)
    assert rows["anna"]["prescribed_coverage"] == 1.0 and rows["ben"]["prescribed_coverage"] == pytest.approx(1 / 3)
    # An explicit --prescription wins: daily from each client's first session day; anna 2 of 5 days.
    result = CliRunner().invoke(app, ["summary", str(path), "--format", "json", "--prescription", "7"])
    rows = {r["client_id"]: r for r in json.loads(result.output[result.output.index("["):])}
    assert rows["anna"]["adherence"] == pytest.approx(2 / 5)


def test_report_uses_the_programme_sheet_without_a_prescription(tmp_path):
    path = fill_template(tmp_path / "filled.xlsx", client_column=True)
    result = CliRunner().invoke(app, ["report", str(path), "--client", "anna", "--format", "html", "--export", "csv",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "prescription: the programme sheet of filled.xlsx" in result.output
    clients = pd.read_csv(tmp_path / "out" / "metrics_clients.csv").set_index("client_id")
    assert clients.loc["anna", "adherence"] == pytest.approx(14 / 15)  # as worked out in the summary test


def test_an_unreadable_programme_stops_summary_with_one_line_naming_the_cell(tmp_path):
    path = fill_template(tmp_path / "filled.xlsx", client_column=True)
    book = openpyxl.load_workbook(path)
    book["Programme"]["B2"] = 14
    book.save(path)
    result = CliRunner().invoke(app, ["summary", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "error: filled.xlsx, sheet 'Programme', cell B2: sessions per week 14" in result.output


def test_one_client_template_named_otherwise_says_how_it_will_be_read(tmp_path):
    # One log sheet is one person's log named like the file: week1.xlsx would be client "week1".
    result = CliRunner().invoke(app, ["template", str(tmp_path / "week1"), "--client", "anna", "--weeks", "1",
                                      "--start", "2026-11-02"])
    assert result.exit_code == 0, result.output
    assert "read back as client 'week1'" in result.output and "--client anna" in result.output
    report = ba.validate(tmp_path / "week1.xlsx", client="anna")
    assert report.rows_read == 0 and report.failures.empty
