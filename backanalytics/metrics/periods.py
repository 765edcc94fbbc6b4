"""Periods: the analysis date, the prescription, and each client's period of session days.

Definitions (used by every consistency metric):

- a **session day** is a date on which the client logged at least one stretch (score-only rows and
  planned rest days do not count);
- a client's **period** runs from their first session day (or the prescription's start date) to
  ``as_of``, inclusive; a client who never stretched is measured from their first entry of any kind;
- a **prescription** is a number of session days a week, more than 0 and at most 7
  (:data:`MAX_SESSIONS_PER_WEEK`). A session day is a date, so a day counts once however many
  sessions it holds: a twice-daily plan is measured as daily (7), and Loop Habit Tracker's yes/no
  frequencies stop at once a day too.

:func:`client_periods` reads a log once (:func:`~backanalytics.metrics.log_arrays.log_arrays`) and
resolves all of these for every client, as :class:`ClientPeriods`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.metrics.log_arrays import NO_DAY, LogArrays, PairKeys, first_of_groups, log_arrays

#: The largest prescription: one session day a day (see the module docstring).
MAX_SESSIONS_PER_WEEK = 7.0


def resolve_as_of(log: pd.DataFrame, as_of: object | None) -> pd.Timestamp:
    """The analysis date: ``as_of`` if given, else the latest date anywhere in the log.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a", "b"], "date": pd.to_datetime(["2026-01-01", "2026-01-05"])})
    >>> resolve_as_of(log, None), resolve_as_of(log, "2026-01-03 18:00")
    (Timestamp('2026-01-05 00:00:00'), Timestamp('2026-01-03 00:00:00'))
    """
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    if log.empty:
        raise ValueError("the log is empty and no as_of date was given")
    return pd.Timestamp(log[C.DATE].max()).normalize()


def sessions_per_week_problem(value: object) -> str | None:
    """Why ``value`` is not a valid prescription (None when it is one).

    Examples
    --------
    >>> sessions_per_week_problem(3) is None
    True
    >>> sessions_per_week_problem(14)
    'sessions_per_week must be more than 0 and at most 7 session days a week (twice daily is 7), got 14'
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"sessions_per_week must be a number of session days a week, got {value!r}"
    if not 0 < number <= MAX_SESSIONS_PER_WEEK:
        return (f"sessions_per_week must be more than 0 and at most {MAX_SESSIONS_PER_WEEK:g} session days a week "
                f"(twice daily is {MAX_SESSIONS_PER_WEEK:g}), got {number:g}")
    return None


def _table_sessions_per_week(given: pd.DataFrame) -> pd.Series:
    """The ``sessions_per_week`` column of a prescription table as floats (blank = NaN), validated."""
    raw = given["sessions_per_week"]
    numeric = pd.to_numeric(raw, errors="coerce").astype(float)
    blank = raw.isna() | (raw.astype(str).str.strip() == "")
    bad = (numeric.isna() & ~blank) | ~(numeric.isna() | ((numeric > 0) & (numeric <= MAX_SESSIONS_PER_WEEK)))
    if bad.any():
        first = bad.to_numpy().nonzero()[0][0]
        raise ValueError(f"{sessions_per_week_problem(raw.iloc[first])} for client {given.index[first]!r}"
                         + (f" (and {int(bad.sum()) - 1} more)" if bad.sum() > 1 else ""))
    return numeric


