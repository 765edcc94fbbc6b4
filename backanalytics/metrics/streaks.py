"""Streaks: runs of consecutive session days, or of ISO weeks that met the weekly target.

The ``longest_streak`` / ``current_streak`` columns of :func:`~backanalytics.metrics.consistency.consistency`
(defined in :mod:`backanalytics.metrics.consistency`): :func:`daily_streaks` for a daily
prescription, :func:`weekly_streaks` below daily. Weeks are counted on the ISO-week grid of each
client's period (:func:`week_grid`, :func:`week_sessions`), which also gives
:func:`~backanalytics.metrics.consistency.weekly_consistency` its rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backanalytics.metrics.log_arrays import group_bounds, group_max
from backanalytics.metrics.periods import ClientPeriods


def _runs(client: np.ndarray, day: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of consecutive integer ``day`` values per client (sorted input): (client, last day, length).

    A run's length is the sum of ``counts`` over its days.
    """
    if len(day) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    new = np.ones(len(day), dtype=bool)
    new[1:] = (client[1:] != client[:-1]) | (day[1:] - day[:-1] != 1)
    run_id = np.cumsum(new) - 1
    length = np.bincount(run_id, weights=counts).astype(np.int64)
    last = np.append(new[1:], True)
    return client[new], day[last], length


