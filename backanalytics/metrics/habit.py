"""Habit strength of the canonical log: Loop Habit Tracker's score per client.

The score itself - Loop's exponentially smoothed share of the target met, with a half-life of 13
days for a daily habit - is computed by the array kernels of
:mod:`backanalytics.metrics.habit_kernels`, whose docstring gives the rule in full (its public
names, e.g. :func:`~backanalytics.metrics.habit_kernels.habit_scores`, import from here too).

At the log level, :func:`habit_strength` treats a day with at least one stretch as a completed
repetition and a ``planned_rest`` day as a SKIP, and maps ``sessions_per_week`` to Loop's
frequency ``sessions_per_week / 7`` (e.g. 3 -> Loop's "3 times per week", numerator 3,
denominator 7; 7 -> daily).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import pandas as pd

from backanalytics.columns import CLIENT_ID, DATE
from backanalytics.metrics.habit_kernels import DONE, SKIP, boolean_scores
from backanalytics.metrics.habit_kernels import LEGACY_MAX_VALUE as LEGACY_MAX_VALUE
from backanalytics.metrics.habit_kernels import LoopEntry as LoopEntry
from backanalytics.metrics.habit_kernels import from_loop_entries as from_loop_entries
from backanalytics.metrics.habit_kernels import habit_scores as habit_scores
from backanalytics.metrics.habit_kernels import legacy_habit_scores as legacy_habit_scores
from backanalytics.metrics.habit_kernels import loop_multiplier as loop_multiplier
from backanalytics.metrics.habit_kernels import numerical_habit_scores as numerical_habit_scores
from backanalytics.metrics.log_arrays import LogArrays, day_numbers, log_arrays
from backanalytics.metrics.periods import sessions_per_week_problem

#: Name of the score column in tidy outputs.
HABIT_STRENGTH = "habit_strength"


def sessions_per_week_to_frequency(sessions_per_week: float) -> tuple[int, int]:
    """Map a weekly session target to Loop's (numerator, denominator) frequency.

    ``k`` sessions a week is Loop's "k times per week", ``Frequency(k, 7)``; 7 a week is daily
    (1, 1), as Loop normalises ``Frequency(n, n)``. Fractional targets keep their ratio
    (2.5 a week -> 5 in 14 days).

    Examples
    --------
    >>> sessions_per_week_to_frequency(3)
    (3, 7)
    >>> sessions_per_week_to_frequency(7)
    (1, 1)
    >>> sessions_per_week_to_frequency(2.5)
    (5, 14)
    >>> sessions_per_week_to_frequency(14)
    Traceback (most recent call last):
    ...
    ValueError: sessions_per_week must be more than 0 and at most 7 session days a week (twice daily is 7), got 14
    """
    problem = sessions_per_week_problem(sessions_per_week)
    if problem:
        raise ValueError(problem)
    value = float(sessions_per_week)
    frac = Fraction(value).limit_denominator(100)
    num, den = frac.numerator, 7 * frac.denominator
    return (1, 1) if num == den else (num, den)


def habit_strength(
    log: pd.DataFrame,
    sessions_per_week: float | Mapping[object, float] | pd.Series = 7,
    as_of: object = None,
    *,
    frequency: tuple[int, int] | None = None,
) -> pd.Series:
    """Each client's Loop habit strength on ``as_of``, from the canonical log.

    Parameters
    ----------
    log : pandas.DataFrame
        Canonical log with ``client_id``, ``date``, ``stretch`` and optionally ``planned_rest``.
        A session day is a date with at least one non-empty stretch; a ``planned_rest`` day with
        no session is a SKIP (it neither builds nor weakens the habit). A missing ``stretch`` or
        ``planned_rest`` column reads as empty.
    sessions_per_week : float, mapping or Series, default 7
        Target sessions a week, shared or per client (indexed by client_id), more than 0 and at
        most 7; mapped to Loop's frequency by :func:`sessions_per_week_to_frequency` (3 -> 3 times
        per 7 days).
    as_of : date-like, optional
        Score date; defaults to the latest date in the log. Rows after it are ignored.
    frequency : (numerator, denominator), optional
        A Loop frequency to use instead of ``sessions_per_week``, e.g. from the habits table of
        :func:`backanalytics.importers.loop.import_loop` (2 times in 3 days is (2, 3)).

    Returns
    -------
    pandas.Series
        Score in [0, 1] per client_id, named ``habit_strength``. Clients with no session on or
        before ``as_of`` score 0.

    Examples
    --------
    >>> log = pd.DataFrame({
    ...     "client_id": ["a", "a", "a", "b", "b"],
    ...     "date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01", "2024-01-03"],
    ...     "stretch": ["Cat-Cow", "Cat-Cow", "Cat-Cow", "Cobra Stretch", None],
    ...     "planned_rest": [False, False, False, False, True],
    ... })
    >>> habit_strength(log).round(4).to_dict()
    {'a': 0.1478, 'b': 0.0492}
    """
    clients, _, _, scores, first = _strength_matrix(
        log, sessions_per_week, as_of, frequency, keep_all=False)
    final = np.where(first >= 0, scores, 0.0) if len(clients) else np.zeros(0)
    return pd.Series(final, index=pd.Index(clients, name=CLIENT_ID), name=HABIT_STRENGTH)


def habit_strength_series(
    log: pd.DataFrame,
    sessions_per_week: float | Mapping[object, float] | pd.Series = 7,
    as_of: object = None,
    *,
    frequency: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Daily Loop habit strength per client, tidy, for plotting.

    Same inputs as :func:`habit_strength`. One row per client per day from the client's first
    session day through ``as_of``; clients without a session are absent.

    Returns
    -------
    pandas.DataFrame
        Columns ``client_id``, ``date``, ``habit_strength``.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a", "a"], "date": ["2024-01-01", "2024-01-03"],
    ...                     "stretch": ["Cat-Cow", "Cat-Cow"]})
    >>> habit_strength_series(log).round({"habit_strength": 4})
      client_id       date  habit_strength
    0         a 2024-01-01          0.0519
    1         a 2024-01-02          0.0492
    2         a 2024-01-03          0.0986
    """
    clients, start, days, scores, first = _strength_matrix(
        log, sessions_per_week, as_of, frequency, keep_all=True)
    if not len(clients) or days == 0:
        return pd.DataFrame({CLIENT_ID: pd.Series(dtype=object),
                             DATE: pd.Series(dtype="datetime64[us]"),
                             HABIT_STRENGTH: pd.Series(dtype=np.float64)})
    day_index = np.arange(days)
    keep = (first[:, None] >= 0) & (day_index[None, :] >= first[:, None])
    rows, cols = np.nonzero(keep)
    dates = pd.DatetimeIndex(start + pd.to_timedelta(cols, unit="D"))
    return pd.DataFrame({
        CLIENT_ID: np.asarray(clients, dtype=object)[rows],
        DATE: dates,
        HABIT_STRENGTH: scores[rows, cols],
    })


