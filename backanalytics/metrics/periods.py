"""Shared building blocks for metrics: the analysis date, prescriptions, session days, periods.

Definitions (used by every consistency metric):

- a **session day** is a date on which the client logged at least one stretch (score-only rows and
  planned rest days do not count);
- a client's **period** runs from their first session day (or the prescription's start date) to
  ``as_of``, inclusive; a client who never stretched is measured from their first entry of any kind;
- a **prescription** is a number of session days a week, more than 0 and at most 7
  (:data:`MAX_SESSIONS_PER_WEEK`). A session day is a date, so a day counts once however many
  sessions it holds: a twice-daily plan is measured as daily (7), and Loop Habit Tracker's yes/no
  frequencies stop at once a day too.

Only ``client_id`` and ``date`` are required; any other canonical column that is missing reads as
empty (all NaN), e.g. a log without ``stretch`` has no session days.

:func:`log_arrays` reads the columns the metrics need into numpy arrays once, with ``client_id``
factorised into integer codes, so the metrics can use ``bincount``-style reductions instead of
grouping on the text ids again and again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backanalytics import columns as C

DAY = np.timedelta64(1, "D")
#: The largest prescription: one session day a day (see the module docstring).
MAX_SESSIONS_PER_WEEK = 7.0
#: Day number standing for "no such day" (the int64 maximum).
NO_DAY = np.iinfo(np.int64).max
#: Dense (client x day) flag tables are used up to this many cells; beyond, sorting.
_DENSE_CELLS = 50_000_000


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
    """One row per client in ``clients``: ``sessions_per_week`` and ``start`` (see :func:`prescription_table`)."""
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


def prescription_table(log: pd.DataFrame, prescription: float | pd.DataFrame | None = None
                       ) -> pd.DataFrame:
    """One row per client of the log: ``sessions_per_week`` and ``start`` (NaT when not given).

    ``prescription`` is sessions per week for everyone (default 7 = daily) or a table with
    ``client_id``, ``sessions_per_week`` and optional ``start`` (and ``stretches``) columns;
    clients missing from the table (or with a blank ``sessions_per_week``) get the default of 7.
    Sessions per week must be more than 0 and at most 7: a session day is a date, so a day counts
    once however many sessions it holds (a twice-daily plan is 7); anything else raises ValueError.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a", "b"], "date": pd.to_datetime(["2026-01-01"] * 2)})
    >>> prescription_table(log, 3)["sessions_per_week"].tolist()
    [3.0, 3.0]
    >>> prescription_table(log, pd.DataFrame({"client_id": ["b"], "sessions_per_week": [2]}))[
    ...     "sessions_per_week"].tolist()
    [7.0, 2.0]
    >>> prescription_table(log, 14)
    Traceback (most recent call last):
    ...
    ValueError: sessions_per_week must be more than 0 and at most 7 session days a week (twice daily is 7), got 14
    """
    clients = pd.Index(pd.unique(log[C.CLIENT_ID]), name=C.CLIENT_ID).sort_values()
    return prescription_for(clients, prescription)


# ------------------------------------------------------------------------------------------------
# the log as arrays


@dataclass(frozen=True)
class LogArrays:
    """The columns the consistency metrics read, as numpy arrays with client_id factorised once.

    ``clients`` holds the sorted client ids (index ``client_id``); ``client`` each row's position in
    it; ``day`` the date as days since 1970-01-01; ``stretch`` a code into ``stretch_names`` (-1: no
    stretch, blank names included); ``hold`` and ``reps`` floats (NaN when missing); ``rest`` the
    ``planned_rest`` flag. Rows with no client or no date are left out.
    """

    clients: pd.Index
    client: np.ndarray
    day: np.ndarray
    stretch: np.ndarray
    stretch_names: np.ndarray
    hold: np.ndarray
    reps: np.ndarray
    rest: np.ndarray

    @property
    def n(self) -> int:
        """Number of clients."""
        return len(self.clients)

    def rows(self, mask: np.ndarray) -> LogArrays:
        """The rows where ``mask`` is True (same clients)."""
        return LogArrays(self.clients, self.client[mask], self.day[mask], self.stretch[mask], self.stretch_names,
                         self.hold[mask], self.reps[mask], self.rest[mask])

    def until(self, as_of: pd.Timestamp) -> LogArrays:
        """The rows dated up to ``as_of`` (same clients): what was known on that day."""
        later = self.day > np.datetime64(as_of, "D").astype(np.int64)
        return self.rows(~later) if later.any() else self


def _floats(log: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as float64 with NaN for missing values (all NaN when the column is absent)."""
    if column not in log:
        return np.full(len(log), np.nan)
    values = log[column]
    if values.dtype == np.float64:
        return values.to_numpy(dtype=np.float64)  # read only: no copy needed
    if not pd.api.types.is_numeric_dtype(values):
        values = pd.to_numeric(values, errors="coerce")
    if isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return values.to_numpy(dtype=np.float64)


