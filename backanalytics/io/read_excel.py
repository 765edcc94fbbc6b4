"""Read every log sheet of an Excel workbook into one raw table, with each row's sheet row number.

Cells come back as Python values (text, numbers, ``datetime`` for date cells, ``time`` and
``timedelta`` for time cells); the shape and cell parsers interpret them. A cell that holds no
value although it looks like it should (an error such as ``#DIV/0!``, a formula saved without
its result) is blanked and described in the row's :data:`~backanalytics.columns.CELL_ERRORS`.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from backanalytics.catalog import stretch_header
from backanalytics.columns import (
    ALIASES,
    CELL_ERRORS,
    CLIENT_ID,
    DATE,
    SHEET,
    SOURCE_LINE,
    TEMPLATE_SHEETS,
    UNIT_ALIASES,
    normalise_header,
)
from backanalytics.io.common import LogReadError, ReadWarning, align_headers, alignment, reserve_names, unique_names

#: Excel rows searched for the header (a title or notes may sit above it).
HEADER_SEARCH_ROWS = 10
#: Largest uncompressed size accepted for an .xlsx (a zip): guards against zip bombs.
MAX_XLSX_BYTES = 500 * 1024 * 1024
#: Excel's last row; a sheet claiming rows beyond it was not written by a spreadsheet program.
EXCEL_MAX_ROWS = 1_048_576
#: A sheet's grid (rows x columns from its first to its last cell) may hold at most this many
#: empty cells per non-empty one once it exceeds a million cells: stray cells far from the log
#: would otherwise cost gigabytes.
MAX_EMPTY_PER_CELL = 50

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


@dataclass
class _Sheet:
    """A sheet as a grid of cells (index = row - 1, fully empty rows dropped) and its empty-looking cells."""

    grid: pd.DataFrame
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row - 1, column position) -> why
    chart: bool = False


def read_workbook(path: Path, mapping: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[ReadWarning]]:
    """Read every sheet that holds a log; see :func:`_excel_sheet` for how a sheet is read.

    A sheet without a log header is left out with a warning when it names no log column at all
    (a "read me" sheet, a chart sheet); one that names some (``stretch``, ``pain``...) but lacks
    client_id or date is an error, so a misnamed log sheet can never vanish. When no sheet has a
    header, the first non-empty sheet is read with its first row as header (validation then names
    the missing columns).
    """
    sheets = _excel_sheets(path)
    names = _header_names(mapping)
    found = {s: None if sheet.chart else _find_header(sheet.grid, names) for s, sheet in sheets.items()}
    if not any(row is not None for row in found.values()):  # no client column anywhere: see shape
        found = {s: None if sheet.chart else _find_header(sheet.grid, names, need_client=False)
                 for s, sheet in sheets.items()}
    usable = [s for s, row in found.items() if row is not None]
    warnings: list[ReadWarning] = []
    if not usable:
        first = next((s for s, sheet in sheets.items() if not sheet.grid.empty), None)
        if first is None:
            raise LogReadError(f"{path.name}: every sheet of the workbook is empty")
        usable, found[first] = [first], 0
    for name, sheet in sheets.items():
        if sheet.chart:
            warnings.append((SHEET, name, "chart sheet skipped: it holds no cells"))
            continue
        if name in usable or sheet.grid.empty:
            continue
        rows = len(sheet.grid)
        seen = _log_names(sheet.grid, names)
        if seen:
            raise LogReadError(
                f"{path.name}: sheet {name!r} ({rows} rows) names {', '.join(seen)} but has no "
                f"header row with both {CLIENT_ID} and {DATE} in its first {HEADER_SEARCH_ROWS} rows; "
                "name its columns (or pass a mapping), or move the sheet out of the workbook")
        if name in TEMPLATE_SHEETS:  # the fill-in template's programme and instructions (no log columns)
            continue
        warnings.append((SHEET, name, f"sheet skipped: no header row with {CLIENT_ID} and {DATE} in its "
                         f"first {HEADER_SEARCH_ROWS} rows ({rows} non-empty row{'s' if rows != 1 else ''} "
                         "not read)"))
    frames = [_excel_sheet(sheets[s], found[s], alignment(mapping) if len(usable) > 1 else None)
              for s in usable]
    if len(usable) > 1:
        frames = [f.assign(**{SHEET: s}) for f, s in zip(frames, usable, strict=True)]
    frame = pd.concat(frames, ignore_index=True)
    if CELL_ERRORS in frame:
        frame[CELL_ERRORS] = frame[CELL_ERRORS].fillna("")
    return frame, warnings


def _excel_sheets(path: Path) -> dict[str, _Sheet]:
    """Every sheet of the workbook, read with openpyxl (``.xlsx``, ``.xlsm``) or pandas (``.xls``)."""
    _check_zip_size(path)
    _check_zip_holds_workbook(path)
    try:
        if zipfile.is_zipfile(path):
            sheets = _openpyxl_sheets(path)
        else:
            grids = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
            sheets = {str(n): _Sheet(g.dropna(how="all")) for n, g in grids.items()}
    except (MemoryError, LogReadError):
        raise
    except Exception as exc:  # openpyxl / xlrd raise many types (zip, XML, KeyError) for a damaged file
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        detail = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        raise LogReadError(f"{path.name}: not a readable Excel workbook ({detail})") from None
    if not sheets:
        raise LogReadError(f"{path.name}: the workbook has no sheets")
    return sheets


def _openpyxl_sheets(path: Path) -> dict[str, _Sheet]:
    """Read each sheet's cells in one streaming pass (read-only mode), saved results only.

    A formula written without its result (by a program, not by Excel) reads as empty; when the
    workbook holds formulas, a second streaming pass finds them so they are not silently blank.
    """
    import openpyxl

    formulas = _formulas(path) if _has_formulas(path) else {}
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {str(ws.title): _read_sheet(ws, formulas.get(ws.title, {}), path.name) for ws in book.worksheets}
        charts = {str(cs.title) for cs in book.chartsheets}
        return {name: sheets[name] if name in sheets else _Sheet(pd.DataFrame(), chart=True)
                for name in map(str, book.sheetnames) if name in sheets or name in charts}
    finally:
        book.close()


def _read_sheet(ws: object, formulas: dict[tuple[int, int], str], name: str) -> _Sheet:
    """One worksheet as a :class:`_Sheet`; refuses a grid far larger than its cells."""
    if not hasattr(ws, "iter_rows"):
        return _Sheet(pd.DataFrame(), chart=True)
    ws.reset_dimensions()  # type: ignore[attr-defined]  # trust the cells, not the declared size
    rows: list[list[object]] = []
    index: list[int] = []
    errors: dict[tuple[int, int], str] = {}
    width = cells = 0
    for r, row in enumerate(ws.iter_rows(), start=1):  # type: ignore[attr-defined]
        if r > EXCEL_MAX_ROWS:
            raise LogReadError(f"{name}: sheet {ws.title!r} has rows beyond Excel's last row "  # type: ignore[attr-defined]
                               f"({EXCEL_MAX_ROWS:,}); it was not written by a spreadsheet program")
        values: list[object] = []
        for c, cell in enumerate(row):
            value = cell.value
            if cell.data_type == "e":
                errors[(r - 1, c)] = f"Excel error {value}"
                value = None
            elif value is None and cell.data_type == "n" and (r, c) in formulas:
                errors[(r - 1, c)] = (f"formula {formulas[(r, c)][:60]} without a saved value: open and save "
                                      "the file in Excel")
            elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
                value = int(value)  # 3.0 is written "3", as pandas reads it
            values.append(value)
        while values and values[-1] is None and (r - 1, len(values) - 1) not in errors:
            values.pop()
        if values:
            rows.append(values)
            index.append(r - 1)
            width = max(width, len(values))
            cells += sum(v is not None for v in values)
    if len(rows) * width > max(1_000_000, MAX_EMPTY_PER_CELL * cells):
        raise LogReadError(f"{name}: sheet {ws.title!r} spreads {cells:,} cells over {len(rows):,} rows x "  # type: ignore[attr-defined]
                           f"{width:,} columns; delete the stray cells far from the log")
    grid = pd.DataFrame([[np.nan if x is None else x for x in v] + [np.nan] * (width - len(v)) for v in rows],
                        index=index, dtype=object)
    return _Sheet(grid, errors)


def _has_formulas(path: Path) -> bool:
    """True when a worksheet of the workbook holds a formula (scanned in pieces, never whole)."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                continue
            with zf.open(info) as fh:
                tail = b""
                while chunk := fh.read(1 << 20):
                    if _FORMULA.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _formulas(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet -> (row, column position) -> formula text, for every formula cell."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    out: dict[str, dict[tuple[int, int], str]] = {}
    try:
        for ws in book.worksheets:
            if not hasattr(ws, "iter_rows"):
                continue
            ws.reset_dimensions()
            found = out.setdefault(str(ws.title), {})
            for r, row in enumerate(ws.iter_rows(), start=1):
                if r > EXCEL_MAX_ROWS:
                    break
                for c, cell in enumerate(row):
                    if cell.data_type == "f":
                        found[(r, c)] = str(getattr(cell.value, "text", cell.value))
    finally:
        book.close()
    return out


def _check_zip_holds_workbook(path: Path) -> None:
    """Refuse a zip archive that is not an Excel workbook (no ``xl/workbook.xml`` inside)."""
    if not zipfile.is_zipfile(path):
        return  # an old binary .xls, or garbage: the reader reports it
    try:
        with zipfile.ZipFile(path) as zf:
            members = {n.lower() for n in zf.namelist()}
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    if not any(m.endswith("workbook.xml") or m.endswith("workbook.bin") for m in members):
        raise LogReadError(f"{path.name}: not a readable Excel workbook (a zip archive without "
                           "a workbook inside)")


def _check_zip_size(path: Path) -> None:
    """Refuse an .xlsx whose members would inflate beyond :data:`MAX_XLSX_BYTES`."""
    try:
        with zipfile.ZipFile(path) as zf:
            declared = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip (e.g. an old .xls); the reader reports it
    if declared > MAX_XLSX_BYTES:
        raise LogReadError(f"{path.name}: the workbook would unpack to {declared // 2**20} MB "
                           f"(limit {MAX_XLSX_BYTES // 2**20} MB); refusing a possible zip bomb")


def _header_names(mapping: dict[str, str] | None) -> dict[str, str]:
    """Normalised header -> canonical name: the alias tables, then the user's mapping on top."""
    names = {**ALIASES, **{k: v[0] for k, v in UNIT_ALIASES.items()}}
    names.update({normalise_header(k): v for k, v in (mapping or {}).items()})
    return names


def _row_targets(cells: pd.Series, names: dict[str, str]) -> set[str]:
    """Canonical columns named by the cells of one row."""
    return {names[key] for key in (normalise_header(c) for c in cells.dropna()) if key in names}


def _find_header(grid: pd.DataFrame, names: dict[str, str], need_client: bool = True) -> int | None:
    """Position (within ``grid``) of the first row naming both client_id and date, or None.

    With ``need_client=False``, a date and one more log column (a score, or a stretch of the
    catalog: a grid) also head a log; its client is the sheet or file (see backanalytics.shape).
    """
    for pos in range(min(len(grid), HEADER_SEARCH_ROWS)):
        found = _row_targets(grid.iloc[pos], names)
        if DATE in found and (CLIENT_ID in found or (not need_client and (len(found) > 1 or
                                                                          _names_stretch(grid.iloc[pos])))):
            return pos
    return None


def _names_stretch(cells: pd.Series) -> bool:
    """True when a cell of a header row names a catalog stretch (a grid's column)."""
    return any(stretch_header(c)[0] is not None for c in cells.dropna() if isinstance(c, str))


def _log_names(grid: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Canonical columns named anywhere in the first rows of a sheet (sorted)."""
    seen: set[str] = set()
    for pos in range(min(len(grid), HEADER_SEARCH_ROWS)):
        seen |= _row_targets(grid.iloc[pos], names)
    return sorted(seen)


def _excel_sheet(sheet: _Sheet, header_pos: int, align: dict[str, str] | None) -> pd.DataFrame:
    """The rows below the header of one sheet, with their sheet row numbers.

    With ``align`` (several sheets), headers are renamed to their canonical names ("patient" on
    one sheet, "client_id" on another) so that concatenating the sheets does not split a column.
    """
    grid = sheet.grid
    header = unique_names(grid.iloc[header_pos].tolist())
    frame = grid.iloc[header_pos + 1:].copy()
    frame.columns = header
    if align is not None:
        frame = align_headers(frame, align)
    frame = reserve_names(frame)
    first = grid.index[header_pos]
    by_row: dict[int, list[str]] = {}
    for (row, col), why in sorted(sheet.errors.items()):
        if row > first:
            by_row.setdefault(row, []).append(f"{header[col]}: {why}")
    if by_row:
        frame[CELL_ERRORS] = ["; ".join(by_row.get(row, [])) for row in frame.index]
    frame[SOURCE_LINE] = frame.index + 1  # index = the sheet's row - 1
    return frame.reset_index(drop=True)
