"""Parse the renamed raw columns into the canonical types, once per distinct cell of each column."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.cells.column import Encoded, Parsed, encode_columns, normalise_stretch_names
from backanalytics.cells.parse import parse_bool, parse_dates, parse_numbers, parse_side
from backanalytics.problems import Problems


@dataclass
class ParsedLog:
    """The renamed input, parsed (the result of :func:`parse_log`).

    Attributes
    ----------
    columns : every canonical column, as :class:`Parsed`.
    problems : cells that could not be parsed (``row, column, value, rule``).
    warnings : cells kept with a warning (``row, column, value, warning``).
    """

    columns: dict[str, Parsed]
    problems: pd.DataFrame
    warnings: pd.DataFrame

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



def parse_log(frame: pd.DataFrame, factors: Mapping[str, float] | None = None) -> ParsedLog:
    """Parse renamed raw columns into canonical types, once per distinct cell of each column.

    Problems and warnings name rows by position (``row``), with the cell as written as ``value``.
    """
    factors = factors or {}
    problems, warnings = Problems(frame), Problems(frame, "warning")
    encoded = encode_columns(frame)
    columns = {C.CLIENT_ID: _parse_client(frame, encoded, problems)}
    columns[C.DATE], date_times, bad_date = _parse_date(encoded)
    columns[C.TIME] = _parse_time(frame, encoded, date_times, columns[C.DATE].codes, problems)
    problems.add(bad_date, C.DATE, "date must be an ISO 8601 date (YYYY-MM-DD) or date-time")
    columns[C.STRETCH] = _parse_stretch(frame, encoded, warnings)
    # A row must say something: a stretch, a score, or a planned rest day. A score that failed
    # to parse still counts as said, so the row is reported for that score, not for this rule.
    said = columns[C.STRETCH].values.notna().to_numpy()[columns[C.STRETCH].codes]
    for name in [C.HOLD_S, C.PAIN, C.PAIN_AFTER, C.FLEXIBILITY, C.REACH_CM, C.REPS]:
        if name not in frame:
            columns[name] = _absent(name, len(frame))
            continue
        columns[name], given = _parse_number(encoded, name, factors.get(name, 1.0), problems)
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
    return ParsedLog(columns, problems.table(), warnings.table())


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
    cid = cells.astype("string").str.strip()
    values = cid.mask(cid == "").astype(str).where(cid.notna() & (cid != ""), None)
    parsed = Parsed(codes, values.astype("str")).reusing(frame.get(C.CLIENT_ID), cells)
    problems.add(parsed.where(cid.isna() | (cid == "")), C.CLIENT_ID, "client_id is required")
    return parsed


def _parse_date(encoded: Encoded) -> tuple[Parsed, pd.Series | None, np.ndarray]:
    """The date column, the time of day of each distinct date cell (None if none has one), and
    the rows whose date cannot be parsed."""
    codes, cells = encoded[C.DATE]
    dates, times, bad = parse_dates(cells)
    parsed = Parsed(codes, dates.reset_index(drop=True))
    return parsed, times, parsed.where(bad)


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


def _parse_number(encoded: Encoded, name: str, factor: float, problems: Problems
                  ) -> tuple[Parsed, np.ndarray]:
    """A numeric column in its canonical unit, and the cells that hold a value (parsed or not)."""
    codes, cells = encoded[name]
    values, bad = parse_numbers(cells)
    given = (values.notna() | bad).to_numpy(dtype=bool)
    parsed = Parsed(codes, values)
    problems.add(parsed.where(bad), name, f"{name} must be a finite number")
    values = (values * factor).reset_index(drop=True)
    if name == C.REPS:
        fractional = values.notna() & (values % 1 != 0)
        problems.add(parsed.where(fractional), name, "reps must be a whole number")
        # Clamp absurd counts (1e20) so the cast cannot overflow; the range check rejects them.
        values = values.where(~fractional).round().clip(-1e9, 1e9).astype("Int64")
    return Parsed(codes, values.astype("Int64" if name == C.REPS else float)), given


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