def client_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's client as an int64 code into the sorted distinct ids (-1: no id), and those ids.

    Categorical ids (a Parquet dictionary column) are sorted as text, not in category order.

    Examples
    --------
    >>> codes, clients = client_codes(pd.Series(["b", "a", None, "b"], dtype="category"))
    >>> codes.tolist(), clients.tolist()
    ([1, 0, -1, 1], ['a', 'b'])
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        ids = ids.astype(ids.cat.categories.dtype)
    codes, clients = pd.factorize(ids, sort=True)
    return codes.astype(np.int64, copy=False), pd.Index(clients, name=C.CLIENT_ID, dtype=ids.dtype)


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Dates as int64 days since 1970-01-01 (floor; NaT stays at int64's minimum).

    Examples
    --------
    >>> day_numbers(pd.Series(pd.to_datetime(["1970-01-02 00:00", "2026-01-05 23:00"]))).tolist()
    [1, 20458]
    """
    if not pd.api.types.is_datetime64_dtype(dates):
        dates = pd.to_datetime(dates, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.to_numpy().astype("datetime64[D]").view(np.int64)


def stretch_codes(log: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row, a code into the distinct stretch names (-1: none or blank), and those names.

    Examples
    --------
    >>> codes, names = stretch_codes(pd.DataFrame({"stretch": ["Cat-Cow", None, "", "Cat-Cow"]}))
    >>> codes.tolist(), names.tolist()
    ([0, -1, -1, 0], ['Cat-Cow', ''])
    """
    if C.STRETCH not in log:
        return np.full(len(log), -1, dtype=np.int64), np.array([], dtype=object)
    codes, names = pd.factorize(log[C.STRETCH])
    names = np.asarray(names, dtype=object)
    blank = np.array([str(s).strip() == "" for s in names], dtype=bool)  # one check per distinct name
    if blank.any():
        codes = np.where((codes >= 0) & blank[np.maximum(codes, 0)], -1, codes)
    return codes.astype(np.int64, copy=False), names


def entry_arrays(log: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(stretch codes, stretch names, hold_s, reps) of every row, for row-wise dose checks."""
    codes, names = stretch_codes(log)
    return codes, names, _floats(log, C.HOLD_S), _floats(log, C.REPS)


def log_arrays(log: pd.DataFrame) -> LogArrays:
    """Read ``log`` into :class:`LogArrays` (one factorisation of client_id and stretch).

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["b", "a", "b"], "date": pd.to_datetime(["2026-01-02"] * 3),
    ...                     "stretch": ["Cat-Cow", None, " "]})
    >>> arrays = log_arrays(log)
    >>> arrays.clients.tolist(), arrays.client.tolist(), arrays.stretch.tolist(), arrays.hold.tolist()
    (['a', 'b'], [1, 0, 1], [0, -1, -1], [nan, nan, nan])
    """
    missing = [c for c in (C.CLIENT_ID, C.DATE) if c not in log]
    if missing:
        raise KeyError(f"log is missing columns {missing}")
    client, clients = client_codes(log[C.CLIENT_ID])
    day = day_numbers(log[C.DATE])
    stretch, names = stretch_codes(log)
    if C.PLANNED_REST in log and log[C.PLANNED_REST].dtype == bool:
        rest = log[C.PLANNED_REST].to_numpy()
    elif C.PLANNED_REST in log:
        rest = log[C.PLANNED_REST].astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        rest = np.zeros(len(log), dtype=bool)
    arrays = LogArrays(clients, client, day,
                       stretch, names, _floats(log, C.HOLD_S), _floats(log, C.REPS), rest)
    keep = (client >= 0) & (day != np.iinfo(np.int64).min)
    return arrays if keep.all() else arrays.rows(keep)


@dataclass(frozen=True)
class PairKeys:
    """(client, value) pairs (value: a day number, a stretch code) encoded as one sortable int64 key.

    Distinct keys come from a flag table when clients x values is small enough (no sort), else
    from :func:`numpy.unique`; either way they are sorted by client, then value.

    Examples
    --------
    >>> keys = PairKeys.covering(np.array([10, 12]))
    >>> unique = keys.unique(keys.encode(np.array([1, 0, 1]), np.array([12, 10, 12])), n_clients=2)
    >>> [a.tolist() for a in keys.decode(unique)]
    [[0, 1], [10, 12]]
    """

    offset: int
    span: int

    @classmethod
    def covering(cls, values: np.ndarray) -> PairKeys:
        """Keys able to encode every value in ``values``."""
        if len(values) == 0:
            return cls(0, 1)
        return cls(int(values.min()), int(values.max() - values.min() + 1))

    def encode(self, client: np.ndarray, value: np.ndarray) -> np.ndarray:
        """One key per pair; sorting keys sorts by client, then value."""
        return client * self.span + (value - self.offset)

    def decode(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (client, value) arrays of ``keys``."""
        return keys // self.span, keys % self.span + self.offset

    def _dense(self, n_keys: int, n_clients: int) -> bool:
        cells = n_clients * self.span
        return cells <= _DENSE_CELLS or cells <= 4 * n_keys

    def unique(self, keys: np.ndarray, n_clients: int) -> np.ndarray:
        """Sorted distinct keys."""
        if self._dense(len(keys), n_clients):
            flags = np.zeros(n_clients * self.span, dtype=bool)
            flags[keys] = True
            return np.flatnonzero(flags)
        return np.unique(keys)

    def sums(self, keys: np.ndarray, weights: np.ndarray, n_clients: int) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct keys and the sum of ``weights`` over each."""
        if self._dense(len(keys), n_clients):
            cells = n_clients * self.span
            present = np.flatnonzero(np.bincount(keys, minlength=cells))
            return present, np.bincount(keys, weights=weights, minlength=cells)[present]
        distinct, inverse = np.unique(keys, return_inverse=True)
        return distinct, np.bincount(inverse.reshape(-1), weights=weights, minlength=len(distinct))


def group_bounds(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For codes sorted ascending: (count, first position) of each code 0..n-1.

    Examples
    --------
    >>> [a.tolist() for a in group_bounds(np.array([0, 0, 2]), 3)]
    [[2, 0, 1], [0, 2, 2]]
    """
    counts = np.bincount(codes, minlength=n)
    return counts, np.cumsum(counts) - counts


