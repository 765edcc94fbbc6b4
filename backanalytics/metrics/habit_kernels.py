"""Array kernels of habit strength: Loop Habit Tracker's score for many habits at once.

Loop Habit Tracker (github.com/iSoron/uhabits, ``ScoreList.kt`` / ``Score.kt``, app v2.x) rates how
established a habit is with an exponentially smoothed score in [0, 1], updated once a day:

``score_t = m * score_{t-1} + (1 - m) * completed_t``, with ``m = 0.5 ** (sqrt(f) / 13)``

where ``f = numerator / denominator`` is the habit's target frequency per day (daily = 1/1,
three times a week = 3/7) and ``completed_t`` is the share of the target met in a rolling window
ending on day t:

* the window is the last ``denominator`` days (today included) and the share is
  ``min(1, done_in_window / numerator)``; only days the user ticked (``YES_MANUAL``) count, the
  days Loop fills in automatically (``YES_AUTO``) do not;
* for non-daily yes/no habits (``f < 1``) Loop doubles numerator and denominator (3/7 becomes 6 in
  14 days) so that a week done early followed by a week done late still scores as complete;
* a skipped day (``SKIP``, e.g. a planned rest day) leaves the score unchanged - no decay, no
  gain - but it stays in the rolling window as a day not done;
* ``Frequency(n, n)`` is normalised to 1/1 (so "7 times in 7 days" is simply daily);
* the series starts at the habit's first entry with score 0.

So a daily habit done three days running from scratch scores ``1 - m**3`` with
``m = 0.5 ** (1 / 13)``: the half-life is 13 days for a daily habit, and longer for sparser habits
(``13 / sqrt(f)`` days, about 19.9 days for three times a week).

Numerical habits (an amount per period against a target, "at least" or "at most") follow the same
smoothing with ``completed_t`` = the window's total over the target (:func:`numerical_habit_scores`).
Early Loop (1.x; e.g. the ``Score`` table cached in a schema-12 backup) used a different, integer
rule without rolling window or SKIP, reproduced by :func:`legacy_habit_scores`; for daily habits
it agrees with the current rule up to integer truncation, for sparser habits it does not.

:mod:`backanalytics.metrics.habit` runs these kernels on the canonical log.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

import numpy as np

#: Marker values of the ``done`` arrays taken by :func:`habit_scores`.
DONE = 1
NOT_DONE = 0
SKIP = -1

#: Loop 1.x stored scores as integers with this ceiling (``Score.MAX_VALUE``), which is
#: ``floor(1e6 / (1 - 0.5 ** (1 / 13)))``: the fixed point of a daily habit done every day.
LEGACY_MAX_VALUE = 19_259_478
_LEGACY_STEP = 1_000_000


class LoopEntry(IntEnum):
    """Loop's entry codes (``Entry.kt``), as found in its backups and legacy CSV exports."""

    UNKNOWN = -1
    NO = 0
    YES_AUTO = 1
    YES_MANUAL = 2
    SKIP = 3


def from_loop_entries(values: np.ndarray | list[int]) -> np.ndarray:
    """Turn Loop entry codes of a yes/no habit into a ``done`` array for :func:`habit_scores`.

    ``YES_MANUAL`` becomes :data:`DONE`, ``SKIP`` becomes :data:`SKIP` and everything else
    (``YES_AUTO``, ``NO``, ``UNKNOWN``) becomes :data:`NOT_DONE`, which is exactly how Loop's score
    reads them: an automatically filled day is not a repetition.

    Examples
    --------
    >>> from_loop_entries([2, 1, 0, -1, 3]).tolist()
    [1, 0, 0, 0, -1]
    """
    codes = np.asarray(values)
    out = np.full(codes.shape, NOT_DONE, dtype=np.int8)
    out[codes == LoopEntry.YES_MANUAL] = DONE
    out[codes == LoopEntry.SKIP] = SKIP
    return out


