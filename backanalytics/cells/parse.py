"""Vectorised cell parsers: text as people type it -> canonical values, plus a mask of failures.

Each parser returns the parsed values and a boolean mask of cells that were present but could not
be parsed (a missing cell is not a failure). They accept already-typed columns too (Parquet, Excel).
Every parser works cell by cell, so validation runs them on the distinct cells of a column only
(:func:`distinct`) and spreads the results back to the rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Cell texts that mean "no value".
MISSING = {"", "na", "n/a", "nan", "none", "null", "-", "--", "?", "nil", "#n/a", "missing"}

_ISO = (r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
        r"(?:[T ](?P<time>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)(?:[.,][0-9]+)?"
        r"\s*(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?)?$")
_TIME = r"^(?P<time>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)(?:[.,][0-9]+)?$"
#: Unambiguous non-ISO formats also accepted (day names written out, or dotted European dates).
_OTHER_FORMATS = ["%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
                  "%b %d %Y", "%B %d %Y", "%Y%m%d"]


def present_text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Stripped text of each cell and the mask of cells that hold a value (see :data:`MISSING`).

    Bytes are decoded as UTF-8, undecodable sequences replaced by U+FFFD.

    Examples
    --------
    >>> text, present = present_text(pd.Series([" 5 ", "n/a", None, b"x\\xff"]))
    >>> text.tolist()[0], text.tolist()[3], present.tolist()
    ('5', 'x\ufffd', [True, False, False, True])
    """
    try:
        text = raw.astype("string")
    except (UnicodeDecodeError, TypeError):
        text = raw.map(_decoded, na_action="ignore").astype("string")
    text = text.str.strip()
    present = text.notna() & ~text.str.lower().isin(MISSING).fillna(False)
    return text, present.astype(bool)


_text = present_text


def _decoded(value: object) -> object:
    """Bytes as UTF-8 text (U+FFFD for undecodable sequences); anything else as is."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return value


def distinct(raw: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each distinct cell once: ``(codes, cells)`` with ``raw[i]`` the same cell as ``cells[codes[i]]``.

    ``codes`` is an integer array (its width depends on the input); ``cells`` has a RangeIndex.

    Every parser here works cell by cell, so parsing the few distinct cells of a column (a log of
    millions of rows holds a few hundred dates and scores) and spreading the results out with
    ``codes`` gives exactly what parsing the whole column gives. Cells are told apart exactly:
    text, whole numbers, dates and flags by value; floats by their bits (``0.0`` and ``-0.0``
    stay two cells); mixed object cells by type and value (``1``, ``1.0``, ``True`` and ``"1"``
    are four cells). Missing cells share one cell at the end.

    Examples
    --------
    >>> codes, cells = distinct(pd.Series(["5", "7,5", "5", None]))
    >>> codes.tolist(), cells.tolist()
    ([0, 1, 0, 2], ['5', '7,5', nan])
    """
    if pd.api.types.is_float_dtype(raw):
        bits = raw.to_numpy(dtype=np.float64, na_value=np.nan).view(np.int64)
        return _distinct_by_key(raw, pd.Series(bits))
    if pd.api.types.is_complex_dtype(raw):
        return np.arange(len(raw), dtype=np.intp), raw.reset_index(drop=True)
    if raw.dtype == object and pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty"):
        try:
            return _distinct_by_key(raw, raw.map(lambda v: (type(v), v)))
        except TypeError:  # an unhashable cell: every cell is its own
            return np.arange(len(raw), dtype=np.intp), raw.reset_index(drop=True)
    if isinstance(raw.dtype, pd.StringDtype) and raw.dtype.storage == "pyarrow":
        codes, cells = _distinct_arrow_text(raw)
    else:
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        cells = pd.Series(uniques, dtype=raw.dtype) if raw.dtype == object else pd.Series(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(cells), codes)
        cells = cells.reindex(pd.RangeIndex(len(cells) + 1))
    return codes, cells


