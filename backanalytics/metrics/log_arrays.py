"""The log as numpy arrays, and the per-client reductions over them.

:func:`log_arrays` reads the columns the metrics need into numpy arrays once, with ``client_id``
factorised into integer codes, so the metrics can use ``bincount``-style reductions instead of
grouping on the text ids again and again. Dates become day numbers (days since 1970-01-01,
:func:`day_numbers`); (client, day) or (client, stretch) pairs become one sortable int64 key
(:class:`PairKeys`); :func:`group_bounds`, :func:`group_max` and :func:`first_of_groups` reduce
values grouped by sorted client codes; :func:`among` tells which ids are among a set of ids.

Only ``client_id`` and ``date`` are required; any other canonical column that is missing reads as
empty (all NaN), e.g. a log without ``stretch`` has no session days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backanalytics import columns as C

#: Day number standing for "no such day" (the int64 maximum).
NO_DAY = np.iinfo(np.int64).max
#: Dense (client x day) flag tables are used up to this many cells; beyond, sorting.
_DENSE_CELLS = 50_000_000


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


def among(values: pd.Series | pd.Index, ids: object) -> np.ndarray:
    """Which of ``values`` are in ``ids`` (any list-like): ``values.isin(ids)`` by a lookup in
    ``ids``' hash table. pandas' ``isin`` of Arrow strings turns every one of ``ids`` into an Arrow
    scalar in Python first (0.1 s for 8,700 client ids).

    Examples
    --------
    >>> among(pd.Series(["b", "c", None], dtype="str"), ["a", "b", "b"]).tolist()
    [True, False, False]
    """
    return pd.Index(ids).unique().get_indexer(values) >= 0


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


def group_max(codes: np.ndarray, values: np.ndarray, n: int, empty: float) -> np.ndarray:
    """Maximum of ``values`` per code 0..n-1 for codes sorted ascending (``empty`` for no values).

    Examples
    --------
    >>> group_max(np.array([0, 0, 2]), np.array([3.0, 5.0, 1.0]), 3, np.nan).tolist()
    [5.0, nan, 1.0]
    """
    out = np.full(n, empty, dtype=np.float64)
    counts, first = group_bounds(codes, n)
    has = counts > 0
    if has.any():
        out[has] = np.maximum.reduceat(values, first[has])
    return out


def first_of_groups(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The first value of each code 0..n-1 in sorted ``codes`` (:data:`NO_DAY` for an absent code)."""
    counts, first = group_bounds(codes, n)
    out = np.full(n, NO_DAY, dtype=np.int64)
    out[counts > 0] = values[first[counts > 0]]
    return out

