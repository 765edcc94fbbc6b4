"""A seeded generator of realistic stretching logs, for the sample file, tests and benchmarks.

Every client follows one *story* (an archetype a therapist meets): how often they stretch over the
weeks, how their pain and flexibility move, whether stretching itself hurts. The generator is
vectorised over clients and days, so ten thousand clients take seconds.

Stories
-------
steady-improver      stretches almost daily; pain falls from about 6 to about 2.5.
plateau              adherent, pain falls for a month, then stays put (no further change).
flare-up             improving, then a two-week flare mid-programme, then recovers.
drop-out             good first five weeks, then stops logging altogether.
weekend-only         stretches on Saturdays and Sundays only; small improvement.
late-starter         inconsistent for four weeks, then regular; improves once regular.
hurts-when-stretching  pain right after stretching is higher than before, and pain creeps up.
baseline-first       three weeks of scores only (a baseline phase A), then stretching (phase B).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backanalytics import catalog
from backanalytics import columns as C

STORIES = ("steady-improver", "plateau", "flare-up", "drop-out", "weekend-only", "late-starter",
           "hurts-when-stretching", "baseline-first")
SAMPLE_NAMES = ("anna", "ben", "carla", "dev", "emma", "farid", "grace", "hugo", "ines")
UNILATERAL = {"Knee-to-Chest", "Piriformis Stretch", "Hip Flexor Stretch", "Hamstring Stretch",
              "Seated Spinal Twist", "Supine Twist"}
NOTES = ("felt tight after a long day at the desk", "easier than last week", "short on time",
         'lower back "clicked" in Cat-Cow, no pain', "did it after a walk to warm up",
         "hamstrings tight, went gently", "slept badly, back stiff", "great session, loose after")


def _story_arrays(stories: np.ndarray, days: int, dow: np.ndarray, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (client, day): P(session), expected pain, pain-after offset, score-logging P, flex gain."""
    n = len(stories)
    t = np.arange(days)[None, :] / max(days - 1, 1)  # 0..1 through the programme
    week = np.arange(days)[None, :] // 7
    p = np.full((n, days), 0.9)
    start_pain = rng.uniform(5.0, 7.5, size=(n, 1))
    drop = np.full((n, days), 0.55) * t  # share of baseline pain lost by day t
    after = np.full((n, days), -0.8)  # pain_after - pain: stretching usually eases pain
    log_p = np.full((n, days), 0.35)  # P(a score on a day without a session)

    def rows(name: str) -> np.ndarray:
        return stories == name

    r = rows("plateau")
    p[r] = 0.85
    drop[r] = np.minimum(t, 0.3) * 0.9 * np.ones((r.sum(), 1))
    r = rows("flare-up")
    flare = ((week >= 6) & (week < 8)).astype(float)
    drop[r] = (0.55 * t - 0.55 * flare) * np.ones((r.sum(), 1))
    r = rows("drop-out")
    p[r] = np.where(week < 5, 0.88, 0.0)
    log_p[r] = np.where(week < 5, 0.3, 0.02)
    drop[r] = 0.3 * np.minimum(t, 0.4)
    r = rows("weekend-only")
    p[r] = np.where(dow[r] >= 5, 0.9, 0.0)
    drop[r] = 0.2 * t
    r = rows("late-starter")
    p[r] = np.where(week < 4, 0.3, 0.92)
    drop[r] = 0.6 * np.clip((np.arange(days)[None, :] - 28) / max(days - 28, 1), 0, 1)
    r = rows("hurts-when-stretching")
    p[r] = 0.8
    drop[r] = -0.15 * t
    after[r] = 2.0
    r = rows("baseline-first")
    base = np.arange(days)[None, :] < 21
    p[r] = np.where(base, 0.0, 0.9)
    log_p[r] = np.where(base, 0.95, 0.4)
    drop[r] = 0.6 * np.clip((np.arange(days)[None, :] - 21) / max(days - 21, 1), 0, 1)
    pain = start_pain * (1 - drop)
    flex_gain = np.clip(drop, -0.2, 1) * 4.0  # flexibility rises as pain falls
    return p, pain, after, log_p, flex_gain


