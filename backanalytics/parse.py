"""Vectorised cell parsers: text as people type it -> canonical values, plus a mask of failures.

Each parser returns the parsed values and a boolean mask of cells that were present but could not
be parsed (a missing cell is not a failure). They accept already-typed columns too (Parquet, Excel).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Cell texts that mean "no value".
MISSING = {"", "na", "n/a", "nan", "none", "null", "-", "--", "?", "nil", "#n/a", "missing"}

_ISO = (r"^(?P<date>\d{4}-\d{2}-\d{2})"
        r"(?:[T ](?P<time>\d{1,2}:\d{2}(?::\d{2})?)(?:[.,]\d+)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$")
_TIME = r"^(?P<time>\d{1,2}:\d{2}(?::\d{2})?)(?:[.,]\d+)?$"
#: Unambiguous non-ISO formats also accepted (day names written out, or dotted European dates).
_OTHER_FORMATS = ["%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
                  "%b %d %Y", "%B %d %Y", "%Y%m%d"]


def _text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Stripped text of each cell and the mask of cells that hold a value."""
    text = raw.astype("string").str.strip()
    present = text.notna() & ~text.str.lower().isin(MISSING).fillna(False)
    return text, present.astype(bool)


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
    text = text.str.replace(r"^([+-]?\d+),(\d+)$", r"\1.\2", regex=True)
    values = pd.to_numeric(text.where(present), errors="coerce").astype(float)
    bad = present & (values.isna() | ~np.isfinite(values.fillna(0)))
    return values.where(~bad), bad.astype(bool)


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
        stamps = stamps.astype("datetime64[ns]")
        times = stamps.dt.strftime("%H:%M:%S").where(stamps.notna())
        if (times.dropna() == "00:00:00").all():
            times = None
        return stamps.dt.normalize(), times, pd.Series(False, index=index)
    if raw.dtype == object:
        # Excel and JSON hand over datetime objects; render them as ISO text first.
        raw = raw.map(lambda v: v.isoformat(sep=" ") if hasattr(v, "isoformat") else v)
    text, present = _text(raw)
    if time_only:
        parts = text.str.extract(_TIME)
        times = _pad_time(parts["time"])
        bad = present & times.isna()
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]"), times, bad
    parts = text.str.extract(_ISO)
    dates = pd.to_datetime(parts["date"], format="%Y-%m-%d", errors="coerce")
    rest = present & parts["date"].isna()
    if rest.any():
        for fmt in _OTHER_FORMATS:
            todo = rest & dates.isna()
            if not todo.any():
                break
            dates = dates.fillna(pd.to_datetime(text.where(todo), format=fmt, errors="coerce"))
    dates = dates.astype("datetime64[ns]")
    times = _pad_time(parts["time"])
    if times.isna().all() or (times.dropna() == "00:00:00").all():
        times = None
    bad = present & dates.isna()
    return dates, times, bad.astype(bool)


def _pad_time(times: pd.Series) -> pd.Series:
    """'8:05' -> '08:05:00'; invalid clock times -> NA."""
    t = times.astype("string")
    t = t.where(~t.str.count(":").eq(1).fillna(False), t + ":00")
    t = t.str.zfill(8)
    ok = pd.to_datetime(t, format="%H:%M:%S", errors="coerce").notna()
    return t.where(ok)


_SIDES = {"left": "left", "l": "left", "lt": "left", "right": "right", "r": "right",
          "rt": "right", "both": "both", "b": "both", "bilateral": "both", "both sides": "both",
          "left and right": "both", "l+r": "both", "l/r": "both"}


def parse_side(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse side of the body: left / right / both (and common abbreviations)."""
    text, present = _text(raw)
    side = text.str.lower().astype(object).map(_SIDES)
    bad = present & side.isna()
    return pd.Categorical(side.where(~bad), categories=["left", "right", "both"]), bad.astype(bool)


_BOOLS = {"true": True, "yes": True, "y": True, "1": True, "1.0": True, "x": True,
          "false": False, "no": False, "n": False, "0": False, "0.0": False}


def parse_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a yes/no flag; a missing cell is False."""
    if pd.api.types.is_bool_dtype(raw):
        return raw.fillna(False).astype(bool), pd.Series(False, index=raw.index)
    text, present = _text(raw)
    value = text.str.lower().astype(object).map(_BOOLS)
    bad = present & value.isna()
    return value.where(present & ~bad, False).astype(bool), bad.astype(bool)
