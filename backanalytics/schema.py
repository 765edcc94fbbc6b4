"""The data contract: one pandera schema for the canonical log, and validation against it.

Validation has two steps. Parsing turns each raw cell into its canonical type (numbers with decimal
commas, ISO 8601 dates with optional time and offset, catalog stretch names) and records every cell
it cannot parse. The pandera schema then checks every rule on the parsed table in one lazy pass.
Every problem is reported with the file's line number; a row with any problem is rejected whole,
every other row is kept. ``len(valid) + len(rejected) == rows_read`` always holds.

Both steps work on distinct values: a log of millions of rows holds a few thousand client ids and
a few hundred dates, scores and stretch names. Each column is encoded once (:func:`parse.distinct`),
its distinct cells are parsed, pandera checks a compact table of the distinct typed values (every
rule of the contract judges one value at a time), and each result is spread back to the rows
holding that value. The outcome is the same as parsing and checking row by row.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.io import LogReadError, read_table_with_warnings
from backanalytics.parse import distinct, parse_bool, parse_dates, parse_numbers, parse_side, present_text

FAILURE_COLUMNS = [C.SOURCE_LINE, "column", "value", "rule"]
WARNING_COLUMNS = [C.SOURCE_LINE, "column", "value", "warning"]
EARLIEST = pd.Timestamp("1990-01-01")
REACH_RANGE = (-50.0, 100.0)  # cm; sit-and-reach can be negative, fingertip-to-floor positive


def log_schema(today: pd.Timestamp | None = None) -> pa.DataFrameSchema:
    """The canonical log schema: one column per field of the contract, rules named as sentences.

    Examples
    --------
    >>> sorted(log_schema().columns)[:3]
    ['client_id', 'date', 'flexibility']
    """
    today = pd.Timestamp(today if today is not None else dt.date.today()).normalize()

    def rating(name: str) -> pa.Column:
        return pa.Column(float, pa.Check.in_range(0, 10, error=f"{name} must be between 0 and 10"),
                         nullable=True)

    return pa.DataFrameSchema(
        {
            C.CLIENT_ID: pa.Column(
                str, pa.Check.str_length(1, 64, error="client_id must be 1 to 64 characters"), nullable=False),
            C.DATE: pa.Column("datetime64[ns]", [
                pa.Check.ge(EARLIEST, error="date must not be before 1990-01-01"),
                pa.Check.le(today, error=f"date must not be in the future (after {today.date()})"),
            ], nullable=False),
            C.TIME: pa.Column(str, nullable=True),
            C.STRETCH: pa.Column(
                str, pa.Check.str_length(1, 200, error="stretch name must be at most 200 characters"), nullable=True),
            C.HOLD_S: pa.Column(float, [
                pa.Check.gt(0, error="hold_s must be more than 0 seconds"),
                pa.Check.le(600, error="hold_s must be at most 600 seconds"),
            ], nullable=True),
            C.REPS: pa.Column(
                "Int64", pa.Check.in_range(1, 100, error="reps must be between 1 and 100"), nullable=True),
            C.SIDE: pa.Column(pd.CategoricalDtype(C.SIDES), nullable=True),
            C.PAIN: rating(C.PAIN),
            C.PAIN_AFTER: rating(C.PAIN_AFTER),
            C.FLEXIBILITY: rating(C.FLEXIBILITY),
            C.REACH_CM: pa.Column(
                float, pa.Check.in_range(*REACH_RANGE, error="reach_cm must be between -50 and 100 cm"), nullable=True),
            C.NOTES: pa.Column(str, nullable=True),
            C.PLANNED_REST: pa.Column(bool, nullable=False),
        },
        strict=True,
        ordered=True,
        name="canonical stretching log",
    )


class LogValidationError(ValueError):
    """Rows of a log break the contract. ``failures`` holds one row per problem."""

    def __init__(self, failures: pd.DataFrame, rows_read: int, source: str = "log"):
        self.failures = failures
        n_rows = failures[C.SOURCE_LINE].nunique()
        lines = [f"{source}: {n_rows} of {rows_read} rows rejected ({len(failures)} problems)"]
        lines += [describe_failure(r) for r in failures.itertuples(index=False)]
        super().__init__("\n".join(lines))


def describe_failure(row: tuple) -> str:
    """One readable line for a failure row: line, column, value (unless missing), rule.

    Examples
    --------
    >>> describe_failure((3, "pain", "11", "pain must be between 0 and 10"))
    "  line 3: pain '11': pain must be between 0 and 10"
    >>> describe_failure((4, "client_id", float("nan"), "client_id is required"))
    '  line 4: client_id: client_id is required'
    """
    line, column, value, rule = row[0], row[1], row[2], row[3]
    shown = "" if _missing(value) else " " + repr(str(value)[:60])
    return f"  line {line}: {column}{shown}: {rule}"


def _missing(value: object) -> bool:
    """True for a missing scalar (None, NaN, NaT, pd.NA); False for anything else."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array: not one missing value
        return False


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`.

    Attributes
    ----------
    valid : canonical, typed log of every row that passed.
    rejected : the offending input rows as read, with ``source_line`` and ``problems``.
    failures : one row per problem (source_line, column, value, rule).
    warnings : one row per warning (source_line, column, value, warning).
    rows_read : number of data rows in the input.
    """

    valid: pd.DataFrame
    rejected: pd.DataFrame
    failures: pd.DataFrame
    warnings: pd.DataFrame
    rows_read: int
    source: str = "log"

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return self.rejected.empty

    def summary(self) -> str:
        """One line: rows read, kept, rejected, warnings."""
        return (f"{self.source}: {self.rows_read} rows read, {len(self.valid)} valid, "
                f"{len(self.rejected)} rejected, {len(self.warnings)} warnings")

    def raise_for_rejected(self) -> pd.DataFrame:
        """Return the valid table, or raise :class:`LogValidationError` if any row was rejected."""
        if not self.ok:
            raise LogValidationError(self.failures, self.rows_read, self.source)
        return self.valid


@dataclass
class Renamed:
    """Input columns matched to the contract (the result of :func:`rename_columns`).

    Attributes
    ----------
    frame : the canonical columns found (as read) and ``source_line``, one row per input row.
    factors : unit multiplier per canonical column (``hold_min`` -> 60).
    ignored : (input column, warning) for every column not read, or read as a duplicate.
    conflicts : one problem per row where two columns read as the same canonical column disagree
        (columns ``row, column, value, rule``).
    """

    frame: pd.DataFrame
    factors: dict[str, float]
    ignored: list[tuple[str, str]] = field(default_factory=list)
    conflicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))


PROBLEM_COLUMNS = ["row", "column", "value", "rule"]
#: pandas' name for the second "date" of a header ("date.1").
_MANGLED = re.compile(r"^(?P<base>.*)\.(?P<k>[1-9]\d*)$")


def rename_columns(raw: pd.DataFrame, mapping: Mapping[str, str] | None = None) -> Renamed:
    """Map input headers to canonical names (user mapping, then aliases, case-insensitive).

    A column the user mapping names wins over alias matches for the same canonical column (they
    are ignored with a warning). Other columns that read as the same canonical column (a header
    with ``client_id`` twice, or ``pain`` and ``nprs``) are merged: an empty cell takes the other
    column's value, and a row where both hold different values is rejected (see
    :attr:`Renamed.conflicts`).

    Raises
    ------
    LogReadError
        When a required column is missing.
    """
    user = {C.normalise_header(k): v for k, v in (mapping or {}).items()}
    groups: dict[str, list[tuple[object, float, bool]]] = {}
    ignored: list[tuple[str, str]] = []
    names = {str(c) for c in raw.columns}
    for col in raw.columns:
        if col in C.RESERVED:
            continue
        found = _target(col, names, user)
        if found is None:
            ignored.append((_short(col), "column not in the contract; ignored"))
        elif found[0] not in C.CANONICAL:
            ignored.append((_short(col), f"mapped to {found[0]!r}, which is not a column of the contract; "
                                         "ignored"))
        else:
            groups.setdefault(found[0], []).append((col, found[1], found[2]))
    missing = [c for c in C.REQUIRED if c not in groups]
    if missing:
        raise LogReadError(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {_shown_headers(raw.columns.drop(list(C.RESERVED), errors='ignore'))})"
        )
    out = pd.DataFrame(index=raw.index)
    factors: dict[str, float] = {}
    conflicts: list[pd.DataFrame] = []
    for target, members in groups.items():
        if any(by_user for _, _, by_user in members):
            chosen = [m for m in members if m[2]]
            ignored += [(_short(c), f"not used: the mapping reads {target} from {_short(chosen[0][0])!r}")
                        for c, _, by_user in members if not by_user]
            members = chosen
        (first, factor, _), others = members[0], members[1:]
        out[target], factors[target] = raw[first], factor
        for col, other_factor, _ in others:
            ignored.append((_short(col), f"read as {target} too, like {_short(first)!r}; rows where the two "
                                         "disagree are rejected"))
            merged, problems = _merge_duplicate(out[target], raw[col], factor, other_factor,
                                                _label(first, raw.columns), _label(col, raw.columns))
            out[target] = merged
            conflicts.append(problems.assign(column=target))
    out[C.SOURCE_LINE] = raw[C.SOURCE_LINE]
    return Renamed(out, factors, ignored, _concat(conflicts, PROBLEM_COLUMNS))


def _target(col: object, names: set[str], user: Mapping[str, str]) -> tuple[str, float, bool] | None:
    """(canonical name, unit factor, named by the user mapping) for one input header, or None.

    A header pandas renamed to keep names unique (the second ``date`` becomes ``date.1``) is
    matched as the header it was.
    """
    key = C.normalise_header(col)
    mangled = _MANGLED.match(str(col))
    if key not in user and key not in C.ALIASES and key not in C.UNIT_ALIASES and mangled and \
            mangled["base"] in names:
        key = C.normalise_header(mangled["base"])
    if key in user:
        return user[key], 1.0, True
    if key in C.ALIASES:
        return C.ALIASES[key], 1.0, False
    if key in C.UNIT_ALIASES:
        target, factor = C.UNIT_ALIASES[key]
        return target, factor, False
    return None


def _short(name: object, limit: int = 80) -> str:
    """A header as text, shortened for messages."""
    text = str(name)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _label(col: object, columns: pd.Index) -> str:
    """'date' (column 4): a header as the user wrote it, with its position in the file."""
    mangled = _MANGLED.match(str(col))
    name = mangled["base"] if mangled and mangled["base"] in set(map(str, columns)) else str(col)
    return f"{_short(name, 40)!r} (column {columns.get_loc(col) + 1})"


def _merge_duplicate(first: pd.Series, other: pd.Series, factor: float, other_factor: float,
                     first_label: str, other_label: str) -> tuple[pd.Series, pd.DataFrame]:
    """Fill ``first``'s empty cells from ``other``; problems where both hold different values.

    Cells are compared as stripped text, or as numbers in the canonical unit when the two
    columns carry different units (``hold_s`` and ``hold_min``).
    """
    text_a, has_a = present_text(first)
    text_b, has_b = present_text(other)
    if factor == other_factor:
        differ = has_a & has_b & text_a.ne(text_b).fillna(True).astype(bool)
        fill = other
    else:
        a = parse_numbers(first)[0] * factor
        b = parse_numbers(other)[0] * other_factor
        differ = has_a & has_b & ~pd.Series(np.isclose(a, b, rtol=1e-9, atol=0), index=a.index)
        fill = (b / factor).where(b.notna(), other)
    take = ~has_a & has_b
    merged = first.astype(object).where(~take, fill.astype(object)) if take.any() else first
    rows = np.flatnonzero(differ.to_numpy())
    rules = [f"{first_label} and {other_label} disagree (the other holds {str(v)[:40]!r})"
             for v in other.iloc[rows]]
    problems = pd.DataFrame({"row": rows, "column": "", "value": first.iloc[rows].astype(object).to_numpy(),
                             "rule": rules})
    return merged, problems


def _objects(values: pd.Series | np.ndarray) -> pd.Series:
    """Values as a plain object column (problem tables hold cells of any type, as written)."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Concatenate problem tables (an empty table with ``columns`` when there are none)."""
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _shown_headers(headers: pd.Index, limit: int = 8) -> str:
    """Headers for a one-line message: printable, each shortened, at most ``limit`` of them."""
    def show(h: object) -> str:
        text = "".join(ch if ch.isprintable() else "?" for ch in str(h))
        return text if len(text) <= 30 else text[:29] + "..."
    shown = ", ".join(show(h) for h in headers[:limit])
    more = f" and {len(headers) - limit} more" if len(headers) > limit else ""
    return (shown + more) or "none"


@dataclass
class Parsed:
    """One canonical column, parsed once per distinct input cell (see :func:`parse.distinct`).

    Attributes
    ----------
    codes : for each row, the position of its cell in ``values``.
    values : the typed value of each distinct cell (canonical dtype).
    same_as : the input column, when every typed value is its cell as written or missing (text
        that needed no change): :meth:`rows` then reuses it instead of building a new column.
    """

    codes: np.ndarray
    values: pd.Series
    same_as: pd.Series | None = None

    def rows(self, positions: np.ndarray | None = None) -> pd.Series:
        """The typed column for all rows, or for the rows at ``positions``."""
        codes = self.codes if positions is None else self.codes[positions]
        if self.same_as is None and isinstance(self.values.dtype, np.dtype):  # dates, flags: plain numpy
            return pd.Series(np.take(self.values.to_numpy(), codes, mode="clip"))  # codes are all valid
        if self.same_as is None:
            return pd.Series(self.values.array.take(codes))
        column = self.same_as if positions is None else self.same_as.iloc[positions]
        column = column.reset_index(drop=True)
        missing = self.values.isna().to_numpy()[codes]
        return _blank_out(column, missing) if missing.any() else column

    def into(self, out: np.ndarray, positions: np.ndarray | None = None) -> None:
        """Write the typed values of all rows (or the rows at ``positions``) into ``out`` (numpy dtypes)."""
        codes = self.codes if positions is None else self.codes[positions]
        np.take(self.values.to_numpy(), codes, out=out, mode="clip")  # codes are all valid: no bounds check

    def reusing(self, column: pd.Series | None, cells: pd.Series) -> Parsed:
        """This column, set to reuse the input ``column`` (whose distinct cells are ``cells``)
        when every typed value is its cell or missing (see ``same_as``)."""
        if column is None or column.dtype != self.values.dtype or len(cells) != len(self.values):
            return self
        same = self.values.isna() | self.values.eq(cells).fillna(False).astype(bool)
        return Parsed(self.codes, self.values, column.reset_index(drop=True)) if same.all() else self

    def where(self, flags: np.ndarray | pd.Series) -> np.ndarray:
        """Positions of the rows whose cell is flagged (``flags`` has one entry per cell)."""
        flags = np.asarray(flags, dtype=bool)
        return np.flatnonzero(flags[self.codes]) if flags.any() else np.zeros(0, dtype=np.intp)


def _blank_out(column: pd.Series, missing: np.ndarray) -> pd.Series:
    """``column.mask(missing)``; for Arrow-backed text, by giving the same text buffers a new
    validity bitmap (no text is copied: ten million notes are blanked in milliseconds).

    Examples
    --------
    >>> column = pd.Series(["a", "", None, "d"], dtype="str")
    >>> _blank_out(column, np.array([False, True, False, False])).tolist()
    ['a', nan, nan, 'd']
    """
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        arrow = column.array._pa_array if hasattr(column.array, "_pa_array") else pa_arrow.chunked_array(
            [pa_arrow.array(column.array)])
        chunks, start = [], 0
        for chunk in arrow.chunks:
            chunks.append(_nulls_at(chunk, missing[start:start + len(chunk)]))
            start += len(chunk)
        return pd.Series(pd.array(pa_arrow.chunked_array(chunks, type=arrow.type), dtype=column.dtype))
    return column.mask(missing)


def _nulls_at(chunk: pa_arrow.Array, missing: np.ndarray) -> pa_arrow.Array:
    """``chunk`` (Arrow text) with the ``missing`` positions made null, sharing its text buffers."""
    valid = ~missing
    if chunk.null_count:
        valid &= chunk.is_valid().to_numpy(zero_copy_only=False)
    bits = np.zeros(chunk.offset + len(chunk), dtype=bool)
    bits[chunk.offset:] = valid
    bitmap = pa_arrow.py_buffer(np.packbits(bits, bitorder="little"))
    buffers = chunk.buffers()
    return pa_arrow.Array.from_buffers(chunk.type, len(chunk), [bitmap, *buffers[1:]],
                                       null_count=int(len(chunk) - valid.sum()), offset=chunk.offset)


Encoded = dict[str, tuple[np.ndarray, pd.Series]]
#: Logs at least this long have their columns encoded in parallel threads (Arrow and pandas
#: release the GIL while hashing).
PARALLEL_MIN_ROWS = 100_000


def encode_columns(frame: pd.DataFrame) -> Encoded:
    """:func:`parse.distinct` of every canonical column; a missing column is one empty cell."""
    names = [n for n in C.CANONICAL if n in frame]
    if len(frame) >= PARALLEL_MIN_ROWS and (os.cpu_count() or 1) > 1:
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            found = dict(zip(names, pool.map(lambda n: distinct(frame[n]), names), strict=True))
    else:
        found = {n: distinct(frame[n]) for n in names}
    empty = (np.zeros(len(frame), dtype=np.intp), pd.Series([pd.NA], dtype=object))
    return {n: found.get(n, empty) for n in C.CANONICAL}


def _normalise_stretch_names(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """:func:`backanalytics.catalog.normalise_names` of distinct cells: (names, unknown flags)."""
    names, unknown = catalog.normalise_names(cells.astype(object))
    return names.reset_index(drop=True), unknown.to_numpy(dtype=bool)


#: Cells that are not one value: a Parquet list or struct, a JSON array or object.
_CONTAINERS = (dict, list, tuple, set, frozenset, np.ndarray, pd.Series)
#: What :func:`pandas.api.types.infer_dtype` says of a column that holds only plain values.
_PLAIN_KINDS = {"string", "empty", "floating", "integer", "mixed-integer-float", "decimal", "boolean",
                "datetime64", "datetime", "date", "timedelta64", "timedelta", "time", "period",
                "categorical"}


def unpack_cells(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Make every cell a plain value: decode bytes, reject lists and records.

    Bytes (a Parquet binary column) are decoded as UTF-8, invalid sequences replaced by U+FFFD
    with a warning. A list, array or record cell (Parquet list/struct, JSON array/object) cannot
    be one client id, date or score: it is a problem of its row, and the cell is emptied.

    Returns (frame, problems, warnings), problems and warnings with a ``row`` position column.
    """
    problems, warnings = [], []
    out = frame
    for name in frame.columns:
        if name == C.SOURCE_LINE or frame[name].dtype != object:
            continue
        column = frame[name]
        if pd.api.types.infer_dtype(column, skipna=True) in _PLAIN_KINDS:
            continue
        is_container = column.map(lambda v: isinstance(v, _CONTAINERS)).to_numpy(dtype=bool)
        is_bytes = column.map(lambda v: isinstance(v, (bytes, bytearray, memoryview))).to_numpy(dtype=bool)
        if not (is_container.any() or is_bytes.any()):
            continue
        if out is frame:
            out = frame.copy()
        cleaned = column.copy()
        rows = np.flatnonzero(is_container)
        cleaned.iloc[rows] = None
        problems.append(pd.DataFrame({
            "row": rows, "column": name, "value": column.iloc[rows].map(_shown_value).to_numpy(),
            "rule": f"{name} must be a single value, not a list or a record"}))
        rows = np.flatnonzero(is_bytes)
        cleaned.iloc[rows] = [bytes(v).decode("utf-8", errors="replace") for v in column.iloc[rows]]
        broken = [r for r, v in zip(rows, column.iloc[rows], strict=True) if _invalid_utf8(v)]
        warnings.append(pd.DataFrame({
            "row": broken, "column": name, "value": cleaned.iloc[broken].to_numpy(),
            "warning": "not valid UTF-8 text; undecodable bytes replaced by \ufffd"}))
        out[name] = cleaned
    return (out, _concat(problems, PROBLEM_COLUMNS),
            _concat(warnings, ["row", "column", "value", "warning"]))


def _invalid_utf8(value: bytes | bytearray | memoryview) -> bool:
    """True when the bytes are not valid UTF-8."""
    try:
        bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _shown_value(value: object) -> str:
    """A list or record cell as short text for a failure message."""
    text = repr(value.tolist() if isinstance(value, (np.ndarray, pd.Series)) else value)
    return text if len(text) <= 80 else text[:77] + "..."


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


class _Problems:
    """Collects problems (or warnings) as rows of one table: ``row, column, value, <last>``."""

    def __init__(self, frame: pd.DataFrame, last: str = "rule"):
        self.frame, self.last, self.parts = frame, last, []

    def add(self, rows: np.ndarray, column: str, text: str, values: pd.Series | None = None) -> None:
        """One entry per row; the value shown is the cell as written unless ``values`` are given."""
        if not len(rows):
            return
        if values is None:
            values = self.frame[column] if column in self.frame else pd.Series([pd.NA] * len(self.frame))
            values = values.iloc[rows]
        self.parts.append(pd.DataFrame({"row": rows, "column": column, "value": _objects(values),
                                        self.last: text}))

    def table(self) -> pd.DataFrame:
        """Everything added, as one table."""
        return _concat(self.parts, ["row", "column", "value", self.last])


def parse_log(frame: pd.DataFrame, factors: Mapping[str, float] | None = None) -> ParsedLog:
    """Parse renamed raw columns into canonical types, once per distinct cell of each column.

    Problems and warnings name rows by position (``row``), with the cell as written as ``value``.
    """
    factors = factors or {}
    problems, warnings = _Problems(frame), _Problems(frame, "warning")
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


def _parse_client(frame: pd.DataFrame, encoded: Encoded, problems: _Problems) -> Parsed:
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
                date_codes: np.ndarray, problems: _Problems) -> Parsed:
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


def _parse_stretch(frame: pd.DataFrame, encoded: Encoded, warnings: _Problems) -> Parsed:
    """stretch: the catalog name; an unknown name is kept as written, with a warning."""
    codes, cells = encoded[C.STRETCH]
    names, unknown = _normalise_stretch_names(cells)
    parsed = Parsed(codes, names.astype(str).where(names.notna(), None).astype("str"))
    parsed = parsed.reusing(frame.get(C.STRETCH), cells)
    rows = parsed.where(unknown)
    warnings.add(rows, C.STRETCH, "stretch not in the catalog; kept as written", names.take(codes[rows]))
    return parsed


def _parse_number(encoded: Encoded, name: str, factor: float, problems: _Problems
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


def _parse_side(encoded: Encoded, problems: _Problems) -> Parsed:
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


def _parse_rest(encoded: Encoded, problems: _Problems) -> tuple[Parsed, np.ndarray]:
    """planned_rest, and the cells that say something (a rest day, or a value that failed)."""
    codes, cells = encoded[C.PLANNED_REST]
    rest, bad = parse_bool(cells)
    parsed = Parsed(codes, rest.reset_index(drop=True))
    problems.add(parsed.where(bad), C.PLANNED_REST, "planned_rest must be true or false")
    return parsed, (rest | bad).to_numpy(dtype=bool)


#: pandera checks that judge each value on its own: a column can be checked on its distinct values.
_ELEMENTWISE_CHECKS = {"in_range", "str_length", "greater_than", "greater_than_or_equal_to", "less_than",
                       "less_than_or_equal_to", "equal_to", "not_equal_to", "isin", "notin", "str_matches",
                       "str_contains", "str_startswith", "str_endswith"}


def _schema_failures(parsed: ParsedLog, today: pd.Timestamp | None) -> pd.DataFrame:
    """Run the pandera schema lazily; return (row, column, value, rule) for every failed check.

    Every check of the contract judges one value at a time, so pandera runs on a compact table
    of each column's distinct typed values, and each failure is then spread out to the rows that
    hold that value: the same problems as validating every row, in a fraction of the time. A
    schema with any other kind of check is run on the whole table.
    """
    schema = _cached_schema(pd.Timestamp(today if today is not None else dt.date.today()).normalize())
    if not _checks_are_elementwise(schema):
        return _failures_of(schema, parsed.frame(), lambda column, index: np.asarray(index, dtype=np.intp))
    checked = [len(parsed.columns[n].values) for n, col in schema.columns.items()
               if col.checks or not col.nullable]
    size = max(checked, default=1)
    compact = pd.DataFrame({n: p.values.take(np.arange(size) % len(p.values)).reset_index(drop=True)
                            for n, p in parsed.columns.items()})[C.CANONICAL]

    def rows(column: str, index: np.ndarray) -> np.ndarray:
        """The rows holding the values at compact positions ``index`` of ``column``."""
        p = parsed.columns[column]
        flags = np.zeros(len(p.values), dtype=bool)
        flags[np.asarray(index, dtype=np.intp) % len(p.values)] = True
        return p.where(flags)

    return _failures_of(schema, compact, rows)


@functools.lru_cache(maxsize=8)
def _cached_schema(today: pd.Timestamp) -> pa.DataFrameSchema:
    """:func:`log_schema` for one day, built once (validation does not change a schema)."""
    return log_schema(today)


def _checks_are_elementwise(schema: pa.DataFrameSchema) -> bool:
    """True when every check of ``schema`` is a per-value column check (no table or unique checks)."""
    if schema.checks or schema.unique:
        return False
    return all(not col.unique and all(c.name in _ELEMENTWISE_CHECKS for c in col.checks)
               for col in schema.columns.values())


def _failures_of(schema: pa.DataFrameSchema, table: pd.DataFrame, rows) -> pd.DataFrame:
    """pandera's failure cases on ``table`` as problems; ``rows(column, index)`` names the rows."""
    try:
        schema.validate(table, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna()]
        parts = []
        for (column, check), group in fc.groupby(["column", "check"], sort=False):
            # pandera names a missing value "not_nullable"; say it as a rule people read.
            rule = f"{column} is required" if check == "not_nullable" else str(check)
            found = rows(str(column), group["index"].to_numpy(dtype=np.int64))
            parts.append(pd.DataFrame({"row": found, "column": str(column), "value": None, "rule": rule}))
        return _concat(parts, PROBLEM_COLUMNS)
    return pd.DataFrame(columns=PROBLEM_COLUMNS)


#: Duplicate keys: a stretch row repeats when all of these match; a score-only row (no stretch)
#: when client, date and time match.
DUPLICATE_KEYS = [C.CLIENT_ID, C.DATE, C.TIME, C.STRETCH, C.SIDE]
SCORE_DUPLICATE_KEYS = [C.CLIENT_ID, C.DATE, C.TIME]


def _duplicates(parsed: ParsedLog, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(repeated stretch rows, repeated score-only rows) among ``rows`` (default: all rows).

    Every repeat after the first is returned. Both kinds are found in one pass: a score-only row
    has no stretch, so it never matches a stretch row, and its side is left out of its key.
    """
    stretch = parsed.columns[C.STRETCH]
    has_stretch = stretch.values.notna().to_numpy()[stretch.codes if rows is None else stretch.codes[rows]]
    keys = []
    for name in DUPLICATE_KEYS:
        codes, size = _value_codes(parsed.columns[name], rows, in_order=name != C.CLIENT_ID)
        if name == C.SIDE:
            codes *= has_stretch
        keys.append((codes, size))
    repeated = _repeated(keys)
    positions = np.arange(len(has_stretch)) if rows is None else rows
    return positions[repeated & has_stretch], positions[repeated & ~has_stretch]


def _value_codes(parsed: Parsed, rows: np.ndarray | None, in_order: bool) -> tuple[np.ndarray, int]:
    """Per row, a code >= 0 for its typed value (equal values, equal codes; 0 for a missing one).

    With ``in_order`` codes follow the values' order, else their first appearance: either way a
    log sorted by client (in any order) and then date and time gets increasing keys.
    """
    codes, uniques = pd.factorize(parsed.values, sort=in_order, use_na_sentinel=True)
    table = (codes + 1).astype(np.min_scalar_type(len(uniques) + 1))  # small codes: less memory to fill
    return table[parsed.codes if rows is None else parsed.codes[rows]], len(uniques) + 1


def _repeated(keys: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Mask of the rows whose key columns all equal those of an earlier row (``duplicated``).

    The keys are combined into one integer and sorted (stably, so the first of equal keys is
    the earliest row); a log already in key order, the usual case, needs no sort at all.
    """
    combined, span = keys[0][0].astype(np.int64), keys[0][1]
    for codes, size in keys[1:]:
        if span * size >= 2**62:  # too many combinations for one integer: let pandas combine them
            return pd.DataFrame({i: c for i, (c, _) in enumerate(keys)}).duplicated(keep="first").to_numpy()
        combined *= size
        combined += codes
        span *= size
    repeated = np.zeros(len(combined), dtype=bool)
    if len(combined) < 2:
        return repeated
    if (combined[1:] >= combined[:-1]).all():
        repeated[1:] = combined[1:] == combined[:-1]
        return repeated
    order = np.argsort(combined, kind="stable")
    ordered = combined[order]
    repeated[order[1:][ordered[1:] == ordered[:-1]]] = True
    return repeated


def validate(source: str | Path | pd.DataFrame, mapping: Mapping[str, str] | None = None,
             today: dt.date | pd.Timestamp | None = None) -> ValidationReport:
    """Read and validate a log into the canonical table, finding every problem in one pass.

    Parameters
    ----------
    source
        A path (CSV, Excel, Parquet, JSON) or a DataFrame. A DataFrame's own ``source_line``
        column (e.g. from :func:`backanalytics.read_table`) gives the line numbers when it holds
        whole numbers >= 1; otherwise rows are numbered from 1 and that column is ignored.
    mapping
        Extra header mapping, input name -> canonical name (applied before the alias table).
    today
        The date after which dates are "in the future" (default: the real today).

    Returns
    -------
    ValidationReport
        ``valid`` + ``rejected`` always add up to the rows read.

    Raises
    ------
    LogReadError
        When the input cannot be used at all (missing file, unknown format, no required column).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Client": ["ana", "ana"], "Date": ["2026-01-05", "2026-01-06"],
    ...                     "Exercise": ["childs pose", "Cat-Cow"], "NPRS": ["5", "11"]})
    >>> report = validate(raw)
    >>> report.valid["stretch"].tolist(), report.failures["rule"].tolist()
    (["Child's Pose"], ['pain must be between 0 and 10'])
    """
    name = Path(source).name if isinstance(source, (str, Path)) else "log"
    raw, read_warnings = _read(source, mapping)
    try:
        renamed = rename_columns(raw, mapping)
    except LogReadError as exc:
        raise LogReadError(f"{name}: {exc}") from None
    if raw.empty:
        raise LogReadError(f"{name}: the file has a header but no rows")
    frame, cell_problems, cell_warnings = unpack_cells(renamed.frame.reset_index(drop=True))
    parsed = parse_log(frame, renamed.factors)
    problems = _all_problems(raw, frame, parsed, renamed, cell_problems, today)
    bad_rows = np.unique(problems["row"].to_numpy(dtype=np.intp))
    good_rows = np.setdiff1d(np.arange(len(frame)), bad_rows, assume_unique=True) if len(bad_rows) else None
    lines = frame[C.SOURCE_LINE]
    row_warnings = _concat([cell_warnings, parsed.warnings], ["row", "column", "value", "warning"])
    row_warnings = _concat([row_warnings[~row_warnings["row"].isin(bad_rows)],
                            _duplicate_warnings(parsed, good_rows)], ["row", "column", "value", "warning"])
    warnings = pd.concat([_with_lines(row_warnings, lines, "warning").astype({C.SOURCE_LINE: "Int64"}),
                          _header_warnings(renamed.ignored, read_warnings)], ignore_index=True)
    failures = _with_lines(problems, lines, "rule").sort_values(
        [C.SOURCE_LINE, "column"], kind="stable").reset_index(drop=True)
    return ValidationReport(valid=parsed.frame(good_rows), rejected=_rejected(raw, problems, bad_rows),
                            failures=failures, warnings=warnings, rows_read=len(raw), source=name)


def _all_problems(raw: pd.DataFrame, frame: pd.DataFrame, parsed: ParsedLog, renamed: Renamed,
                  cell_problems: pd.DataFrame, today: dt.date | pd.Timestamp | None) -> pd.DataFrame:
    """Every problem of every row, each cell reported once: cells that are no single value,
    cells that cannot be parsed, pandera's failed checks, disagreeing duplicate columns, extra
    CSV fields."""
    parse_problems = _concat([cell_problems, _without(parsed.problems, cell_problems)], PROBLEM_COLUMNS)
    # Cells that failed to parse are NaN now; pandera would report them again as "not nullable".
    schema_problems = _without(_schema_failures(parsed, pd.Timestamp(today) if today else None),
                               parse_problems)
    schema_problems["value"] = _written(schema_problems, frame, parsed).tolist()
    return _concat([parse_problems, schema_problems, renamed.conflicts, _extra_fields(raw)], PROBLEM_COLUMNS)


def _rejected(raw: pd.DataFrame, problems: pd.DataFrame, bad_rows: np.ndarray) -> pd.DataFrame:
    """The rejected input rows as read, each with its problems joined in one ``problems`` cell."""
    # A slice when nothing is rejected: taking rows from Arrow text read in chunks concatenates them.
    rejected = raw.iloc[bad_rows].copy() if len(bad_rows) else raw.iloc[:0].copy()
    joined = problems.assign(text=problems["column"] + ": " + problems["rule"]).groupby(
        "row", sort=True)["text"].agg("; ".join)
    rejected["problems"] = joined.reindex(bad_rows).to_numpy()
    return rejected.reset_index(drop=True)


def _written(problems: pd.DataFrame, frame: pd.DataFrame, parsed: ParsedLog) -> np.ndarray:
    """Each problem's cell as the user wrote it ("11", not 11.0); the typed value if not in the input."""
    values = np.empty(len(problems), dtype=object)
    for column, group in problems.groupby("column", sort=False):
        rows = group["row"].to_numpy(dtype=np.intp)
        cells = frame[column].iloc[rows] if column in frame else parsed.columns[str(column)].rows(rows)
        values[problems.index.get_indexer(group.index)] = cells.astype(object).to_numpy()
    return values


def _read(source: str | Path | pd.DataFrame, mapping: Mapping[str, str] | None
          ) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """The raw table with ``source_line``, and the reader's warnings (column, value, warning)."""
    if not isinstance(source, pd.DataFrame):
        return read_table_with_warnings(source, mapping)
    raw = source.reset_index(drop=True).copy()
    if C.SOURCE_LINE in raw and not _whole_lines(raw[C.SOURCE_LINE]):
        raw = raw.rename(columns={C.SOURCE_LINE: f"{C.SOURCE_LINE} (input)"})
    if C.SOURCE_LINE not in raw:
        raw[C.SOURCE_LINE] = raw.index + 1
    return raw, []


def _whole_lines(lines: pd.Series) -> bool:
    """True when a column can be line numbers: whole numbers >= 1, none missing."""
    if not pd.api.types.is_numeric_dtype(lines) or pd.api.types.is_bool_dtype(lines):
        return False
    values = lines.to_numpy(dtype=float, na_value=np.nan)
    return bool(np.isfinite(values).all() and (values >= 1).all() and (values % 1 == 0).all())


def _without(problems: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """``problems`` minus those on a (row, column) cell that ``known`` already reports."""
    if problems.empty or known.empty:
        return problems.reset_index(drop=True)
    names = {c: i for i, c in enumerate(pd.unique(pd.concat([problems["column"], known["column"]])))}

    def cells(table: pd.DataFrame) -> np.ndarray:
        return table["row"].to_numpy(dtype=np.int64) * len(names) + table["column"].map(names).to_numpy()

    return problems[~np.isin(cells(problems), cells(known))].reset_index(drop=True)


def _extra_fields(raw: pd.DataFrame) -> pd.DataFrame:
    """One problem per CSV row with more fields than its header."""
    if C.EXTRA_FIELDS not in raw:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    cells = raw[C.EXTRA_FIELDS].reset_index(drop=True)
    rows = np.flatnonzero(cells.astype(str).str.strip().ne("").to_numpy(dtype=bool))
    return pd.DataFrame({"row": rows, "column": "row", "value": _objects(cells.iloc[rows]),
                         "rule": "row has more fields than the header (an unquoted delimiter, e.g. a comma "
                                 "in a note?)"})


def _duplicate_warnings(parsed: ParsedLog, rows: np.ndarray | None) -> pd.DataFrame:
    """Warnings for valid ``rows`` (None: all) that repeat an earlier valid row (kept, never merged)."""
    client = parsed.columns[C.CLIENT_ID]
    parts = []
    for found, text in zip(_duplicates(parsed, rows), [
            "duplicate entry (same client, date, time, stretch, side); kept",
            "duplicate score-only entry (same client, date, time); kept"], strict=True):
        parts.append(pd.DataFrame({"row": found, "column": "row",
                                   "value": _objects(client.rows(found)), "warning": text}))
    return _concat(parts, ["row", "column", "value", "warning"]).sort_values("row", kind="stable")


def _header_warnings(ignored: list[tuple[str, str]], read_warnings: list[tuple[str, str, str]]
                     ) -> pd.DataFrame:
    """Warnings about the file and its columns (no line): built at once, one row each."""
    columns = [c for c, _ in ignored] + [c for c, _, _ in read_warnings]
    return pd.DataFrame({C.SOURCE_LINE: pd.array([pd.NA] * len(columns), dtype="Int64"), "column": columns,
                         "value": [None] * len(ignored) + [v for _, v, _ in read_warnings],
                         "warning": [w for _, w in ignored] + [w for _, _, w in read_warnings]})


def _with_lines(table: pd.DataFrame, lines: pd.Series, last: str) -> pd.DataFrame:
    """Problems or warnings with each row position replaced by its source line."""
    out = table.assign(**{C.SOURCE_LINE: lines.to_numpy()[table["row"].to_numpy(dtype=int)]})
    return out[[C.SOURCE_LINE, "column", "value", last]].reset_index(drop=True)


def load_log(source: str | Path | pd.DataFrame, mapping: Mapping[str, str] | None = None,
             today: dt.date | pd.Timestamp | None = None) -> pd.DataFrame:
    """Return the valid canonical log, or raise :class:`LogValidationError` listing every problem.

    Examples
    --------
    >>> import pandas as pd
    >>> log = load_log(pd.DataFrame({"client_id": ["c1"], "date": ["2026-01-05"],
    ...                              "stretch": ["cobra"], "hold_s": ["20"]}))
    >>> log.loc[0, "stretch"], float(log.loc[0, "hold_s"])
    ('Cobra Stretch', 20.0)
    """
    return validate(source, mapping=mapping, today=today).raise_for_rejected()
