"""Consistency: adherence to a prescription, streaks, habit strength, gaps and regularity.

The guide's core advice is "consistency over intensity". Every function here works on all clients
at once (sorted arrays and grouped aggregations, no Python loop over clients).

Definitions
-----------
session day
    a date with at least one stretch logged (score-only rows do not count).
period
    from the client's first session day (or the prescription start) to ``as_of``, inclusive.
adherence
    ``active_days / (days * sessions_per_week / 7)``; not capped, so over-doing shows as > 1.
    ``adherent`` means adherence >= 0.8, the usual home-exercise-programme threshold.
    ``adherence_28d`` is the same over the last 28 days of the period.
streaks
    for a daily prescription, runs of consecutive session days (a planned rest day bridges a run
    without adding to it); ``current_streak`` is the run ending on ``as_of`` or the day before.
    Below daily, runs of consecutive ISO weeks (Monday-Sunday) meeting the weekly target; the
    current week counts once it is met. ``streak_unit`` says which.
habit_strength
    Loop Habit Tracker's score (see :mod:`backanalytics.metrics.habit`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.metrics.dose import dose_summary
from backanalytics.metrics.habit import habit_strength
from backanalytics.metrics.periods import (
    periods,
    prescription_table,
    resolve_as_of,
    session_days,
)
from backanalytics.thresholds import THRESHOLDS

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _done_columns(log: pd.DataFrame) -> list[str]:
    """Columns of stretch rows the dose and variety metrics read (filtering only these is cheaper)."""
    return [c for c in (C.CLIENT_ID, C.DATE, C.STRETCH, C.HOLD_S, C.REPS) if c in log]


def _runs(client: np.ndarray, day: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """Runs of consecutive integer ``day`` values per client; length = sum of ``counts`` in the run."""
    if len(day) == 0:
        return pd.DataFrame({C.CLIENT_ID: [], "end": [], "length": []})
    new = np.ones(len(day), dtype=bool)
    new[1:] = (client[1:] != client[:-1]) | (day[1:] - day[:-1] != 1)
    run_id = np.cumsum(new) - 1
    length = np.bincount(run_id, weights=counts).astype(int)
    end = np.full(run_id.max() + 1, 0, dtype=np.int64)
    end[run_id] = day  # last assignment wins: the run's last day
    return pd.DataFrame({C.CLIENT_ID: client[new], "end": end, "length": length})


def _daily_streaks(log: pd.DataFrame, sessions: pd.DataFrame, as_of: pd.Timestamp,
                   per: pd.DataFrame) -> pd.DataFrame:
    rest = log.loc[log[C.PLANNED_REST] & log[C.STRETCH].isna() & (log[C.DATE] <= as_of),
                   [C.CLIENT_ID, C.DATE]].drop_duplicates()
    rest = rest.merge(per["start"].reset_index(), on=C.CLIENT_ID)
    rest = rest[rest[C.DATE] >= rest["start"]]
    covered = pd.concat([sessions[[C.CLIENT_ID, C.DATE]].assign(n=1),
                         rest[[C.CLIENT_ID, C.DATE]].assign(n=0)])
    covered = covered.groupby([C.CLIENT_ID, C.DATE], as_index=False)["n"].max()
    covered = covered.sort_values([C.CLIENT_ID, C.DATE])
    day = covered[C.DATE].to_numpy().astype("datetime64[D]").astype(np.int64)
    runs = _runs(covered[C.CLIENT_ID].to_numpy(), day, covered["n"].to_numpy())
    today = np.datetime64(as_of, "D").astype(np.int64)
    longest = runs.groupby(C.CLIENT_ID)["length"].max()
    last = runs.groupby(C.CLIENT_ID).tail(1).set_index(C.CLIENT_ID)
    current = last["length"].where(last["end"] >= today - 1, 0)
    return pd.DataFrame({"longest_streak": longest, "current_streak": current})


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
    as_of = resolve_as_of(log, as_of)
    rx = prescription_table(log, prescription)
    per = periods(log, rx, as_of)
    per = per[per["days"] > 0]
    # Expand each client's period into its weeks (number of weeks is small; vectorised repeat).
    start_day = per["start"].to_numpy().astype("datetime64[D]").astype(np.int64)
    end_day = np.datetime64(as_of, "D").astype(np.int64)
    monday0 = start_day - (start_day + 3) % 7  # 1970-01-01 was a Thursday
    n_weeks = (end_day - monday0) // 7 + 1
    client = np.repeat(per.index.to_numpy(), n_weeks)
    offset = np.arange(n_weeks.sum()) - np.repeat(np.cumsum(n_weeks) - n_weeks, n_weeks)
    monday = np.repeat(monday0, n_weeks) + 7 * offset
    lo = np.maximum(monday, np.repeat(start_day, n_weeks))
    hi = np.minimum(monday + 6, end_day)
    weeks = pd.DataFrame({C.CLIENT_ID: client, "week": monday.astype("datetime64[D]").astype(
        "datetime64[ns]"), "days": (hi - lo + 1).astype(int), "complete": monday + 6 <= end_day})
    # A first week that starts mid-week is judged on its remaining days; the week in progress
    # on as_of keeps its full target (it is not over yet, see ``complete``).
    target_days = (monday + 6 - lo + 1).astype(int)
    iso = weeks["week"].dt.isocalendar()
    weeks["iso_year"], weeks["iso_week"] = iso["year"].astype(int), iso["week"].astype(int)

    sessions = session_days(log, as_of).merge(per["start"].reset_index(), on=C.CLIENT_ID)
    sessions = sessions[sessions[C.DATE] >= sessions["start"]]
    sessions["week"] = sessions[C.DATE] - pd.to_timedelta(sessions[C.DATE].dt.day_of_week, unit="D")
    counts = sessions.groupby([C.CLIENT_ID, "week"]).size().rename("sessions")
    stretched = log.loc[log[C.STRETCH].notna() & (log[C.DATE] <= as_of), _done_columns(log)]
    seconds = catalog.seconds_stretched(stretched)
    wk = stretched[C.DATE] - pd.to_timedelta(stretched[C.DATE].dt.day_of_week, unit="D")
    minutes = (seconds.groupby([stretched[C.CLIENT_ID], wk.rename("week")]).sum() / 60).rename("minutes")
    weeks = weeks.join(counts, on=[C.CLIENT_ID, "week"]).join(minutes, on=[C.CLIENT_ID, "week"])
    weeks["sessions"] = weeks["sessions"].fillna(0).astype(int)
    weeks["minutes"] = weeks["minutes"].fillna(0.0).round(1)
    weeks["target"] = rx["sessions_per_week"].reindex(weeks[C.CLIENT_ID]).to_numpy() * target_days / 7
    weeks["met"] = weeks["sessions"] >= np.ceil(weeks["target"] - 1e-9)
    weeks["adherence"] = weeks["sessions"] / weeks["target"]
    return weeks[[C.CLIENT_ID, "week", "iso_year", "iso_week", "days", "complete", "sessions", "target",
                  "met", "adherence", "minutes"]].reset_index(drop=True)


def _weekly_streaks(weekly: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Streaks of consecutive met weeks; an unfinished current week that is not met yet is ignored."""
    this_monday = as_of - pd.Timedelta(days=as_of.weekday())
    ignore = (weekly["week"] == this_monday) & ~weekly["met"]
    w = weekly[~ignore]
    met = w[w["met"]]
    day = (met["week"].to_numpy().astype("datetime64[D]").astype(np.int64)) // 7
    runs = _runs(met[C.CLIENT_ID].to_numpy(), day, np.ones(len(met)))
    longest = runs.groupby(C.CLIENT_ID)["length"].max()
    last_week = w.groupby(C.CLIENT_ID)["week"].max().to_numpy().astype("datetime64[D]").astype(
        np.int64) // 7
    last_run = runs.groupby(C.CLIENT_ID).tail(1).set_index(C.CLIENT_ID)
    last_week = pd.Series(last_week, index=w.groupby(C.CLIENT_ID)["week"].max().index)
    current = last_run["length"].where(last_run["end"] == last_week.reindex(last_run.index), 0)
    return pd.DataFrame({"longest_streak": longest, "current_streak": current})