def _distinct_arrow_text(raw: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """:func:`pandas.factorize` of Arrow-backed text, done by Arrow itself (a few times faster).

    Codes and cells are exactly pandas' (pandas calls the same kernel): cells in order of first
    appearance, -1 for a missing cell.
    """
    if len(raw) == 0:
        return np.zeros(0, dtype=np.intp), pd.Series([], dtype=raw.dtype)
    encoded = pc.dictionary_encode(pa.array(raw.array))
    chunks = [c for c in (encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]) if len(c)]
    dictionary = chunks[-1].dictionary  # one dictionary, grown over the chunks
    if any(len(c.dictionary) and not c.dictionary.equals(dictionary.slice(0, len(c.dictionary)))
           for c in chunks):
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        return codes, pd.Series(uniques)
    indices = [c.indices.fill_null(-1) if c.null_count else c.indices for c in chunks]
    codes = np.concatenate([i.to_numpy(zero_copy_only=False) for i in indices])
    return codes, pd.Series(pd.array(dictionary, dtype=raw.dtype))


def _distinct_by_key(raw: pd.Series, key: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """:func:`distinct` by an exact stand-in ``key`` for each cell (bits, or (type, value))."""
    codes, _ = pd.factorize(key, use_na_sentinel=False)
    first = pd.Series(codes).drop_duplicates().index.to_numpy()
    return codes.astype(np.intp, copy=False), raw.iloc[first].reset_index(drop=True)


def parse_numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers; accepts decimal commas ("7,5"); NaN/inf/garbage are failures.

    Examples
    --------
    >>> v, bad = parse_numbers(pd.Series(["7,5", "3", "n/a", "inf", "x"]))
    >>> v.tolist()[:2], bad.tolist()
    ([7.5, 3.0], [False, False, False, True, True])
    """
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = values.notna() & ~np.isfinite(values.fillna(0))
        return values.where(~bad), bad
    text, present = _text(raw)
    # Fast path: plain decimals of at most 15 digits, which every correctly rounding parser
    # (pyarrow's, pandas') turns into the same float; everything else takes the general path.
    plain = _matches(text, _PLAIN_NUMBER)
    values = pd.Series(np.nan, index=raw.index)
    if plain.any():
        values[plain] = pc.cast(pa.array(text[plain].to_numpy(dtype=object)), pa.float64()).to_numpy()
    rest = present & ~plain
    if rest.any():
        other = text[rest].str.replace(r"^([+-]?[0-9]+),([0-9]+)$", r"\1.\2", regex=True)
        values[rest] = pd.to_numeric(other, errors="coerce").astype(float)
    bad = present & (values.isna() | ~np.isfinite(values.fillna(0)))
    return values.where(~bad), bad.astype(bool)


_PLAIN_NUMBER = r"-?[0-9]{1,9}(?:\.[0-9]{1,6})?"
_PLAIN_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_PLAIN_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"


def _matches(text: pd.Series, pattern: str) -> pd.Series:
    """Boolean mask of cells matching ``pattern`` in full (missing cells do not match)."""
    return text.str.fullmatch(pattern).fillna(False).astype(bool)


def _extract(text: pd.Series, pattern: str, plain: str, group: str) -> pd.DataFrame:
    """``text.str.extract(pattern)``, skipping the regex engine for cells that are ``plain``.

    A plain cell (e.g. ``2026-01-05``) is its own ``group`` with every other group empty, which
    is what the full pattern would extract; the full pattern runs on the other cells only.
    """
    fast = _matches(text, plain)
    parts = text.iloc[:0].str.extract(pattern).reindex(text.index)
    parts[group] = text.where(fast)
    rest = text.notna() & ~fast
    if rest.any():
        parts.loc[rest, :] = text[rest].str.extract(pattern)
    return parts


def parse_dates(raw: pd.Series, time_only: bool = False
                ) -> tuple[pd.Series, pd.Series | None, pd.Series]:
    """Parse dates: ISO 8601 date or date-time (offset kept as written: the local date and time).

    Returns (dates normalised to midnight, times as "HH:MM:SS" or None when no cell had a time,
    failure mask). With ``time_only`` the cells are times of day.

    Examples
    --------
    >>> d, t, bad = parse_dates(pd.Series(["2026-03-29T08:05:00+02:00", "2026-02-30", "5 Jan 2026"]))
    >>> [str(x.date()) if x == x else None for x in d], t.tolist()[0], bad.tolist()
    (['2026-03-29', None, '2026-01-05'], '08:05:00', [False, True, False])
    """
    index = raw.index
    if pd.api.types.is_datetime64_any_dtype(raw):
        stamps = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        stamps = _to_ns(stamps)
        times = stamps.dt.strftime("%H:%M:%S").where(stamps.notna())
        if (times.dropna() == "00:00:00").all():
            times = None
        return stamps.dt.normalize(), times, pd.Series(False, index=index)
    if raw.dtype == object:
        # Excel and JSON hand over datetime objects; render them as ISO text first.
        raw = raw.map(_iso_text)
    text, present = _text(raw)
    if time_only:
        parts = _extract(text, _TIME, _PLAIN_TIME, "time")
        times = _pad_time(parts["time"])
        bad = present & times.isna()
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]"), times, bad
    parts = _extract(text, _ISO, _PLAIN_DATE, "date")
    dates = pd.to_datetime(parts["date"], format="%Y-%m-%d", errors="coerce")
    rest = present & parts["date"].isna()
    if rest.any():
        for fmt in _OTHER_FORMATS:
            todo = rest & dates.isna()
            if not todo.any():
                break
            dates = dates.fillna(pd.to_datetime(text.where(todo), format=fmt, errors="coerce"))
    dates = _to_ns(dates)
    times = _pad_time(parts["time"])
    bad_time = parts["time"].notna().to_numpy() & times.isna().to_numpy()  # "2026-01-05T25:00"
    if times.isna().all() or (times.dropna() == "00:00:00").all():
        times = None
    bad = present & (dates.isna() | bad_time)
    return dates, times, bad.astype(bool)


#: Dates outside nanosecond range (years 1678-2261) are clamped to these bounds, so "9999-12-31"
#: is rejected by the schema as a future date instead of overflowing.
_NS_BOUNDS = (pd.Timestamp("1678-01-01"), pd.Timestamp("2262-04-11"))


def _to_ns(stamps: pd.Series) -> pd.Series:
    """Convert to ``datetime64[ns]``, clamping out-of-range dates to :data:`_NS_BOUNDS`."""
    return stamps.clip(lower=_NS_BOUNDS[0], upper=_NS_BOUNDS[1]).astype("datetime64[ns]")


def _iso_text(value: object) -> object:
    """A datetime as "YYYY-MM-DD HH:MM:SS", a date or time as its ISO text; anything else as is."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value


def _pad_time(times: pd.Series) -> pd.Series:
    """'8:05' -> '08:05:00'; invalid clock times -> NA."""
    t = times.astype("string")
    todo = t.notna() & ~_matches(t, _PLAIN_TIME)  # not already HH:MM:SS and a valid clock time
    if not todo.any():  # e.g. the time part of dates written without one
        return t
    rest = t[todo]
    rest = rest.where(~rest.str.count(":").eq(1).fillna(False), rest + ":00")
    rest = rest.str.zfill(8)
    # strptime reads "23:59:60" (a leap second) as the next day: seconds must be 00-59 here.
    ok = pd.to_datetime(rest, format="%H:%M:%S", errors="coerce").notna() & rest.str[6:8].lt("60").fillna(False)
    t[todo] = rest.where(ok)
    return t


def _lookup(text: pd.Series, table: dict[str, object]) -> pd.Series:
    """``text.astype(object).map(table)``, looking each distinct cell up once (NaN when absent)."""
    codes, uniques = pd.factorize(text)
    found = np.array([*(table.get(u, np.nan) for u in uniques), np.nan], dtype=object)
    return pd.Series(found[codes], index=text.index, dtype=object)


_SIDES = {"left": "left", "l": "left", "lt": "left", "right": "right", "r": "right",
          "rt": "right", "both": "both", "b": "both", "bilateral": "both", "both sides": "both",
          "left and right": "both", "l+r": "both", "l/r": "both"}


def parse_side(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse side of the body: left / right / both (and common abbreviations)."""
    text, present = _text(raw)
    side = _lookup(text.str.lower(), _SIDES)
    bad = present & side.isna()
    return pd.Categorical(side.where(~bad), categories=["left", "right", "both"]), bad.astype(bool)


_BOOLS = {"true": True, "yes": True, "y": True, "1": True, "1.0": True, "x": True,
          "false": False, "no": False, "n": False, "0": False, "0.0": False}


def parse_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a yes/no flag; a missing cell is False."""
    if pd.api.types.is_bool_dtype(raw):
        return raw.fillna(False).astype(bool), pd.Series(False, index=raw.index)
    text, present = _text(raw)
    value = _lookup(text.str.lower(), _BOOLS)
    bad = present & value.isna()
    return value.where(present & ~bad, False).astype(bool), bad.astype(bool)