def _sides(one_sided: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Side per row: a one-sided stretch is logged for both sides 80% of the time, else one side
    (left or right, equally often); other stretches have no side.

    ``draw`` is one uniform number per row (a single draw, so the rest of the log does not depend
    on how sides are split).

    Examples
    --------
    >>> _sides(np.array([True, True, True, False]), np.array([0.1, 0.85, 0.95, 0.5])).tolist()
    ['both', 'left', 'right', None]
    """
    side = np.select([draw < 0.8, draw < 0.9], ["both", "left"], "right")
    return np.where(one_sided, side, None)


def generate_log(n_clients: int = 9, days: int = 98, seed: int = 7,
                 end: str | pd.Timestamp = "2026-11-15", stories: list[str] | None = None,
                 with_notes: bool = True) -> pd.DataFrame:
    """Generate a canonical log: ``n_clients`` clients over ``days`` days ending on ``end``.

    Parameters
    ----------
    n_clients
        Number of clients. With the default 9 the clients are named (anna, ben, ...) and follow
        the stories in order (the last one is a second steady improver); beyond that ids are
        ``c000001``... and stories cycle.
    days
        Length of each client's programme in days (clients' start dates are staggered by up to
        a week when there are more than 9 clients).
    seed
        Random seed: the same arguments always give the same log.
    end
        The last day of the programme.
    stories
        Story per client (defaults to cycling :data:`STORIES`).
    with_notes
        Add an occasional free-text note.

    Returns
    -------
    pandas.DataFrame
        Canonical columns (:data:`backanalytics.columns.CANONICAL`), sorted by client and date.

    Examples
    --------
    >>> log = generate_log(n_clients=3, days=14, seed=1)
    >>> sorted(log["client_id"].unique())
    ['anna', 'ben', 'carla']
    >>> bool(log["pain"].between(0, 10).all() or log["pain"].isna().any())
    True
    """
    rng = np.random.default_rng(seed)
    story = np.array(stories if stories is not None else
                     [STORIES[i % len(STORIES)] for i in range(n_clients)])
    if stories is None and n_clients == len(SAMPLE_NAMES):
        story[-1] = "steady-improver"
    ids = (np.array(SAMPLE_NAMES[:n_clients]) if n_clients <= len(SAMPLE_NAMES)
           else np.char.add("c", np.char.zfill(np.arange(1, n_clients + 1).astype(str), 6)))
    end = pd.Timestamp(end).normalize()
    offset = rng.integers(0, 7, size=n_clients) if n_clients > len(SAMPLE_NAMES) else np.zeros(
        n_clients, dtype=int)
    first = end - pd.Timedelta(days=days - 1)
    day_idx = np.arange(days)
    dates = (first.to_datetime64() + (day_idx[None, :] - offset[:, None]) * np.timedelta64(1, "D"))
    dow = ((dates.astype("datetime64[D]").view("int64") - 4) % 7)  # 0 = Monday

    p, pain_mean, after, log_p, flex_gain = _story_arrays(story, days, dow, rng)
    session = rng.random((n_clients, days)) < p
    noise = rng.normal(0, 0.7, size=(n_clients, days))
    pain = np.clip(np.round(pain_mean + noise), 0, 10)
    flex0 = rng.uniform(2.5, 5.0, size=(n_clients, 1))
    flex = np.clip(np.round(flex0 + flex_gain + rng.normal(0, 0.6, (n_clients, days))), 0, 10)
    pain_after = np.clip(np.round(pain + after + rng.normal(0, 0.5, (n_clients, days))), 0, 10)
    score_day = session | (rng.random((n_clients, days)) < log_p)

    # Routines: each client does 4-6 stretches from the catalog, a few per session.
    names = np.array([s.name for s in catalog.STRETCHES])
    kinds = np.array([s.kind for s in catalog.STRETCHES])
    routine = np.argsort(rng.random((n_clients, len(names))), axis=1)[:, :6]
    per_session = np.where(session, rng.integers(2, 6, size=(n_clients, days)), 0)

    # One row per stretch performed (+ one score-only row on score days without a session).
    score_only = score_day & ~session
    counts = per_session + score_only
    ci, di = np.nonzero(counts)
    reps_per_cell = counts[ci, di]
    row_c = np.repeat(ci, reps_per_cell)
    row_d = np.repeat(di, reps_per_cell)
    pos = np.arange(len(row_c)) - np.repeat(np.cumsum(reps_per_cell) - reps_per_cell, reps_per_cell)
    is_stretch = session[row_c, row_d]
    pick = routine[row_c, (pos + row_d) % 6]
    stretch = np.where(is_stretch, names[pick], None)
    kind = np.where(is_stretch, kinds[pick], "")
    n_rows = len(row_c)

    hold = np.where(kind == catalog.STATIC, np.round(rng.normal(25, 7, n_rows).clip(5, 90)), np.nan)
    reps = np.where(kind == catalog.STATIC, rng.integers(2, 5, n_rows),
                    np.where(kind == "", -1, rng.integers(6, 14, n_rows)))
    uni = np.isin(stretch, list(UNILATERAL))
    side = _sides(uni, rng.random(n_rows))
    first_row = pos == 0  # scores go on the day's first row
    pain_col = np.where(first_row & score_day[row_c, row_d], pain[row_c, row_d], np.nan)
    after_col = np.where(first_row & is_stretch & (rng.random(n_rows) < 0.7),
                         pain_after[row_c, row_d], np.nan)
    flex_col = np.where(first_row & (rng.random(n_rows) < 0.6), flex[row_c, row_d], np.nan)
    reach0 = rng.normal(-4, 6, n_clients)
    reach_col = np.where(first_row & (dow[row_c, row_d] == 0),
                         np.round(reach0[row_c] + flex_gain[row_c, row_d] * 2
                                  + rng.normal(0, 1.2, n_rows), 1), np.nan)
    hour = rng.choice([7, 8, 12, 18, 19, 21], size=n_clients)
    minute = (rng.integers(0, 30, size=(n_clients, days))[row_c, row_d] + 3 * pos) % 60
    time = np.char.add(np.char.add(np.char.zfill(hour[row_c].astype(str), 2), ":"),
                       np.char.add(np.char.zfill(minute.astype(str), 2), ":00"))
    notes = np.full(n_rows, None, dtype=object)
    if with_notes:
        has_note = first_row & (rng.random(n_rows) < 0.06)
        notes[has_note] = np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), has_note.sum())]

    log = pd.DataFrame({
        C.CLIENT_ID: ids[row_c],
        C.DATE: dates[row_c, row_d].astype("datetime64[ns]"),
        C.TIME: np.where(is_stretch, time, None),
        C.STRETCH: stretch,
        C.HOLD_S: hold,
        C.REPS: pd.array(np.where(reps < 0, 0, reps), dtype="Int64"),
        C.SIDE: pd.Categorical(side, categories=C.SIDES),
        C.PAIN: pain_col,
        C.PAIN_AFTER: after_col,
        C.FLEXIBILITY: flex_col,
        C.REACH_CM: reach_col,
        C.NOTES: notes,
        C.PLANNED_REST: False,
    })
    log.loc[reps < 0, C.REPS] = pd.NA
    # The drop-out's days after stopping hold almost nothing: remove empty score-only rows.
    empty = log[C.STRETCH].isna() & log[[C.PAIN, C.FLEXIBILITY, C.REACH_CM]].isna().all(axis=1)
    return log[~empty].reset_index(drop=True)


def stories_of(n_clients: int = 9) -> pd.DataFrame:
    """Which story each generated client follows (the default sample's cast list).

    Examples
    --------
    >>> stories_of().loc[0].tolist()
    ['anna', 'steady-improver']
    """
    story = [STORIES[i % len(STORIES)] for i in range(n_clients)]
    if n_clients == len(SAMPLE_NAMES):
        story[-1] = "steady-improver"
    ids = (list(SAMPLE_NAMES[:n_clients]) if n_clients <= len(SAMPLE_NAMES)
           else [f"c{i:06d}" for i in range(1, n_clients + 1)])
    return pd.DataFrame({C.CLIENT_ID: ids, "story": story})


def write_sample(path: str, **kwargs: object) -> pd.DataFrame:
    """Write :func:`generate_log` output as CSV (dates as ISO text) and return the log."""
    log = generate_log(**kwargs)  # type: ignore[arg-type]
    out = log.assign(**{C.DATE: log[C.DATE].dt.strftime("%Y-%m-%d")})
    out = out.drop(columns=[C.PLANNED_REST])
    out.to_csv(path, index=False)
    return log