def frequencies_of(sessions_per_week: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loop (numerator, denominator) per value, converting each distinct target once (not per client).

    Examples
    --------
    >>> [a.tolist() for a in frequencies_of(np.array([3.0, 7.0, 3.0, 2.5]))]
    [[3, 1, 3, 5], [7, 1, 7, 14]]
    """
    values = np.asarray(sessions_per_week, dtype=np.float64)
    distinct, inverse = np.unique(values, return_inverse=True)
    pairs = np.array([sessions_per_week_to_frequency(v) for v in distinct], dtype=np.int64).reshape(-1, 2)
    return pairs[inverse.reshape(-1), 0], pairs[inverse.reshape(-1), 1]


def _client_frequency(
    clients: pd.Index,
    sessions_per_week: float | Mapping[object, float] | pd.Series | np.ndarray,
    frequency: tuple[int, int] | None,
) -> tuple[np.ndarray, np.ndarray]:
    n = len(clients)
    if frequency is not None:
        num, den = (int(frequency[0]), int(frequency[1]))
        return np.full(n, num), np.full(n, den)
    if isinstance(sessions_per_week, np.ndarray) and sessions_per_week.ndim == 1:
        return frequencies_of(sessions_per_week)
    if isinstance(sessions_per_week, Mapping | pd.Series):
        per = pd.Series(sessions_per_week).reindex(clients)
        missing = per.index[per.isna()].tolist()
        if missing:
            raise ValueError(f"sessions_per_week has no value for clients {missing[:5]}")
        return frequencies_of(per.to_numpy(dtype=np.float64))
    num, den = sessions_per_week_to_frequency(sessions_per_week)  # type: ignore[arg-type]
    return np.full(n, num), np.full(n, den)


def _code_matrix(n: int, session_client: np.ndarray, session_day: np.ndarray, rest_client: np.ndarray,
                 rest_day: np.ndarray, end_day: int) -> tuple[int, np.ndarray, np.ndarray]:
    """The clients x days DONE / NOT_DONE / SKIP matrix from the first session day to ``end_day``.

    Returns (first day number, codes, first DONE column per client or -1). Rest days first, sessions
    second: a day with a stretch is a session even if it is also flagged as rest.
    """
    start = int(session_day.min())
    codes = np.zeros((n, end_day - start + 1), dtype=np.int8)
    inside = rest_day >= start
    codes[rest_client[inside], rest_day[inside] - start] = SKIP
    codes[session_client, session_day - start] = DONE
    done = codes == DONE
    first = np.where(done.any(axis=1), np.argmax(done, axis=1), -1).astype(np.int64)
    return start, codes, first


def strength_from_days(n: int, session_client: np.ndarray, session_day: np.ndarray, rest_client: np.ndarray,
                       rest_day: np.ndarray, end_day: int, num: np.ndarray, den: np.ndarray, *,
                       keep_all: bool = False) -> tuple[int | None, np.ndarray, np.ndarray]:
    """Loop scores of ``n`` clients from their session days and rest days (client codes, day numbers).

    Days after ``end_day`` must already be left out. Returns (first day number or None, scores,
    first DONE column per client or -1): scores are the final score per client (0 without a
    session), or clients x days with ``keep_all``.
    """
    if len(session_day) == 0:
        return None, np.zeros((n, 0)) if keep_all else np.zeros(n), np.full(n, -1)
    start, codes, first = _code_matrix(n, session_client, session_day, rest_client, rest_day, end_day)
    scores = boolean_scores(codes, num, den, keep_all=keep_all)
    if keep_all:
        return start, scores.T, first
    return start, np.where(first >= 0, scores, 0.0), first


def strength_of(arrays: LogArrays, end_day: int, num: np.ndarray, den: np.ndarray, *, keep_all: bool = False
                ) -> tuple[int | None, np.ndarray, np.ndarray]:
    """:func:`strength_from_days` from :class:`~backanalytics.metrics.log_arrays.LogArrays`.

    ``end_day`` is the score date as days since 1970-01-01 (rows after it are ignored); ``num`` and
    ``den`` the Loop frequency per client.
    """
    upto = arrays.day <= end_day
    session = upto & (arrays.stretch >= 0)
    rest = upto & arrays.rest
    return strength_from_days(arrays.n, arrays.client[session], arrays.day[session], arrays.client[rest],
                              arrays.day[rest], end_day, num, den, keep_all=keep_all)


def _strength_matrix(
    log: pd.DataFrame,
    sessions_per_week: float | Mapping[object, float] | pd.Series,
    as_of: object,
    frequency: tuple[int, int] | None,
    *,
    keep_all: bool,
) -> tuple[list, pd.Timestamp | None, int, np.ndarray, np.ndarray]:
    """Build the clients x days done/skip matrix from the log and run the Loop recurrence.

    Returns (clients, first day, number of days, scores, first-session column per client or -1).
    ``scores`` is clients x days when ``keep_all`` else the last column only (0 without a session).
    """
    arrays = log_arrays(log)
    clients = arrays.clients
    num, den = _client_frequency(clients, sessions_per_week, frequency)
    n = len(clients)
    if n == 0 or len(arrays.day) == 0:
        return list(clients), None, 0, np.zeros((n, 0)) if keep_all else np.zeros(n), np.full(n, -1)
    end_day = (int(day_numbers(pd.Series([pd.Timestamp(as_of)]))[0]) if as_of is not None
               else int(arrays.day.max()))
    start, scores, first = strength_of(arrays, end_day, num, den, keep_all=keep_all)
    if start is None:
        return list(clients), None, 0, scores, first
    first_day = pd.Timestamp(np.datetime64(start, "D"))
    return list(clients), first_day, end_day - start + 1, scores, first