def session_days(log: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Unique (client_id, date) session days up to ``as_of``, sorted, with a ``day`` integer.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a", "a", "a"], "stretch": ["Cat-Cow", "Cobra Stretch", None],
    ...     "date": pd.to_datetime(["2026-01-02", "2026-01-02", "2026-01-03"])})
    >>> session_days(log, pd.Timestamp("2026-01-05"))[["client_id", "date"]].to_dict("list")
    {'client_id': ['a'], 'date': [Timestamp('2026-01-02 00:00:00')]}
    """
    arrays = log_arrays(log)
    client, day = session_keys(arrays, resolve_as_of(log, as_of))
    return pd.DataFrame({C.CLIENT_ID: arrays.clients.take(client).to_numpy(),
                         C.DATE: day.astype("datetime64[D]").astype("datetime64[ns]"), "day": day})


def session_keys(arrays: LogArrays, as_of: pd.Timestamp, start: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Distinct session days (client code, day), sorted, up to ``as_of`` and from ``start[client]`` on."""
    last = np.datetime64(as_of, "D").astype(np.int64)
    sel = (arrays.stretch >= 0) & (arrays.day <= last)
    client, day = arrays.client[sel], arrays.day[sel]
    if start is not None:
        inside = day >= start[client]
        client, day = client[inside], day[inside]
    keys = PairKeys.covering(day)
    return keys.decode(keys.unique(keys.encode(client, day), arrays.n))


def all_session_keys(arrays: LogArrays, keys: PairKeys) -> np.ndarray:
    """Sorted keys of every distinct (client, session day) of the log, whatever the date."""
    stretched = arrays.stretch >= 0
    return keys.unique(keys.encode(arrays.client[stretched], arrays.day[stretched]), arrays.n)


def first_of_groups(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The first value of each code 0..n-1 in sorted ``codes`` (:data:`NO_DAY` for an absent code)."""
    counts, first = group_bounds(codes, n)
    out = np.full(n, NO_DAY, dtype=np.int64)
    out[counts > 0] = values[first[counts > 0]]
    return out


def _first_days(arrays: LogArrays, first_session: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per client: first session day and first day of any entry (day numbers; :data:`NO_DAY` when none)."""
    if first_session is None:
        first_session = np.full(arrays.n, NO_DAY, dtype=np.int64)
        stretched = arrays.stretch >= 0
        np.minimum.at(first_session, arrays.client[stretched], arrays.day[stretched])
    first_any = np.full(arrays.n, NO_DAY, dtype=np.int64)
    np.minimum.at(first_any, arrays.client, arrays.day)
    return first_session, first_any


def periods_of(arrays: LogArrays, prescription: pd.DataFrame, as_of: pd.Timestamp,
               first_session: np.ndarray | None = None) -> pd.DataFrame:
    """:func:`periods` from :class:`LogArrays` (``prescription`` indexed like ``arrays.clients``).

    ``first_session`` (per client, day numbers) spares recomputing it when the caller has it.
    """
    first_session, first_any = _first_days(arrays, first_session)
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


def periods(log: pd.DataFrame, prescription: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per client: ``start``, ``as_of``, ``days`` in the period (0 when as_of is before the start).

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a", "a"], "stretch": [None, "Cat-Cow"],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-03"])})
    >>> as_of = pd.Timestamp("2026-01-04")
    >>> periods(log, prescription_table(log), as_of)["days"].tolist()
    [2]
    """
    arrays = log_arrays(log).until(as_of)
    return periods_of(arrays, prescription.reindex(arrays.clients), as_of)