def loop_multiplier(numerator: int | np.ndarray, denominator: int | np.ndarray) -> np.ndarray:
    """Loop's daily decay factor ``0.5 ** (sqrt(numerator / denominator) / 13)``.

    Examples
    --------
    >>> round(float(loop_multiplier(1, 1)), 6)
    0.948078
    >>> round(float(loop_multiplier(3, 7)), 6)
    0.965697
    """
    num, den = _normalise_frequency(np.asarray(numerator), np.asarray(denominator))
    return np.power(0.5, np.sqrt(num / den) / 13.0)


def habit_scores(
    done: np.ndarray,
    numerator: int | np.ndarray = 1,
    denominator: int | np.ndarray = 1,
) -> np.ndarray:
    """Daily Loop habit-strength scores of yes/no habits, for many clients at once.

    Parameters
    ----------
    done : array of shape (days,) or (clients, days)
        One column per consecutive day, oldest first, starting at (or before) each client's first
        repetition: :data:`DONE` (1) repetition, :data:`NOT_DONE` (0) none, :data:`SKIP` (-1) a
        skipped day that must not weaken the habit. NaN reads as not done; booleans are accepted.
    numerator, denominator : int or array of shape (clients,)
        Loop frequency: ``numerator`` repetitions every ``denominator`` days, per client or shared.

    Returns
    -------
    numpy.ndarray
        Scores in [0, 1] with the shape of ``done``: the score at the end of each day.

    Notes
    -----
    Loop's rule (``ScoreList.recompute``): on every non-skipped day the score moves towards the
    share of the target met in the last ``denominator`` days by a factor ``1 - m``; skipped days
    keep the previous score. See the module docstring. Leading not-done days leave the score at
    exactly 0, so clients may share a common start column.

    Examples
    --------
    Three days done from scratch on a daily habit give ``1 - m**3``:

    >>> m = 0.5 ** (1 / 13)
    >>> s = habit_scores([1, 1, 1])
    >>> bool(np.isclose(s[-1], 1 - m**3))
    True

    A skipped day keeps the score; two clients with their own frequencies in one call:

    >>> habit_scores([[1, -1, 1], [1, 0, 1]], numerator=[1, 3], denominator=[1, 7]).round(4)
    array([[0.0519, 0.0519, 0.1011],
           [0.0057, 0.0112, 0.0223]])
    """
    codes, squeeze = _as_2d(done)
    scores = boolean_scores(codes, numerator, denominator, keep_all=True)
    return scores[:, 0] if squeeze else scores.T


def boolean_scores(codes: np.ndarray, numerator: object, denominator: object, *,
                   keep_all: bool) -> np.ndarray:
    """:func:`habit_scores` of a clients x days matrix of :data:`DONE` / :data:`NOT_DONE` / :data:`SKIP`.

    Returns days x clients scores, or only the last day's (clients,) when ``keep_all`` is False.
    """
    _check_codes(codes)
    num, den = _per_client_frequency(numerator, denominator, codes.shape[0])
    mult = np.power(0.5, np.sqrt(num / den) / 13.0)
    # Non-daily yes/no habits: Loop doubles the window (and target) so irregular weeks still
    # count as complete (ScoreList.kt, "smooth out irregular repetition schedules").
    sparse = num < den
    num = np.where(sparse, 2 * num, num)
    den = np.where(sparse, 2 * den, den)
    done_td = np.ascontiguousarray((codes == DONE).T, dtype=np.float64)
    skip_td = np.ascontiguousarray((codes == SKIP).T)
    return _smooth(done_td, skip_td, num, den, mult, lambda total: np.minimum(1.0, total / num),
                   np.zeros(codes.shape[0]), keep_all=keep_all)


