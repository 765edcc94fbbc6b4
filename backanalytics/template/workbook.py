"""The fill-in log as an Excel workbook (openpyxl): log sheet(s), programme, how to fill it in.

Each entry column carries Excel data validation with an input message (what goes there) and an
error message (why a value was refused), within the rules of the data contract (README, "The
canonical log"). Pain cells turn amber above mild (the flags' ``pain_after_max``) and red from
moderate pain (``pain_red_min``, :mod:`backanalytics.thresholds`) as the person types.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.template.programme import (
    GUIDE_RULES,
    HOWTO_SHEET,
    LOG_HEADER,
    PROGRAMME_HEADER,
    PROGRAMME_HEADER_ROW,
    PROGRAMME_SHEET,
    PROGRAMME_SLOTS,
    PROGRAMME_TITLE,
    SESSIONS_CELL,
    START_CELL,
    TemplateSpec,
    dose_hint,
)
from backanalytics.thresholds import THRESHOLDS

DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"  # Excel's Text format: a note typed as "=..." stays text, never becomes a formula
#: Workbook name of the programme's stretch cells: the log's stretch dropdown lists them.
PRESCRIBED_NAME = "Prescribed"
AMBER = PatternFill("solid", start_color="FFE699", end_color="FFE699")
RED = PatternFill("solid", start_color="F4B183", end_color="F4B183")
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")


@dataclass(frozen=True)
class Entry:
    """How one log column is checked as it is typed, and what its messages say."""

    kind: str
    prompt: str
    error: str
    width: float
    formula1: str | None = None
    formula2: str | None = None
    operator: str | None = None


def _score(what: str) -> Entry:
    return Entry("custom", f"{what}. 0 to 10 in whole or half points (4 or 4.5). Leave it empty if you "
                 "did not rate it.", "Write a number from 0 to 10, in whole or half points (e.g. 4 or 4.5).",
                 12, "AND(ISNUMBER({cell}),{cell}>=0,{cell}<=10,MOD({cell}*2,1)=0)")


#: The entry rules per canonical column (Excel's limits: prompt <= 255, error <= 225 characters).
ENTRIES: dict[str, Entry] = {
    C.DATE: Entry("date", "The day you stretched or rated your pain, e.g. 2026-01-05 (not in the future).",
                  "Write a date from 1990 up to today, e.g. 2026-01-05.", 12,
                  "DATE(1990,1,1)", "TODAY()", "between"),
    C.STRETCH: Entry("list", "Choose the stretch from the list (your programme). Leave it empty on a day "
                     "you only rate your pain.", "Choose a stretch from the list: the stretches of your "
                     "programme (the Programme sheet).", 22, PRESCRIBED_NAME),
    C.HOLD_S: Entry("decimal", "Seconds you held each repetition (1 to 600). Leave it empty for moves "
                    "counted in reps (Cat-Cow, Pelvic Tilts, Bridge).", "Write the seconds held: a number "
                    "from 1 to 600.", 10, "1", "600", "between"),
    C.REPS: Entry("whole", "How many times you did it (1 to 100).", "Write the repetitions: a whole number "
                  "from 1 to 100.", 8, "1", "100", "between"),
    C.SIDE: Entry("list", "Which side, for one-sided stretches: left, right or both.",
                  "Choose left, right or both from the list.", 9, '"' + ",".join(C.SIDES) + '"'),
    C.PAIN: _score("Back pain before stretching (0 = none, 10 = worst imaginable)"),
    C.PAIN_AFTER: _score("Back pain right after the session (0 = none, 10 = worst imaginable)"),
    C.FLEXIBILITY: _score("How flexible you feel (0 = very stiff, 10 = very flexible)"),
    C.NOTES: Entry("textLength", "Anything worth telling your therapist: how it felt, what you changed.",
                   "Keep a note to 1000 characters.", 40, "1000", None, "lessThanOrEqual"),
}


def log_rows(spec: TemplateSpec) -> int:
    """Entry rows prepared on each log sheet: a row per stretch and day, plus a score-only row a day."""
    return max(100, 7 * spec.weeks * (len(spec.stretches) + 1))


def write_workbook(spec: TemplateSpec, path: str | Path) -> None:
    """Write the fill-in workbook: a log sheet per client, the programme, how to fill it in.

    Parameters
    ----------
    spec
        From :func:`backanalytics.template.make_spec`.
    path
        The ``.xlsx`` to write (written in place; the CLI writes through a temporary name).

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> from backanalytics.template import make_spec
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.xlsx"
    >>> write_workbook(make_spec(["anna", "ben"], "Cat-Cow,Cobra", start="2026-01-05"), path)
    >>> openpyxl.load_workbook(path).sheetnames
    ['anna', 'ben', 'Programme', 'How to fill this in']
    """
    book = Workbook()
    book.remove(book.active)
    for name in spec.sheets:
        _log_sheet(book.create_sheet(name), log_rows(spec))
    _programme_sheet(book.create_sheet(PROGRAMME_SHEET), spec)
    _howto_sheet(book.create_sheet(HOWTO_SHEET))
    first = PROGRAMME_HEADER_ROW + 1
    ref = f"{quote_sheetname(PROGRAMME_SHEET)}!$A${first}:$A${first + PROGRAMME_SLOTS - 1}"
    book.defined_names[PRESCRIBED_NAME] = DefinedName(PRESCRIBED_NAME, attr_text=ref)
    book.active = 0
    book.save(path)


def _validation(entry: Entry, cells: str, top_left: str, title: str) -> DataValidation:
    formula1 = entry.formula1.format(cell=top_left) if entry.formula1 else None
    dv = DataValidation(type=entry.kind, operator=entry.operator, formula1=formula1, formula2=entry.formula2,
                        allow_blank=True, showInputMessage=True, showErrorMessage=True, errorStyle="stop",
                        promptTitle=title[:32], prompt=entry.prompt, errorTitle=f"Not a valid {title.lower()}"[:32],
                        error=entry.error)
    dv.add(cells)
    return dv


def _log_sheet(sheet: Worksheet, rows: int) -> None:
    last = rows + 1
    for col, (title, canonical) in enumerate(LOG_HEADER, start=1):
        letter = get_column_letter(col)
        entry = ENTRIES[canonical]
        head = sheet.cell(1, col, title)
        head.font, head.fill = Font(bold=True), HEADER_FILL
        head.comment = Comment(entry.prompt, "backanalytics")
        sheet.column_dimensions[letter].width = entry.width
        sheet.add_data_validation(_validation(entry, f"{letter}2:{letter}{last}", f"{letter}2", title))
        number_format = {C.DATE: DATE_FORMAT, C.NOTES: TEXT_FORMAT}.get(canonical)
        if number_format:
            for row in range(2, last + 1):
                sheet.cell(row, col).number_format = number_format
    sheet.freeze_panes = "A2"
    pains = [get_column_letter(i) for i, (_, c) in enumerate(LOG_HEADER, start=1) if c in (C.PAIN, C.PAIN_AFTER)]
    amber, red = THRESHOLDS["pain_after_max"], THRESHOLDS["pain_red_min"]
    for letter in pains:
        cell, area = f"{letter}2", f"{letter}2:{letter}{last}"
        sheet.conditional_formatting.add(area, FormulaRule(
            formula=[f"AND(ISNUMBER({cell}),{cell}>={red:g})"], fill=RED, stopIfTrue=True))
        sheet.conditional_formatting.add(area, FormulaRule(
            formula=[f"AND(ISNUMBER({cell}),{cell}>{amber:g},{cell}<{red:g})"], fill=AMBER, stopIfTrue=True))


def _programme_sheet(sheet: Worksheet, spec: TemplateSpec) -> None:
    sheet["A1"] = PROGRAMME_TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"], sheet[SESSIONS_CELL] = "Sessions per week", spec.sessions_per_week
    sheet["C2"] = "session days a week, more than 0 and at most 7 (daily = 7)"
    sheet["A3"], sheet[START_CELL] = "Programme start", spec.start
    sheet[START_CELL].number_format = DATE_FORMAT
    sheet["C3"] = "adherence is counted from this day (leave empty: from the first session)"
    spw = DataValidation(type="decimal", operator="between", formula1="0.01", formula2="7", allow_blank=True,
                         showInputMessage=True, showErrorMessage=True, promptTitle="Sessions per week",
                         prompt="Prescribed session days a week: more than 0, at most 7 (daily = 7).",
                         errorTitle="Not a valid number", error="Write a number more than 0 and at most 7.")
    spw.add(SESSIONS_CELL)
    sheet.add_data_validation(spw)
    start = DataValidation(type="date", operator="greaterThanOrEqual", formula1="DATE(1990,1,1)", allow_blank=True,
                           showErrorMessage=True, errorTitle="Not a valid date",
                           error="Write a date from 1990 on, e.g. 2026-01-05, or leave it empty.")
    start.add(START_CELL)
    sheet.add_data_validation(start)
    for col, title in enumerate(PROGRAMME_HEADER, start=1):
        head = sheet.cell(PROGRAMME_HEADER_ROW, col, title)
        head.font, head.fill = Font(bold=True), HEADER_FILL
    first = PROGRAMME_HEADER_ROW + 1
    for row, name in enumerate(spec.stretches, start=first):
        kind = catalog.kind_of(name) or ""
        for col, value in enumerate((name, kind, ", ".join(catalog.areas_of(name)), dose_hint(name)), start=1):
            sheet.cell(row, col, value)
    # The catalog beside the table: the programme's stretch cells choose from it.
    catalog_col = len(PROGRAMME_HEADER) + 2
    letter = get_column_letter(catalog_col)
    head = sheet.cell(PROGRAMME_HEADER_ROW, catalog_col, "Catalog (choose from)")
    head.font = Font(bold=True)
    for row, s in enumerate(catalog.STRETCHES, start=first):
        sheet.cell(row, catalog_col, s.name)
    pick = DataValidation(type="list", formula1=f"${letter}${first}:${letter}${first + len(catalog.STRETCHES) - 1}",
                          allow_blank=True, showInputMessage=True, showErrorMessage=True,
                          promptTitle="Prescribed stretch", prompt="A stretch of the catalog. The log sheets' "
                          "stretch lists show the stretches of this column.", errorTitle="Not a catalog stretch",
                          error="Choose a stretch of the catalog (column " + letter + ").")
    pick.add(f"A{first}:A{first + PROGRAMME_SLOTS - 1}")
    sheet.add_data_validation(pick)
    for letter, width in zip("ABCDEF", (24, 10, 34, 24, 3, 22), strict=True):
        sheet.column_dimensions[letter].width = width


def _howto_sheet(sheet: Worksheet) -> None:
    lines = [
        ("How to fill this in", True),
        ("Write one row for each stretch you did: the date, the stretch from the list, the seconds you "
         "held it (Hold (s)) and how many times (Reps).", False),
        ("On a day you rate your pain without stretching, leave the stretch empty and write the pain.", False),
        ("Pain before and Pain after: 0 = no pain, 10 = the worst imaginable, whole or half points. Pain "
         "after is right after the session. Flexibility: 0 = very stiff, 10 = very flexible.", False),
        (f"A pain cell turns amber above {THRESHOLDS['pain_after_max']:g} (more than mild tension) and red "
         f"from {THRESHOLDS['pain_red_min']:g}.", False),
        ("Each cell refuses what the log cannot read and says why; hover over a header to see what goes "
         "there. Empty rows in between are fine.", False),
        ("", False),
        ("From the guide (The Best Back Stretches):", True),
        *((f"{title}: {text}", False) for title, text in GUIDE_RULES),
    ]
    for row, (text, bold) in enumerate(lines, start=1):
        cell = sheet.cell(row, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = Font(bold=True, size=13 if row == 1 else 11)
    sheet.column_dimensions["A"].width = 110
