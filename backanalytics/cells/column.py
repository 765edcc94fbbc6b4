"""One canonical column parsed once per distinct cell, and the cells made plain values first."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa_arrow

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.cells.parse import distinct
from backanalytics.problems import PROBLEM_COLUMNS, concat


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
        return blank_out(column, missing) if missing.any() else column

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


def blank_out(column: pd.Series, missing: np.ndarray) -> pd.Series:
    """``column.mask(missing)``; for Arrow-backed text, by giving the same text buffers a new
    validity bitmap (no text is copied: ten million notes are blanked in milliseconds).

    Examples
    --------
    >>> column = pd.Series(["a", "", None, "d"], dtype="str")
    >>> blank_out(column, np.array([False, True, False, False])).tolist()
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


def normalise_stretch_names(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
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
    return (out, concat(problems, PROBLEM_COLUMNS),
            concat(warnings, ["row", "column", "value", "warning"]))


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