def _last_of_runs(run_client: np.ndarray, end: np.ndarray, length: np.ndarray, n: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per client: (has a run, last run's end, last run's length); runs sorted by client."""
    counts, first = group_bounds(run_client, n)
    has = counts > 0
    last = np.where(has, first + counts - 1, 0)
    if len(end) == 0:
        return has, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    return has, end[last], length[last]


def _streaks_from_runs(run_client: np.ndarray, end: np.ndarray, length: np.ndarray, n: int,
                       current_if: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(longest, current) per client; the last run is current where ``current_if(end)`` holds."""
    longest = group_max(run_client, length, n, 0).astype(np.int64)
    has, last_end, last_length = _last_of_runs(run_client, end, length, n)
    current = np.where(has & current_if(last_end), last_length, 0)
    return longest, current.astype(np.int64)


def _insert_sorted(keys: np.ndarray, extra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge sorted distinct ``extra`` keys into sorted distinct ``keys``; True marks the original ones."""
    pos = np.searchsorted(keys, extra)
    found = (pos < len(keys)) & (keys[np.minimum(pos, len(keys) - 1)] == extra) if len(keys) else np.zeros(
        len(extra), dtype=bool)
    extra, pos = extra[~found], pos[~found]
    merged = np.insert(keys, pos, extra)
    original = np.insert(np.ones(len(keys), dtype=bool), pos, False)
    return merged, original


def daily_streaks(s: ClientPeriods, sessions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(longest, current) runs of session days per client, for the sorted keys of ``sessions``.

    A planned rest day (in the period, no stretch) bridges a run, adding 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from backanalytics.metrics.periods import client_periods
    >>> log = pd.DataFrame({"client_id": ["a"] * 4, "stretch": ["Cat-Cow", None, "Cat-Cow", "Cat-Cow"],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-05"]),
    ...     "planned_rest": [False, True, False, False]})
    >>> s = client_periods(log, None, "2026-01-05")
    >>> [a.tolist() for a in daily_streaks(s, s.session_days())]  # 1st-3rd (rest on the 2nd), then the 5th
    [[2], [1]]
    """
    a, keys = s.arrays, s.keys
    sel = a.rest & (a.stretch < 0) & (a.day <= s.today)
    client, day = a.client[sel], a.day[sel]
    inside = day >= s.start[client]
    rest = keys.unique(keys.encode(client[inside], day[inside]), s.n)
    covered, is_session = _insert_sorted(sessions, rest)
    client, day = keys.decode(covered)
    runs = _runs(client, day, is_session.astype(np.float64))
    return _streaks_from_runs(*runs, s.n, lambda end: end >= s.today - 1)


@dataclass(frozen=True)
class Weeks:
    """The ISO weeks of every selected client's period, client after client (one entry per week)."""

    client: np.ndarray
    monday: np.ndarray
    days: np.ndarray  # days of the week inside the period
    complete: np.ndarray  # the week has ended by as_of
    target_days: np.ndarray  # days from the start (or Monday) to Sunday
    first_monday: np.ndarray  # per client
    offset: np.ndarray  # per client: position of its first week (-1 when it has none)
    n_weeks: np.ndarray  # per client

    def position(self, client: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The week entry of each (client, day) and whether it falls in one of the client's weeks."""
        week = (day - self.first_monday[client]) // 7
        valid = (self.offset[client] >= 0) & (week >= 0) & (week < self.n_weeks[client])
        return np.where(valid, self.offset[client] + week, 0), valid


def week_grid(s: ClientPeriods, select: np.ndarray | None = None) -> Weeks:
    """Expand each client's period into its ISO weeks (a vectorised repeat, no loop)."""
    chosen = s.days > 0 if select is None else (s.days > 0) & select
    idx = np.flatnonzero(chosen)
    start = s.start[idx]
    monday0 = start - (start + 3) % 7  # 1970-01-01 was a Thursday
    n_weeks = (s.today - monday0) // 7 + 1
    first = np.cumsum(n_weeks) - n_weeks
    client = np.repeat(idx, n_weeks)
    monday = np.repeat(monday0, n_weeks) + 7 * (np.arange(n_weeks.sum()) - np.repeat(first, n_weeks))
    lo = np.maximum(monday, np.repeat(start, n_weeks))
    hi = np.minimum(monday + 6, s.today)
    offset = np.full(s.n, -1, dtype=np.int64)
    first_monday, count = np.zeros(s.n, dtype=np.int64), np.zeros(s.n, dtype=np.int64)
    offset[idx], first_monday[idx], count[idx] = first, monday0, n_weeks
    # A first week that starts mid-week is judged on its remaining days; the week in progress
    # on as_of keeps its full target (it is not over yet, see ``complete``).
    return Weeks(client, monday, (hi - lo + 1).astype(np.int64), monday + 6 <= s.today,
                 (monday + 6 - lo + 1).astype(np.int64), first_monday, offset, count)


def week_sessions(s: ClientPeriods, weeks: Weeks, sessions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per week entry: (session days, target, met)."""
    client, day = s.keys.decode(sessions)
    pos, valid = weeks.position(client, day)
    count = np.bincount(pos[valid], minlength=len(weeks.client)).astype(np.int64)
    target = s.spw[weeks.client] * weeks.target_days / 7
    return count, target, count >= np.ceil(target - 1e-9)


def weekly_streaks(s: ClientPeriods, weeks: Weeks, met: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(longest, current) runs of consecutive met weeks per client.

    Only the unfinished week of as_of, while not met, is ignored.

    Examples
    --------
    Twice a week from Thursday 1 January 2026: the first week (4 days) needs 2 x 4 / 7 sessions,
    rounded up to 2, and has them; the next week has 1 of 2 and has ended.

    >>> import pandas as pd
    >>> from backanalytics.metrics.periods import client_periods
    >>> log = pd.DataFrame({"client_id": ["a"] * 3, "stretch": ["Cat-Cow"] * 3,
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-05"])})
    >>> s = client_periods(log, 2, "2026-01-11")
    >>> weeks = week_grid(s)
    >>> sessions, target, met = week_sessions(s, weeks, s.session_days())
    >>> sessions.tolist(), met.tolist()
    ([2, 1], [True, False])
    >>> [a.tolist() for a in weekly_streaks(s, weeks, met)]
    [[1], [0]]
    """
    kept = weeks.complete | met
    number = weeks.monday // 7
    runs = _runs(weeks.client[met], number[met], np.ones(int(met.sum())))
    has_week, last_week, _ = _last_of_runs(weeks.client[kept], number[kept], number[kept], s.n)
    longest, current = _streaks_from_runs(*runs, s.n, lambda end: end == last_week)
    return longest, np.where(has_week, current, 0)