def prescription_for(clients: pd.Index, prescription: float | pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per client in ``clients``: ``sessions_per_week`` and ``start`` (NaT when not given).

    ``prescription`` is sessions per week for everyone (default 7 = daily) or a table with
    ``client_id``, ``sessions_per_week`` and optional ``start`` (and ``stretches``) columns;
    clients missing from the table (or with a blank ``sessions_per_week``) get the default of 7.
    Sessions per week must be more than 0 and at most 7: a session day is a date, so a day counts
    once however many sessions it holds (a twice-daily plan is 7); anything else raises ValueError.

    Examples
    --------
    >>> clients = pd.Index(["a", "b"], name="client_id")
    >>> prescription_for(clients, 3)["sessions_per_week"].tolist()
    [3.0, 3.0]
    >>> prescription_for(clients, pd.DataFrame({"client_id": ["b"], "sessions_per_week": [2]}))[
    ...     "sessions_per_week"].tolist()
    [7.0, 2.0]
    >>> prescription_for(clients, 14)
    Traceback (most recent call last):
    ...
    ValueError: sessions_per_week must be more than 0 and at most 7 session days a week (twice daily is 7), got 14
    """
    table = pd.DataFrame(index=clients)
    if prescription is None or np.isscalar(prescription):
        spw = MAX_SESSIONS_PER_WEEK if prescription is None else prescription
        problem = sessions_per_week_problem(spw)
        if problem:
            raise ValueError(problem)
        table["sessions_per_week"] = float(spw)  # type: ignore[arg-type]
        table["start"] = pd.NaT
        return table
    given = pd.DataFrame(prescription).copy()
    if C.CLIENT_ID not in given or "sessions_per_week" not in given:
        raise ValueError("a prescription table needs client_id and sessions_per_week columns")
    given[C.CLIENT_ID] = given[C.CLIENT_ID].astype(str)
    given = given.drop_duplicates(C.CLIENT_ID, keep="last").set_index(C.CLIENT_ID)
    spw = _table_sessions_per_week(given)
    table["sessions_per_week"] = spw.reindex(clients).fillna(MAX_SESSIONS_PER_WEEK)
    start = given["start"] if "start" in given else pd.Series(pd.NaT, index=given.index)
    table["start"] = pd.to_datetime(start).dt.normalize().reindex(clients)
    if "stretches" in given:
        table["stretches"] = given["stretches"].reindex(clients)
    return table


def all_session_keys(arrays: LogArrays, keys: PairKeys) -> np.ndarray:
    """Sorted keys of every distinct (client, session day) of the log, whatever the date."""
    stretched = arrays.stretch >= 0
    return keys.unique(keys.encode(arrays.client[stretched], arrays.day[stretched]), arrays.n)


def periods_of(arrays: LogArrays, prescription: pd.DataFrame, as_of: pd.Timestamp,
               first_session: np.ndarray) -> pd.DataFrame:
    """Per client: ``start``, ``as_of``, ``days`` in the period (0 when as_of is before the start).

    ``prescription`` is indexed like ``arrays.clients`` (:func:`prescription_for`); ``first_session``
    holds each client's first session day as a day number (:data:`NO_DAY` when none).

    Examples
    --------
    >>> from backanalytics.metrics.log_arrays import day_numbers, log_arrays
    >>> log = pd.DataFrame({"client_id": ["a", "a"], "stretch": [None, "Cat-Cow"],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-03"])})
    >>> arrays = log_arrays(log)
    >>> first_session = day_numbers(pd.Series(pd.to_datetime(["2026-01-03"])))
    >>> periods_of(arrays, prescription_for(arrays.clients), pd.Timestamp("2026-01-04"), first_session)[
    ...     "days"].tolist()
    [2]
    """
    first_any = np.full(arrays.n, NO_DAY, dtype=np.int64)
    np.minimum.at(first_any, arrays.client, arrays.day)
    none = NO_DAY
    given = prescription["start"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    nat = np.isnat(prescription["start"].to_numpy(dtype="datetime64[ns]"))
    start = np.where(nat, np.where(first_session != none, first_session, first_any), given)
    out = pd.DataFrame(index=prescription.index)
    start_dates = start.astype("datetime64[D]").astype("datetime64[ns]")
    out["start"] = np.where(start == none, np.datetime64("NaT", "ns"), start_dates)
    out["as_of"] = as_of
    out["days"] = ((as_of - out["start"]).dt.days + 1).clip(lower=0).fillna(0).astype(int)  # no dated row: 0
    return out


@dataclass(frozen=True)
class ClientPeriods:
    """One analysis: the log as arrays, the prescription and periods, and per-client day numbers."""

    arrays: LogArrays
    rx: pd.DataFrame
    per: pd.DataFrame
    as_of: pd.Timestamp
    today: int  # as_of as a day number
    start: np.ndarray  # period start per client (day number)
    spw: np.ndarray  # sessions per week per client
    keys: PairKeys  # (client, day) keys
    all_sessions: np.ndarray  # sorted keys of every session day, whatever the date

    @property
    def n(self) -> int:
        """Number of clients."""
        return self.arrays.n

    @property
    def days(self) -> np.ndarray:
        """Days in the period per client."""
        return self.per["days"].to_numpy()

    def session_days(self) -> np.ndarray:
        """Sorted keys of the distinct session days inside each client's period."""
        client, day = self.keys.decode(self.all_sessions)
        return self.all_sessions[(day <= self.today) & (day >= self.start[client])]


def client_periods(log: pd.DataFrame, prescription: float | pd.DataFrame | None, as_of: object | None
                   ) -> ClientPeriods:
    """Read the log once (client_id factorised), resolve as_of, the prescription and the periods.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a", "a", "b"], "stretch": [None, "Cat-Cow", "Cat-Cow"],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-06"])})
    >>> s = client_periods(log, 3, "2026-01-04")  # b's only entry comes after as_of: a period of 0 days
    >>> s.per["days"].tolist(), s.spw.tolist(), [a.tolist() for a in s.keys.decode(s.session_days())]
    ([2, 0], [3.0, 3.0], [[0], [20456]])
    """
    as_of = resolve_as_of(log, as_of)
    arrays = log_arrays(log).until(as_of)  # a session after as_of must not move the start
    rx = prescription_for(arrays.clients, prescription)
    keys = PairKeys.covering(arrays.day)
    all_sessions = all_session_keys(arrays, keys)
    first_session = first_of_groups(*keys.decode(all_sessions), arrays.n)
    per = periods_of(arrays, rx, as_of, first_session)
    start = per["start"].to_numpy(dtype="datetime64[ns]")
    start_day = np.where(np.isnat(start), NO_DAY, start.astype("datetime64[D]").view(np.int64))
    return ClientPeriods(arrays, rx, per, as_of, int(np.datetime64(as_of, "D").astype(np.int64)), start_day,
                         rx["sessions_per_week"].to_numpy(dtype=np.float64), keys, all_sessions)