def numerical_habit_scores(
    values: np.ndarray,
    target: float | np.ndarray,
    numerator: int | np.ndarray = 1,
    denominator: int | np.ndarray = 1,
    *,
    at_most: bool | np.ndarray = False,
    skip: np.ndarray | None = None,
) -> np.ndarray:
    """Daily Loop scores of numerical habits ("at least / at most ``target`` per period").

    Parameters
    ----------
    values : array of shape (days,) or (clients, days)
        Amount logged each day in the habit's unit, oldest first, starting at each client's first
        entry (at-most habits start from a full score, so the start matters). NaN and negative
        values count as 0.
    target : float or array of shape (clients,)
        Target amount per period of ``denominator`` days.
    numerator, denominator : int or array of shape (clients,)
        Loop frequency; the rolling window is ``denominator`` days (not doubled for numerical
        habits) and ``numerator / denominator`` sets the decay.
    at_most : bool or array of shape (clients,)
        True for "at most ``target``" habits (e.g. cigarettes): full marks at or below target,
        falling linearly to 0 at twice the target.
    skip : bool array like ``values``, optional
        Skipped days: the score is kept. As in Loop, a skipped day adds Loop's SKIP code
        (3 thousandths of a unit) to the rolling total, because Loop stores amounts times 1000
        and sums ``max(0, value)`` without excluding SKIP.

    Returns
    -------
    numpy.ndarray
        Scores in [0, 1] with the shape of ``values``.

    Examples
    --------
    Half the daily target every day converges to 0.5:

    >>> s = numerical_habit_scores(np.full(500, 1.0), target=2.0)
    >>> round(float(s[-1]), 6)
    0.5
    >>> numerical_habit_scores([1.0, 5.0, 5.0], target=2.0, at_most=True).round(4)
    array([1.    , 0.9481, 0.8989])
    """
    amounts, squeeze = _as_2d(values)
    n = amounts.shape[0]
    num, den = _per_client_frequency(numerator, denominator, n)
    mult = np.power(0.5, np.sqrt(num / den) / 13.0)
    tgt = np.broadcast_to(np.asarray(target, dtype=np.float64), (n,)).copy()
    most = np.broadcast_to(np.asarray(at_most, dtype=bool), (n,)).copy()
    if skip is None:
        skip_2d = np.zeros(amounts.shape, dtype=bool)
    else:
        skip_2d, _ = _as_2d(np.asarray(skip, dtype=bool))
        if skip_2d.shape != amounts.shape:
            raise ValueError("skip must have the shape of values")
    daily = np.where(np.isnan(amounts), 0.0, np.maximum(amounts, 0.0))
    daily = np.where(skip_2d, int(LoopEntry.SKIP) / 1000.0, daily)
    positive = tgt > 0
    safe_tgt = np.where(positive, tgt, 1.0)

    def completed(total: np.ndarray) -> np.ndarray:
        at_least = np.where(positive, np.minimum(1.0, total / safe_tgt), 1.0)
        under = np.where(positive, np.clip(1.0 - (total - safe_tgt) / safe_tgt, 0.0, 1.0),
                         np.where(total > 0, 0.0, 1.0))
        return np.where(most, under, at_least)

    scores = _smooth(np.ascontiguousarray(daily.T), np.ascontiguousarray(skip_2d.T), num, den,
                     mult, completed, np.where(most, 1.0, 0.0), keep_all=True)
    return scores[:, 0] if squeeze else scores.T


def legacy_habit_scores(
    done: np.ndarray,
    numerator: int | np.ndarray = 1,
    denominator: int | np.ndarray = 1,
) -> np.ndarray:
    """Daily scores under Loop 1.x's integer rule, as cached in old backups' ``Score`` table.

    Loop 1.x kept an integer score: each day ``score = int(score * m)`` with
    ``m = 0.5 ** (1 / (14 / f - 1))``, then ``score = min(score + 1_000_000, 19_259_478)`` on a
    ticked day; exports divided by 19,259,478 (:data:`LEGACY_MAX_VALUE`). There was no rolling
    window and no SKIP (a :data:`SKIP` marker counts as not done here).

    Parameters
    ----------
    done : array of shape (days,) or (clients, days)
        As for :func:`habit_scores`, starting on the first repetition.
    numerator, denominator : int or array of shape (clients,)
        Loop frequency.

    Returns
    -------
    numpy.ndarray
        Scores divided by :data:`LEGACY_MAX_VALUE`; multiply back to get Loop's stored integers.

    Examples
    --------
    >>> (legacy_habit_scores([1, 1, 0]) * LEGACY_MAX_VALUE).round().astype(int).tolist()
    [1000000, 1948077, 1846927]
    """
    codes, squeeze = _as_2d(done)
    _check_codes(codes)
    num, den = _per_client_frequency(numerator, denominator, codes.shape[0])
    mult = np.power(0.5, 1.0 / (14.0 / (num / den) - 1.0))
    done_td = np.ascontiguousarray((codes == DONE).T)
    out = np.empty(done_td.shape, dtype=np.float64)
    score = np.zeros(codes.shape[0])
    for t in range(done_td.shape[0]):
        # Java's (int) cast truncates; scores are never negative so floor is the same.
        score = np.floor(score * mult)
        score = np.where(done_td[t], np.minimum(score + _LEGACY_STEP, LEGACY_MAX_VALUE), score)
        out[t] = score
    out /= LEGACY_MAX_VALUE
    return out[:, 0] if squeeze else out.T


