"""Parse the renamed raw columns into the canonical types, once per distinct cell of each column."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.cells.amounts import AMBIGUOUS_COMMA, FOREIGN_DIGIT, THOUSANDS, comma_reading, durations, scores
from backanalytics.cells.column import Encoded, Parsed, encode_columns, normalise_stretch_names
from backanalytics.cells.dates import ORDERS, AmbiguousDates, read_written_dates
from backanalytics.cells.parse import parse_bool, parse_dates, parse_numbers, parse_side, present_text
from backanalytics.problems import Problems


@dataclass
class ParsedLog:
    """The renamed input, parsed (the result of :func:`parse_log`).

    Attributes
    ----------
    columns : every canonical column, as :class:`Parsed`.
    problems : cells that could not be parsed (``row, column, value, rule``).
    warnings : cells kept with a warning (``row, column, value, warning``).
    notes : how cells were read, for people ("dates month/day/year (line 14: 10/13/2026)").
    """

    columns: dict[str, Parsed]
    problems: pd.DataFrame
    warnings: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def frame(self, positions: np.ndarray | None = None) -> pd.DataFrame:
        """The typed canonical table, of all rows or of the rows at ``positions``.

        The float columns are written straight into one block, so building the table copies
        nothing twice.
        """
        floats = [n for n in C.CANONICAL if self.columns[n].values.dtype == np.float64]
        n_rows = len(self.columns[C.CLIENT_ID].codes) if positions is None else len(positions)
        block = np.empty((len(floats), n_rows))
        for i, name in enumerate(floats):
            self.columns[name].into(block[i], positions)
        table = pd.DataFrame(block.T, columns=floats, copy=False)
        for at, name in enumerate(C.CANONICAL):
            if name not in floats:
                table.insert(at, name, self.columns[name].rows(positions))
        return table



def parse_log(frame: pd.DataFrame, factors: Mapping[str, float] | None = None,
              date_order: str | None = None) -> ParsedLog:
    """Parse renamed raw columns into canonical types, once per distinct cell of each column.

    Problems and warnings name rows by position (``row``), with the cell as written as ``value``.
    ``date_order`` (``"dmy"``, ``"mdy"``, ``"ymd"``) reads day-month dates; by default the
    column decides it (see :mod:`backanalytics.cells.dates`).

    Raises
    ------
    AmbiguousDates
        When the order of day-month dates cannot be told and ``date_order`` is None.
    """
    factors = factors or {}
    problems, warnings = Problems(frame), Problems(frame, "warning")
    notes: list[str] = []
    encoded = encode_columns(frame)
    columns = {C.CLIENT_ID: _parse_client(frame, encoded, problems)}
    columns[C.DATE], date_times = _parse_date(frame, encoded, date_order, problems, notes)
    columns[C.TIME] = _parse_time(frame, encoded, date_times, columns[C.DATE].codes, problems)
    columns[C.STRETCH] = _parse_stretch(frame, encoded, warnings)
    # A row must say something: a stretch, a score, or a planned rest day. A score that failed
    # to parse still counts as said, so the row is reported for that score, not for this rule.
    said = columns[C.STRETCH].values.notna().to_numpy()[columns[C.STRETCH].codes]
    for name in [C.HOLD_S, C.PAIN, C.PAIN_AFTER, C.FLEXIBILITY, C.REACH_CM, C.REPS]:
        if name not in frame:
            columns[name] = _absent(name, len(frame))
            continue
        columns[name], given = _parse_number(encoded, name, factors.get(name, 1.0), problems, notes)
        if name in C.SCORES:
            said |= given[columns[name].codes]
    columns[C.SIDE] = _parse_side(encoded, problems) if C.SIDE in frame else _absent(C.SIDE, len(frame))
    columns[C.NOTES] = _parse_notes(frame, encoded) if C.NOTES in frame else _absent(C.NOTES, len(frame))
    if C.PLANNED_REST in frame:
        columns[C.PLANNED_REST], given = _parse_rest(encoded, problems)
        said |= given[columns[C.PLANNED_REST].codes]
    else:
        columns[C.PLANNED_REST] = _absent(C.PLANNED_REST, len(frame))
    problems.add(np.flatnonzero(~said), C.STRETCH, "row has neither a stretch nor any score")
    return ParsedLog(columns, problems.table(), warnings.table(), notes)


def _absent(name: str, n_rows: int) -> Parsed:
    """A column the input does not have, parsed: the same missing value on every row."""
    if name == C.REPS:
        value = pd.Series([pd.NA], dtype="Int64")
    elif name == C.SIDE:
        value = pd.Series(pd.Categorical([None], categories=C.SIDES))
    elif name == C.PLANNED_REST:
        value = pd.Series([False])
    elif name in (C.STRETCH, C.NOTES, C.TIME):
        value = pd.Series([None], dtype=object).astype("str")
    else:
        value = pd.Series([np.nan])
    return Parsed(np.zeros(n_rows, dtype=np.intp), value)


def _parse_client(frame: pd.DataFrame, encoded: Encoded, problems: Problems) -> Parsed:
    """client_id: stripped text; an empty id is a problem."""
    codes, cells = encoded[C.CLIENT_ID]
    cid, present = present_text(cells)  # "n/a", "-", "NULL"... are no id, as in every other column
    cid = cid.where(present).map(lambda v: unicodedata.normalize("NFC", v), na_action="ignore")
    cid = cid.astype("string")  # one client whether its name was typed composed or decomposed
    values = cid.mask(cid == "").astype(str).where(cid.notna() & (cid != ""), None)
    parsed = Parsed(codes, values.astype("str")).reusing(frame.get(C.CLIENT_ID), cells)
    problems.add(parsed.where(cid.isna() | (cid == "")), C.CLIENT_ID, "client_id is required")
    return parsed


def _parse_date(frame: pd.DataFrame, encoded: Encoded, order: str | None, problems: Problems,
                notes: list[str]) -> tuple[Parsed, pd.Series | None]:
    """The date column and the time of day of each distinct date cell (None if none has one).

    ISO dates take the fast path; the cells it leaves are read as people write them.
    """
    codes, cells = encoded[C.DATE]
    files = np.zeros(len(cells), dtype=np.intp)
    file_names = [None]
    if C.SOURCE_FILE in frame and frame[C.SOURCE_FILE].nunique() > 1:
        # Several files: each file decides its own day/month order, so a date cell is told
        # apart by its file too (one distinct cell per (file, cell) pair).
        file_codes, file_names = pd.factorize(frame[C.SOURCE_FILE])
        pairs, firsts = pd.factorize(file_codes.astype(np.int64) * len(cells) + codes)
        codes, cells, files = pairs.astype(np.intp), cells.take(firsts % len(cells)).reset_index(drop=True), \
            (firsts // len(cells)).astype(np.intp)
    dates, times, bad = parse_dates(cells)
    dates, bad = dates.reset_index(drop=True), bad.reset_index(drop=True)
    rules = pd.Series(pd.NA, index=dates.index, dtype="string")
    rules[bad] = "date must be a date (2026-11-03, 3 Nov 2026, 11/3/2026...) or date-time"
    todo = bad & dates.isna() & ~_foreign_digits(cells)
    for file in np.unique(files[todo.to_numpy()]):
        mine = todo & (files == file)
        try:
            read, found, evidence = read_written_dates(cells[mine], order)
        except AmbiguousDates as exc:
            raise AmbiguousDates(exc.example, file_names[file]) from None
        read.index = dates.index[mine]
        dates[mine] = read["date"].where(read["rule"].isna())
        rules[mine] = read["rule"].where(read["rule"].notna() | read["date"].isna(), pd.NA).fillna(
            rules[mine].where(read["date"].isna()))
        if read["time"].notna().any():
            times = (times.reset_index(drop=True) if times is not None
                     else pd.Series(pd.NA, index=dates.index, dtype="string"))
            times[mine] = read["time"].where(read["rule"].isna())
        if found is not None and (read["date"].notna() & read["rule"].isna()).any():
            notes.append(("" if file_names[file] is None else f"{file_names[file]}: ") + f"dates {ORDERS[found]}" + (
                "" if evidence is None else _where(frame, codes, read.index[evidence], cells)))
    rules[_foreign_digits(cells) & cells.notna()] = "date must be written with the digits 0-9"
    parsed = Parsed(codes, dates)
    _add_rules(problems, parsed, rules, C.DATE)
    return parsed, times


def _where(frame: pd.DataFrame, codes: np.ndarray, cell: int, cells: pd.Series) -> str:
    """' (line 14: 10/13/2026)': the first line holding distinct cell ``cell``."""
    row = int(np.argmax(codes == cell))
    return f" (line {frame[C.SOURCE_LINE].iloc[row]}: {cells[cell]})"


def _foreign_digits(cells: pd.Series) -> pd.Series:
    """Cells holding a digit of another script (which no parser here reads)."""
    if cells.dtype != object and not isinstance(cells.dtype, pd.StringDtype):
        return pd.Series(False, index=cells.index)
    found = cells.astype("string").str.contains(FOREIGN_DIGIT, regex=True)
    return found.fillna(False).astype(bool).reset_index(drop=True)


def _add_rules(problems: Problems, parsed: Parsed, rules: pd.Series, column: str) -> None:
    """One problem per row whose distinct cell has a rule (``rules``: one per cell, NA = none)."""
    for rule in rules.dropna().unique():
        problems.add(parsed.where(rules.eq(rule).fillna(False).to_numpy(dtype=bool)), column, str(rule))


def _parse_time(frame: pd.DataFrame, encoded: Encoded, date_times: pd.Series | None,
                date_codes: np.ndarray, problems: Problems) -> Parsed:
    """Time of day: the ``time`` column, else the time written in the date cell."""
    if C.TIME not in frame:
        if date_times is None:
            return _as_text(Parsed(np.zeros(len(frame), dtype=np.intp), pd.Series([None], dtype=object)))
        return _as_text(Parsed(date_codes, date_times.reset_index(drop=True)))
    codes, cells = encoded[C.TIME]
    _, times, bad = parse_dates(cells, time_only=True)
    problems.add(np.flatnonzero(bad.to_numpy(dtype=bool)[codes]), C.TIME, "time must be HH:MM or HH:MM:SS")
    times = times.reset_index(drop=True)
    if date_times is None:
        return _as_text(Parsed(codes, times)).reusing(frame[C.TIME], cells)
    # Each row's pair (time cell, date cell), parsed once per distinct pair.
    width = len(date_times)
    pairs, pair_cells = pd.factorize(codes.astype(np.int64) * width + date_codes)
    from_time = times.take(pair_cells // width).reset_index(drop=True)
    from_date = date_times.take(pair_cells % width).reset_index(drop=True)
    return _as_text(Parsed(pairs.astype(np.intp), from_time.fillna(from_date)))


def _as_text(parsed: Parsed) -> Parsed:
    """Cells as ``str`` with missing values as NaN (the canonical text dtype)."""
    values = parsed.values
    values = values.astype(str).where(values.notna(), None)
    return Parsed(parsed.codes, values.astype("str"))


def _parse_stretch(frame: pd.DataFrame, encoded: Encoded, warnings: Problems) -> Parsed:
    """stretch: the catalog name; an unknown name is kept as written, with a warning."""
    codes, cells = encoded[C.STRETCH]
    names, unknown = normalise_stretch_names(cells)
    parsed = Parsed(codes, names.astype(str).where(names.notna(), None).astype("str"))
    parsed = parsed.reusing(frame.get(C.STRETCH), cells)
    rows = parsed.where(unknown)
    warnings.add(rows, C.STRETCH, "stretch not in the catalog; kept as written", names.take(codes[rows]))
    return parsed


def _parse_number(encoded: Encoded, name: str, factor: float, problems: Problems, notes: list[str]
                  ) -> tuple[Parsed, np.ndarray]:
    """A numeric column in its canonical unit, and the cells that hold a value (parsed or not).

    Plain numbers take the fast path; the cells it leaves are read as durations (hold), scores
    out of 10 (ratings) or numbers with a thousands comma, each with its own rule when unread.
    """
    codes, cells = encoded[name]
    values, bad = parse_numbers(cells)
    values, bad = values.reset_index(drop=True), bad.reset_index(drop=True)
    given = (values.notna() | bad).to_numpy(dtype=bool)
    parsed = Parsed(codes, values)
    if bad.any() or _has_comma(cells):  # cells the plain-number fast path did not read as written
        values, rules, unit = _written_amounts(cells, values, bad, name, notes)
        parsed = Parsed(codes, values)
        _add_rules(problems, parsed, rules, name)
        values = values.where(unit, values * factor)
    else:
        values = values * factor
    if name == C.REPS:
        fractional = values.notna() & (values % 1 != 0)
        problems.add(parsed.where(fractional), name, "reps must be a whole number")
        # Clamp absurd counts (1e20) so the cast cannot overflow; the range check rejects them.
        values = values.where(~fractional).round().clip(-1e9, 1e9).astype("Int64")
    return Parsed(codes, values.astype("Int64" if name == C.REPS else float)), given


def _has_comma(cells: pd.Series) -> bool:
    """True when a text cell holds a comma ("7,5", "1,000": read by the column, not the cell)."""
    if cells.dtype != object and not isinstance(cells.dtype, pd.StringDtype):
        return False
    return bool(cells.astype("string").str.contains(",", regex=False).fillna(False).any())


def _written_amounts(cells: pd.Series, values: pd.Series, bad: pd.Series, name: str, notes: list[str]
                     ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Numbers as people write them, for the cells :func:`parse_numbers` could not read plainly:
    (values, rule per cell or NA, cells whose unit was written: not scaled by the header's unit)."""
    rules = pd.Series(pd.NA, index=values.index, dtype="string")
    rules[bad] = f"{name} must be a finite number"
    text = present_text(cells)[0].reset_index(drop=True)
    commas = text.str.fullmatch(AMBIGUOUS_COMMA).fillna(False).astype(bool)
    grouped = text.str.fullmatch(THOUSANDS).fillna(False).astype(bool)
    if grouped.any():  # "1,000": the column's other cells say whether "," separates thousands
        reading = comma_reading(text)
        if reading == "thousands":
            values[grouped] = pd.to_numeric(text[grouped].str.replace(",", ""), errors="coerce")
            rules[grouped] = pd.NA
            notes.append(f"{name}: ',' read as a thousands separator")
        elif reading == "decimal":
            notes.append(f"{name}: ',' read as a decimal comma")
        elif commas.any():
            values[commas] = np.nan
            rules[commas] = (f"{name}: ',' may be a thousands separator or a decimal comma here; write "
                             f"{text[commas].iloc[0].replace(',', '')} or {text[commas].iloc[0].replace(',', '.')}")
    unit = pd.Series(False, index=values.index)
    todo = rules.notna() & ~commas
    if todo.any() and name == C.HOLD_S:
        seconds, why = durations(cells.reset_index(drop=True)[todo])
        seconds.index = why.index = values.index[todo]
        numeric = text[todo].str.fullmatch(r"[+-]?(?:inf|infinity|nan|[0-9.e+-]+)", case=False).fillna(False)
        why = why.str.replace("must", "hold_s must", n=1).where(~numeric.astype(bool), rules[todo])  # "inf", "1e400"
        values[todo], rules[todo], unit[todo] = seconds, why, seconds.notna()
        if unit.any():
            notes.append("durations as text")
    elif todo.any() and name in C.RATINGS:
        read, why = scores(text[todo], name)
        read.index = why.index = values.index[todo]
        values[todo] = read
        rules[todo] = why.where(why.notna() | read.notna(), rules[todo]).where(read.isna())
    rules[_foreign_digits(cells) & rules.notna()] = f"{name} must be written with the digits 0-9"
    return values, rules, unit


def _parse_side(encoded: Encoded, problems: Problems) -> Parsed:
    """side: left / right / both (a category)."""
    codes, cells = encoded[C.SIDE]
    side, bad = parse_side(cells)
    parsed = Parsed(codes, pd.Series(side))
    problems.add(parsed.where(bad), C.SIDE, "side must be left, right or both")
    return parsed


def _parse_notes(frame: pd.DataFrame, encoded: Encoded) -> Parsed:
    """notes: free text kept as written (an empty note is missing)."""
    codes, cells = encoded[C.NOTES]
    notes = cells.astype("string")
    values = notes.astype(str).where(notes.notna() & (notes != ""), None).astype("str")
    return Parsed(codes, values).reusing(frame.get(C.NOTES), cells)


def _parse_rest(encoded: Encoded, problems: Problems) -> tuple[Parsed, np.ndarray]:
    """planned_rest, and the cells that say something (a rest day, or a value that failed)."""
    codes, cells = encoded[C.PLANNED_REST]
    rest, bad = parse_bool(cells)
    parsed = Parsed(codes, rest.reset_index(drop=True))
    problems.add(parsed.where(bad), C.PLANNED_REST, "planned_rest must be true or false")
    return parsed, (rest | bad).to_numpy(dtype=bool)

