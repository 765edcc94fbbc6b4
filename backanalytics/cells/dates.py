"""Dates as people write them: ``11/3/2026``, ``3-11-26``, ``Tue 3 Nov 2026``, Excel serial numbers.

ISO 8601 dates take the fast path of :func:`backanalytics.cells.parse.parse_dates`; this module
reads the cells it leaves. Day/month order is decided once per column, from every cell: a first
field above 12 means day first, a second field above 12 month first. A column where every such
date is ambiguous is not guessed: :class:`AmbiguousDates` asks for ``date_order``. A cell that
contradicts the column's order is a problem of its row, never silently flipped.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

#: The orders ``date_order=`` accepts, and how they read in messages.
ORDERS = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}
#: Excel's day zero (serial 1 = 1900-01-01, counting Excel's phantom 1900-02-29); serial numbers
#: in this range are dates from 1954 to 2119.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
SERIAL_RANGE = (20_000, 80_000)

_TIME = (r"(?:[ T,]+(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?(?:[.,][0-9]+)?"
         r"\s*(?P<ampm>[aApP]\.?[mM]\.?)?)?")
_NUMERIC = r"^(?P<a>[0-9]{1,4})(?P<sep>[/.\-])(?P<b>[0-9]{1,2})(?P=sep)(?P<c>[0-9]{2,4})" + _TIME + "$"
_WORDS = r"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?(?P<rest>.*?)" + _TIME + "$"
_WORD_FORMATS = ["%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%d %b, %Y",
                 "%d %B, %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %y", "%B %d %y"]


class AmbiguousDates(ValueError):
    """Every day-month date of a column reads both ways; ``example`` is one of them."""

    def __init__(self, example: str, where: str | None = None):
        self.example = example
        super().__init__(
            ("" if where is None else f"{where}: ") + f"dates like {example!r} can be day/month or month/day "
            "and no date tells which; say how to read them with --date-order dmy|mdy|ymd (API: date_order=)")


def read_written_dates(cells: pd.Series, order: str | None = None) -> tuple[pd.DataFrame, str | None, int | None]:
    """Read date cells in the forms people write.

    Parameters
    ----------
    cells
        Stripped text cells (the ones ISO parsing left), or numbers (Excel serials).
    order
        ``"dmy"``, ``"mdy"`` or ``"ymd"`` for day-month dates; None decides it from the cells.

    Returns
    -------
    (table, order, evidence)
        ``table`` has one row per cell: ``date`` (NaT when unread), ``time`` ("HH:MM:SS" or NA) and
        ``rule`` (why the cell is not a date, or NA). ``order`` is the day-month order used (None
        when no cell needed one); ``evidence`` the position of a cell that decided it (None when
        given or not needed).

    Raises
    ------
    AmbiguousDates
        When day-month cells exist, none of them tells the order and ``order`` is None.

    Examples
    --------
    >>> t, order, at = read_written_dates(pd.Series(["11/3/2026", "10/13/2026 8:05 pm", "Tue 3 Nov 2026"]))
    >>> [str(d.date()) for d in t["date"]], t["time"].tolist()[1], order, at
    (['2026-11-03', '2026-10-13', '2026-11-03'], '20:05:00', 'mdy', 1)
    """
    cells = cells.reset_index(drop=True)
    out = pd.DataFrame({"date": pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns]"),
                        "time": pd.Series(pd.NA, index=cells.index, dtype="string"),
                        "rule": pd.Series(pd.NA, index=cells.index, dtype="string")})
    numbers = pd.to_numeric(cells, errors="coerce") if len(cells) else cells
    serial = numbers.notna() & numbers.between(*SERIAL_RANGE)
    if serial.any():
        stamps = EXCEL_EPOCH + pd.to_timedelta(numbers[serial].astype(float).round(6), unit="D")
        out.loc[serial, "date"] = stamps.dt.floor("D")
        seconds = (stamps - stamps.dt.floor("D")).dt.total_seconds().round()
        out.loc[serial & (seconds > 0), "time"] = pd.to_datetime(seconds[seconds > 0], unit="s").dt.strftime(
            "%H:%M:%S")
    text = cells.where(~serial).astype("string").str.strip()
    parts = text.str.extract(_NUMERIC)
    numeric = parts["a"].notna()
    order, evidence = _decide(parts[numeric], order)
    if numeric.any():
        _read_numeric(parts[numeric], order, out)
    words = text.notna() & ~numeric
    if words.any():
        wparts = text[words].str.lower().str.extract(_WORDS)
        for fmt in _WORD_FORMATS:
            todo = wparts["rest"].notna() & out.loc[words, "date"].isna()
            if not todo.any():
                break
            found = pd.to_datetime(wparts["rest"].where(todo), format=fmt, errors="coerce")
            out.loc[words, "date"] = out.loc[words, "date"].fillna(found)
        _read_times(wparts, out)
    return out, order, evidence


def _decide(parts: pd.DataFrame, order: str | None) -> tuple[str | None, int | None]:
    """The day-month order of the numeric cells: given, or told by a field above 12."""
    day_month = parts[parts["a"].str.len() <= 2]
    if order is not None or day_month.empty:
        return order, None
    a, b = day_month["a"].astype(int), day_month["b"].astype(int)
    day_first, month_first = a > 12, b > 12
    if not (day_first.any() or month_first.any()):
        mixed = day_month[a != b]
        if mixed.empty:  # 3/3/2026 reads the same both ways
            return "mdy", None
        row = mixed.iloc[0]
        raise AmbiguousDates(f"{row['a']}{row['sep']}{row['b']}{row['sep']}{row['c']}")
    chosen = "dmy" if day_first.sum() >= month_first.sum() else "mdy"
    return chosen, int((day_first if chosen == "dmy" else month_first).idxmax())


def _read_numeric(parts: pd.DataFrame, order: str | None, out: pd.DataFrame) -> None:
    """Fill ``out`` for the cells split into numeric fields ``a sep b sep c``."""
    a, b, c = (parts[k].astype(int) for k in "abc")
    long_first = parts["a"].str.len() > 2
    two_digit_year = parts["c"].str.len() == 2
    if order == "ymd":
        year, month, day = a.where(long_first | two_digit_year, c), b, c.where(long_first | two_digit_year, a)
        year = year.where(year >= 100, year + 2000)
    else:
        year = c.where(~two_digit_year, c + 2000).where(~long_first, a)
        day = (a if order == "dmy" else b).where(~long_first, c)
        month = (b if order == "dmy" else a).where(~long_first, b)
    dates = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
    out.loc[parts.index, "date"] = dates
    swapped = dates.isna() & ~long_first & pd.to_datetime(
        pd.DataFrame({"year": year, "month": day, "day": month}), errors="coerce").notna()
    if order in ("dmy", "mdy") and swapped.any():
        other = ORDERS["mdy" if order == "dmy" else "dmy"]
        out.loc[swapped[swapped].index, "rule"] = (
            f"date reads as {other}, but this column writes {ORDERS[order]}: which is it? "
            "(correct it, or say --date-order)")
    _read_times(parts, out)


def _read_times(parts: pd.DataFrame, out: pd.DataFrame) -> None:
    """Times of day written after a date (``8:05``, ``8:05:30 pm``) into ``out``; bad ones as rules."""
    has = parts["h"].notna()
    if not has.any():
        return
    p = parts[has]
    hour = p["h"].astype(int)
    pm = p["ampm"].fillna("").str.lower().str.startswith("p")
    am = p["ampm"].fillna("").str.lower().str.startswith("a")
    ok = (hour <= 23) & ~((pm | am) & ((hour > 12) | (hour == 0)))
    hour = hour.where(~(pm & (hour < 12)), hour + 12).where(~(am & (hour == 12)), 0)
    minute, second = p["mi"].astype(int), p["s"].fillna("0").astype(int)
    ok &= (minute <= 59) & (second <= 59)
    text = (hour.map("{:02d}".format) + ":" + minute.map("{:02d}".format) + ":" + second.map("{:02d}".format))
    out.loc[p.index[ok.to_numpy()], "time"] = text[ok].to_numpy()
    out.loc[p.index[~ok.to_numpy()], "rule"] = "time of day must be 00:00 to 23:59:59"


def excel_time_seconds(value: object) -> float | None:
    """Seconds in an Excel time or duration cell (``datetime.time``, ``timedelta``); None otherwise.

    Examples
    --------
    >>> excel_time_seconds(dt.time(0, 1, 30)), excel_time_seconds(pd.Timedelta("45s")), excel_time_seconds("x")
    (90.0, 45.0, None)
    """
    if isinstance(value, dt.time):
        return value.hour * 3600.0 + value.minute * 60.0 + value.second + value.microsecond / 1e6
    if isinstance(value, (dt.timedelta, np.timedelta64)):
        return pd.Timedelta(value).total_seconds()
    return None