# --------------------------------------------------------------------------------------------
# internals


def _normalise_frequency(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate a frequency and apply Loop's Frequency(n, n) -> Frequency(1, 1)."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    if np.any(num < 1) or np.any(den < 1):
        raise ValueError("frequency numerator and denominator must be positive integers")
    same = num == den
    return np.where(same, 1, num), np.where(same, 1, den)


def _per_client_frequency(numerator: object, denominator: object, n: int
                          ) -> tuple[np.ndarray, np.ndarray]:
    num = np.asarray(numerator)
    den = np.asarray(denominator)
    if np.any(num != np.round(num)) or np.any(den != np.round(den)):
        raise ValueError("frequency numerator and denominator must be integers")
    try:
        num = np.broadcast_to(num, (n,))
        den = np.broadcast_to(den, (n,))
    except ValueError as exc:
        raise ValueError(f"numerator/denominator must be scalars or have one value per client "
                         f"({n})") from exc
    return _normalise_frequency(num, den)


def _as_2d(values: object) -> tuple[np.ndarray, bool]:
    arr = np.asarray(values).astype(np.float64)
    if arr.ndim == 1:
        return arr[None, :], True
    if arr.ndim != 2:
        raise ValueError(f"expected a 1-D or 2-D array (clients x days), got {arr.ndim}-D")
    return arr, False


def _check_codes(codes: np.ndarray) -> None:
    ok = np.isnan(codes) | (codes == DONE) | (codes == NOT_DONE) | (codes == SKIP)
    if not ok.all():
        bad = np.unique(codes[~ok])[:5].tolist()
        raise ValueError(f"done values must be 1 (done), 0 (not done) or {SKIP} (skip); got {bad}")


def _smooth(
    daily: np.ndarray,
    skip: np.ndarray,
    num: np.ndarray,
    den: np.ndarray,
    mult: np.ndarray,
    completed: Callable[[np.ndarray], np.ndarray],
    initial: np.ndarray,
    *,
    keep_all: bool,
) -> np.ndarray:
    """The shared recurrence, looping over days (rows of the day-major arrays) across clients.

    ``daily`` is each day's contribution to the rolling total (days x clients); the window of
    client i is ``den[i]`` days. Skip days keep the score. Returns days x clients scores, or only
    the last day's (clients,) when ``keep_all`` is False, to spare memory on long histories.
    """
    n_days, n = daily.shape
    out = np.empty((n_days if keep_all else 0, n), dtype=np.float64)
    score = initial.astype(np.float64).copy()
    total = np.zeros(n, dtype=np.float64)
    clients = np.arange(n)
    one_minus = 1.0 - mult
    uniform = bool(n) and bool(np.all(den == den[0]))
    for t in range(n_days):
        total += daily[t]
        # Drop the day that just left each client's window (Loop subtracts values[offset + den]).
        if uniform:
            if t >= den[0]:
                total -= daily[t - den[0]]
        else:
            old = t - den
            has_old = old >= 0
            if has_old.any():
                total[has_old] -= daily[old[has_old], clients[has_old]]
        # Same operation order as Score.compute: prev * m, then + value * (1 - m).
        updated = score * mult + completed(total) * one_minus
        score = np.where(skip[t], score, updated)
        if keep_all:
            out[t] = score
    return out if keep_all else score