def consistency(log: pd.DataFrame, prescription: float | pd.DataFrame | None = None,
                as_of: object | None = None, guidance: Mapping[str, Mapping[str, float | None]] | None = None
                ) -> pd.DataFrame:
    """Consistency metrics for every client, one row each (index ``client_id``).

    Parameters
    ----------
    log
        The canonical log (:func:`backanalytics.load_log`).
    prescription
        Sessions per week for everyone (default 7, daily), or a table with ``client_id``,
        ``sessions_per_week`` and optional ``start`` (and ``stretches``: prescribed stretch names).
    as_of
        The date of the analysis (default: the latest date in the whole log).
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
    >>> int(row["active_days"]), int(row["days"]), round(row["adherence"], 2), int(row["longest_streak"])
    (3, 4, 0.75, 2)
    """
    as_of = resolve_as_of(log, as_of)
    rx = prescription_table(log, prescription)
    per = periods(log, rx, as_of)
    out = per.copy()
    spw = rx["sessions_per_week"]
    out["sessions_per_week_target"] = spw
    sessions = session_days(log, as_of).merge(per["start"].reset_index(), on=C.CLIENT_ID)
    sessions = sessions[sessions[C.DATE] >= sessions["start"]]
    by = sessions.groupby(C.CLIENT_ID)
    out["active_days"] = by.size().reindex(out.index, fill_value=0)
    expected = out["days"] * spw / 7
    out["adherence"] = (out["active_days"] / expected).where(expected > 0)
    out["adherent"] = out["adherence"] >= THRESHOLDS["adherent"]
    recent_start = per["start"].clip(lower=as_of - pd.Timedelta(days=27))
    recent_days = ((as_of - recent_start).dt.days + 1).clip(lower=0)
    recent = sessions[sessions[C.DATE] >= recent_start.reindex(sessions[C.CLIENT_ID]).to_numpy()]
    active28 = recent.groupby(C.CLIENT_ID).size().reindex(out.index, fill_value=0)
    out["adherence_28d"] = (active28 / (recent_days * spw / 7)).where(recent_days > 0)

    daily = spw >= 7
    streaks = _daily_streaks(log, sessions, as_of, per).reindex(out.index)
    weekly = weekly_consistency(log, prescription, as_of)
    wstreaks = _weekly_streaks(weekly, as_of).reindex(out.index)
    for col in ["longest_streak", "current_streak"]:
        out[col] = streaks[col].where(daily, wstreaks[col]).fillna(0).astype(int)
    out["streak_unit"] = np.where(daily, "days", "weeks")
    out["habit_strength"] = habit_strength(log, spw, as_of=as_of).reindex(out.index)

    last = by[C.DATE].max().reindex(out.index)
    out["days_since_last"] = (as_of - last).dt.days
    gaps = sessions.groupby(C.CLIENT_ID)["day"].diff() - 1
    inner_gap = gaps.groupby(sessions[C.CLIENT_ID]).max().reindex(out.index)
    out["longest_gap_days"] = np.fmax(inner_gap, out["days_since_last"])
    out["sessions_per_week"] = (out["active_days"] / out["days"] * 7).where(out["days"] > 0)

    weekday = sessions.groupby([C.CLIENT_ID, sessions[C.DATE].dt.day_of_week]).size().unstack(
        fill_value=0).reindex(index=out.index, columns=range(7), fill_value=0)
    share = weekday.div(weekday.sum(axis=1).replace(0, np.nan), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -(share * np.log(share.where(share > 0))).sum(axis=1, min_count=1)
    out["weekend_share"] = share[[5, 6]].sum(axis=1, min_count=1)
    out["weekday_regularity"] = (1 - entropy / np.log(7)).where(share.notna().all(axis=1))
    out["top_weekday"] = pd.Series(np.array(WEEKDAYS)[weekday.to_numpy().argmax(axis=1)],
                                   index=out.index).where(out["active_days"] > 0)

    done = log.loc[log[C.STRETCH].notna() & (log[C.DATE] <= as_of), _done_columns(log)]
    out["stretch_variety"] = done.groupby(C.CLIENT_ID)[C.STRETCH].nunique().reindex(
        out.index, fill_value=0)
    areas = catalog.areas_table()
    hit = done[[C.CLIENT_ID, C.STRETCH]].drop_duplicates().merge(areas, on=C.STRETCH)
    hit = hit[[C.CLIENT_ID, "area"]].drop_duplicates().sort_values([C.CLIENT_ID, "area"])
    out["areas_covered"] = hit.groupby(C.CLIENT_ID).size().reindex(out.index, fill_value=0)
    out["areas"] = hit.groupby(C.CLIENT_ID)["area"].agg(", ".join).reindex(out.index).fillna("")
    out = out.join(dose_summary(done, guidance))
    if "stretches" in rx:
        out["prescribed_coverage"] = _coverage(done, rx["stretches"]).reindex(out.index)
    return out


def _coverage(done: pd.DataFrame, prescribed: pd.Series) -> pd.Series:
    """Share of each client's prescribed stretches performed at least once."""
    wanted = prescribed.dropna().map(lambda v: [catalog.canonical_name(s) or s for s in (
        v.split(";") if isinstance(v, str) else v)]).explode().rename(C.STRETCH).reset_index()
    wanted = wanted.drop_duplicates()
    did = done[[C.CLIENT_ID, C.STRETCH]].drop_duplicates().assign(done=True)
    hit = wanted.merge(did, on=[C.CLIENT_ID, C.STRETCH], how="left")
    return hit["done"].fillna(False).astype(bool).groupby(hit[C.CLIENT_ID]).mean()
