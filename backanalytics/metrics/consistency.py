"""Consistency: adherence to a prescription, streaks, habit strength, gaps and regularity.

The guide's core advice is "consistency over intensity". Every function here works on all clients
at once: ``client_id`` is factorised once into integer codes (:func:`~backanalytics.metrics.log_arrays.log_arrays`)
and every metric is a ``bincount`` / sorted-array reduction over those codes, with no Python loop
over clients. The periods come from :mod:`backanalytics.metrics.periods`, the streaks from
:mod:`backanalytics.metrics.streaks`, the dose columns from :mod:`backanalytics.metrics.dose`.

Definitions
-----------
session day
    a date with at least one stretch logged (score-only rows and planned rest days do not count).
period
    from the client's first session day (or the prescription start) to ``as_of``, inclusive.
prescription
    session days a week, more than 0 and at most 7 (default 7, daily): a day counts once however
    many sessions it holds, so a twice-daily plan is measured as daily.
adherence
    ``active_days / (days * sessions_per_week / 7)``; not capped, so over-doing shows as > 1.
    ``adherent`` means adherence >= 0.8, the usual home-exercise-programme threshold.
    ``adherence_28d`` is the same over the last 28 days of the period.
streaks
    for a daily prescription, runs of consecutive session days (a planned rest day bridges a run
    without adding to it); ``current_streak`` is the run ending on ``as_of`` or the day before.
    Below daily, runs of consecutive ISO weeks (Monday-Sunday) meeting the weekly target: the
    week in progress on ``as_of`` counts once it is met and is ignored until then; a week that has
    ended (``as_of`` on or after its Sunday) unmet breaks the run. ``streak_unit`` says which.
gaps
    ``days_since_last`` = days from the last session day to ``as_of``; ``longest_gap_days`` = the
    longest run of days in the period without a session, counting the days from the period's start
    to the first session and from the last session to ``as_of`` (NaN without any session).
habit_strength
    Loop Habit Tracker's score (see :mod:`backanalytics.metrics.habit`).

Only ``client_id`` and ``date`` are required: a missing optional column (``stretch``, ``hold_s``,
``reps``, ``planned_rest``...) reads as empty.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.metrics.dose import dose_arrays
from backanalytics.metrics.habit import frequencies_of, strength_from_days
from backanalytics.metrics.log_arrays import LogArrays, PairKeys, group_bounds, group_max
from backanalytics.metrics.periods import ClientPeriods, client_periods
from backanalytics.metrics.streaks import daily_streaks, week_grid, week_sessions, weekly_streaks
from backanalytics.thresholds import THRESHOLDS

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _habit_strength(s: ClientPeriods) -> np.ndarray:
    """Loop habit strength on as_of per client (every session up to as_of counts, rest days skip)."""
    client, day = s.keys.decode(s.all_sessions)
    upto = day <= s.today
    a = s.arrays
    rest = a.rest & (a.day <= s.today)
    return strength_from_days(s.n, client[upto], day[upto], a.client[rest], a.day[rest], s.today,
                              *frequencies_of(s.spw))[1]


def _area_text(mask: np.ndarray) -> np.ndarray:
    """Comma-separated area names per bit mask (one Arrow pass per catalog area, not per client)."""
    empty = pa.scalar("")
    parts = [pc.if_else(pa.array((mask >> bit) & 1 == 1), pa.scalar(", " + area), empty)
             for bit, area in enumerate(catalog.AREAS)]
    joined = pc.utf8_slice_codeunits(pc.binary_join_element_wise(*parts, ""), 2)  # drop the first ", "
    return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


def weekly_consistency(log: pd.DataFrame, prescription: float | pd.DataFrame | None = None,
                       as_of: object | None = None) -> pd.DataFrame:
    """One row per (client, ISO week) of the period: sessions against the weekly target.

    Columns: ``client_id, week`` (the Monday), ``iso_year, iso_week, days`` (days of the week
    inside the period), ``complete`` (the week ended by as_of), ``sessions`` (session days),
    ``target`` (sessions_per_week x days from the start to Sunday / 7: a first week starting
    mid-week is judged on its remaining days; the week in progress keeps its full target),
    ``met`` (sessions >= target rounded up),
    ``adherence`` (sessions / target) and ``minutes`` stretched (hold x reps; dynamic and strength
    reps without a hold count :data:`backanalytics.catalog.SECONDS_PER_REP` each).

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a"] * 3, "stretch": ["Cobra Stretch"] * 3,
    ...     "date": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-12"]),
    ...     "hold_s": [30.0] * 3, "reps": pd.array([2] * 3, dtype="Int64"), "planned_rest": False})
    >>> weekly_consistency(log, 3, as_of="2026-01-18")[["week", "sessions", "met"]].values.tolist()
    [[Timestamp('2026-01-05 00:00:00'), 2, False], [Timestamp('2026-01-12 00:00:00'), 1, False]]
    """
    s = client_periods(log, prescription, as_of)
    a = s.arrays
    weeks = week_grid(s)
    sessions, target, met = week_sessions(s, weeks, s.session_days())
    done = (a.stretch >= 0) & (a.day <= s.today)
    day = a.day[done]
    pos, valid = weeks.position(a.client[done], day - (day + 3) % 7)
    seconds = catalog.seconds_from(a.hold[done], a.reps[done])
    minutes = np.bincount(pos[valid], weights=seconds[valid], minlength=len(weeks.client)) / 60
    thursday = (weeks.monday + 3).astype("datetime64[D]")
    year = thursday.astype("datetime64[Y]")
    with np.errstate(divide="ignore", invalid="ignore"):
        adherence = sessions / target
    return pd.DataFrame({
        C.CLIENT_ID: s.per.index.to_numpy()[weeks.client],
        "week": weeks.monday.astype("datetime64[D]").astype("datetime64[ns]"),
        "iso_year": year.astype(np.int64) + 1970,
        "iso_week": (thursday - year).astype(np.int64) // 7 + 1,
        "days": weeks.days,
        "complete": weeks.complete,
        "sessions": sessions,
        "target": target,
        "met": met,
        "adherence": adherence,
        "minutes": pd.Series(minutes).round(1).to_numpy(),
    })


def _adherence_columns(s: ClientPeriods, client: np.ndarray, day: np.ndarray) -> dict[str, object]:
    """active_days, adherence, adherent, adherence_28d."""
    active = np.bincount(client, minlength=s.n)
    spw = s.rx["sessions_per_week"]
    expected = s.per["days"] * spw / 7
    adherence = (pd.Series(active, index=s.per.index) / expected).where(expected > 0)
    recent_start = np.maximum(s.start, s.today - 27)
    recent_days = np.clip(s.today - recent_start + 1, 0, None)
    recent = np.bincount(client, weights=(day >= recent_start[client]).astype(np.float64), minlength=s.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        recent_adherence = recent / (recent_days * spw.to_numpy() / 7)
    return {"active_days": active, "adherence": adherence,
            "adherent": adherence >= THRESHOLDS["adherent"],
            "adherence_28d": np.where(recent_days > 0, recent_adherence, np.nan)}


def _gap_columns(s: ClientPeriods, client: np.ndarray, day: np.ndarray, active: np.ndarray) -> dict[str, object]:
    """days_since_last, longest_gap_days, sessions_per_week."""
    counts, first = group_bounds(client, s.n)
    has = counts > 0
    last = np.where(has, day[np.where(has, first + counts - 1, 0)] if len(day) else 0, 0)
    since = np.where(has, s.today - last, np.nan)
    previous = np.empty(len(day), dtype=np.int64)
    previous[1:] = day[:-1]
    previous[first[has]] = s.start[has] - 1  # the period's start counts as the end of a gap
    inner = group_max(client, (day - previous - 1).astype(np.float64), s.n, np.nan)
    days = s.per["days"]
    return {"days_since_last": since if np.isnan(since).any() else since.astype(np.int64),
            "longest_gap_days": np.fmax(inner, since),
            "sessions_per_week": (pd.Series(active, index=s.per.index) / days * 7).where(days > 0)}


def _weekday_columns(s: ClientPeriods, client: np.ndarray, day: np.ndarray, active: np.ndarray) -> dict[str, object]:
    """weekend_share, weekday_regularity (1 - normalised entropy of session weekdays), top_weekday."""
    counts = np.bincount(client * 7 + (day + 3) % 7, minlength=7 * s.n).reshape(s.n, 7)
    weekday = pd.DataFrame(counts, index=s.per.index, columns=range(7))
    share = weekday.div(weekday.sum(axis=1).replace(0, np.nan), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -(share * np.log(share.where(share > 0))).sum(axis=1, min_count=1)
    return {"weekend_share": share[[5, 6]].sum(axis=1, min_count=1),
            "weekday_regularity": (1 - entropy / np.log(7)).where(share.notna().all(axis=1)),
            "top_weekday": pd.Series(np.array(WEEKDAYS)[counts.argmax(axis=1)], index=s.per.index).where(active > 0)}


def _variety_columns(done: LogArrays) -> tuple[dict[str, object], np.ndarray]:
    """stretch_variety, areas_covered, areas; and the sorted (client, stretch) keys of what was done."""
    pairs = PairKeys(0, max(len(done.stretch_names), 1))
    done_keys = pairs.unique(pairs.encode(done.client, done.stretch), done.n)
    client, stretch = pairs.decode(done_keys)
    variety = np.bincount(client, minlength=done.n)
    bits = catalog.area_bits(done.stretch_names)[stretch]
    mask = np.zeros(done.n, dtype=np.int64)
    counts, first = group_bounds(client, done.n)
    if len(bits):
        mask[counts > 0] = np.bitwise_or.reduceat(bits, first[counts > 0])
    columns = {"stretch_variety": variety, "areas_covered": np.bitwise_count(mask).astype(np.int64),
               "areas": _area_text(mask)}
    return columns, done_keys


def _coverage(done: LogArrays, done_keys: np.ndarray, prescribed: pd.Series) -> np.ndarray:
    """Share of each client's prescribed stretches performed at least once (NaN: none prescribed).

    ``prescribed`` holds, per client_id, a ``;``-separated string or a list of stretch names.
    """
    listed = prescribed.dropna()
    out = np.full(done.n, np.nan)
    if listed.empty:
        return out
    listed = listed.astype(object)
    split = listed.str.split(";")
    names = split.where(split.notna(), listed).explode()
    canonical = {u: catalog.canonical_name(u) or u for u in pd.unique(names)}  # once per distinct name
    wanted = pd.DataFrame({"c": done.clients.get_indexer(names.index), "name": names.map(canonical).to_numpy()})
    wanted = wanted.drop_duplicates()
    client = wanted["c"].to_numpy()
    stretch = pd.Index(done.stretch_names, dtype=object).get_indexer(wanted["name"].to_numpy(dtype=object))
    pairs = PairKeys(0, max(len(done.stretch_names), 1))
    key = pairs.encode(client, stretch)
    pos = np.minimum(np.searchsorted(done_keys, key), max(len(done_keys) - 1, 0))
    hit = (stretch >= 0) & (done_keys[pos] == key) if len(done_keys) else np.zeros(len(key), dtype=bool)
    count = np.bincount(client, minlength=done.n)
    share = np.bincount(client, weights=hit.astype(np.float64), minlength=done.n) / np.maximum(count, 1)
    return np.where(count > 0, share, np.nan)


def consistency(log: pd.DataFrame, prescription: float | pd.DataFrame | None = None,
                as_of: object | None = None, guidance: Mapping[str, Mapping[str, float | None]] | None = None
                ) -> pd.DataFrame:
    """Consistency metrics for every client, one row each (index ``client_id``).

    Parameters
    ----------
    log
        The canonical log (:func:`backanalytics.load_log`); only ``client_id`` and ``date`` are
        required, missing optional columns read as empty.
    prescription
        Session days per week for everyone (more than 0, at most 7; default 7, daily), or a table
        with ``client_id``, ``sessions_per_week`` and optional ``start`` (and ``stretches``:
        prescribed stretch names, ``;``-separated or a list).
    as_of
        The date of the analysis (default: the latest date in the whole log); later rows are ignored.
    guidance
        Dose guidance per stretch kind (default ACSM, :data:`backanalytics.catalog.DOSE_GUIDANCE`;
        :data:`backanalytics.metrics.dose.OLDER_ADULTS` holds statics 30-60 s).

    Returns
    -------
    pandas.DataFrame
        ``start, as_of, days, sessions_per_week_target, active_days, adherence, adherent,
        adherence_28d, longest_streak, current_streak, streak_unit, habit_strength,
        days_since_last, longest_gap_days, sessions_per_week, weekend_share, weekday_regularity,
        top_weekday, stretch_variety, areas_covered, areas, median_hold_s, median_reps,
        seconds_per_session, dose_within_guidance`` (definitions in the module docstring;
        ``weekday_regularity`` is 1 - the normalised Shannon entropy of session weekdays: 0 spread
        evenly over the week, 1 always the same weekday), plus ``prescribed_coverage`` when the
        prescription lists stretches.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a"] * 3, "stretch": ["Cobra Stretch"] * 3,
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-04"]), "planned_rest": False})
    >>> row = consistency(log).loc["a"]
    >>> int(row["active_days"]), int(row["days"]), float(row["adherence"]), int(row["longest_streak"])
    (3, 4, 0.75, 2)
    >>> int(row["longest_gap_days"]), row["areas"]
    (1, 'abdominals, lower back, spine')
    """
    s = client_periods(log, prescription, as_of)
    a = s.arrays
    sessions = s.session_days()
    client, day = s.keys.decode(sessions)
    out = s.per.copy()
    out["sessions_per_week_target"] = s.rx["sessions_per_week"]
    adherence = _adherence_columns(s, client, day)
    for name, values in adherence.items():
        out[name] = values
    daily = s.spw >= 7
    longest, current = daily_streaks(s, sessions)
    if not daily.all():
        weeks = week_grid(s, ~daily)
        _, _, met = week_sessions(s, weeks, sessions)
        w_longest, w_current = weekly_streaks(s, weeks, met)
        longest, current = np.where(daily, longest, w_longest), np.where(daily, current, w_current)
    out["longest_streak"], out["current_streak"] = longest, current
    out["streak_unit"] = np.where(daily, "days", "weeks")
    out["habit_strength"] = _habit_strength(s)
    active = adherence["active_days"]
    for columns in (_gap_columns(s, client, day, active), _weekday_columns(s, client, day, active)):
        for name, values in columns.items():
            out[name] = values
    done = a.rows((a.stretch >= 0) & (a.day <= s.today))
    variety, done_keys = _variety_columns(done)
    for columns in (variety, dose_arrays(done, guidance)):
        for name, values in columns.items():
            out[name] = values
    if "stretches" in s.rx:
        out["prescribed_coverage"] = _coverage(done, done_keys, s.rx["stretches"])
    return out

