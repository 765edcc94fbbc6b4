"""Dose against guidance: how long and how many times each stretch is done.

ACSM guidance (see :mod:`backanalytics.catalog`): static holds 10-30 s for 2-4 repetitions; dynamic
mobility and strength moves are judged by repetitions only. An entry is *within guidance* when
every part of the guidance that applies to it is met and logged (a static stretch without a hold
time cannot be judged and counts as not within guidance only if reps are also missing: it is left
out of the share). The guidance is a parameter, e.g. 30-60 s holds for older adults.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from backanalytics import catalog
from backanalytics import columns as C

OLDER_ADULTS = {**catalog.DOSE_GUIDANCE,
                catalog.STATIC: {**catalog.DOSE_GUIDANCE[catalog.STATIC], "hold_min": 30.0, "hold_max": 60.0}}


def kinds_of(stretch: pd.Series) -> pd.Series:
    """The catalog kind of each row's stretch (None when unknown), looking each name up once.

    Examples
    --------
    >>> kinds_of(pd.Series(["Cat-Cow", "Handstand", None])).tolist()
    ['dynamic', None, None]
    """
    codes, uniques = pd.factorize(stretch)
    kinds = np.array([*(catalog.kind_of(u) for u in uniques), None], dtype=object)
    return pd.Series(kinds[codes], index=stretch.index, dtype=object)


def _dose_columns(log: pd.DataFrame) -> list[str]:
    """The columns dose metrics read: filtering only these spares copying notes and the like."""
    return [c for c in (C.CLIENT_ID, C.DATE, C.STRETCH, C.HOLD_S, C.REPS) if c in log]


def within_guidance(log: pd.DataFrame, guidance: Mapping[str, Mapping[str, float | None]] | None = None
                    ) -> pd.Series:
    """Per row: True / False when the entry can be judged, NA when it cannot (unknown stretch, no dose).

    Examples
    --------
    >>> rows = pd.DataFrame({"stretch": ["Cobra Stretch", "Cobra Stretch", "Cat-Cow", "Handstand"],
    ...     "hold_s": [20.0, 45.0, float("nan"), 10.0], "reps": pd.array([3, 3, 10, 1], dtype="Int64")})
    >>> within_guidance(rows).tolist()
    [True, False, True, <NA>]
    """
    guidance = guidance or catalog.DOSE_GUIDANCE
    kinds = kinds_of(log[C.STRETCH])
    table = pd.DataFrame.from_dict(guidance, orient="index").reindex(kinds.to_numpy())
    table.index = log.index
    hold = log[C.HOLD_S].astype(float)
    reps = log[C.REPS].astype("Float64").astype(float)
    checks_hold = table["hold_min"].notna()
    hold_ok = hold.between(table["hold_min"].astype(float), table["hold_max"].astype(float))
    reps_ok = reps.between(table["reps_min"].astype(float), table["reps_max"].astype(float))
    judged = kinds.notna() & (reps.notna() | (checks_hold & hold.notna()))
    ok = np.where(checks_hold, hold_ok & (reps_ok | reps.isna()) & hold.notna(), reps_ok)
    return pd.Series(ok, index=log.index, dtype="boolean").where(judged)


def dose_by_stretch(log: pd.DataFrame, guidance: Mapping[str, Mapping[str, float | None]] | None = None
                    ) -> pd.DataFrame:
    """Tidy dose table: one row per (client, stretch).

    Columns: ``client_id, stretch, kind, entries, session_days, median_hold_s, median_reps,
    total_minutes, within_guidance`` (share of judged entries within guidance).
    """
    done = log[log[C.STRETCH].notna()].copy()
    done["_ok"] = within_guidance(done, guidance).astype("Float64")
    done["_sec"] = catalog.seconds_stretched(done)
    done["_reps"] = done[C.REPS].astype("Float64").astype(float)
    g = done.groupby([C.CLIENT_ID, C.STRETCH])
    out = pd.DataFrame({
        "entries": g.size(),
        "session_days": g[C.DATE].nunique(),
        "median_hold_s": g[C.HOLD_S].median(),
        "median_reps": g["_reps"].median(),
        "total_minutes": g["_sec"].sum() / 60,
        "within_guidance": g["_ok"].mean().astype(float),
    }).reset_index()
    out.insert(2, "kind", out[C.STRETCH].map(catalog.kind_of))
    return out


def dose_summary(log: pd.DataFrame, guidance: Mapping[str, Mapping[str, float | None]] | None = None
                 ) -> pd.DataFrame:
    """Per client: ``median_hold_s`` (static stretches), ``median_reps``, ``seconds_per_session``
    (mean over session days of hold x reps) and ``dose_within_guidance`` (share of judged entries).

    Examples
    --------
    >>> rows = pd.DataFrame({"client_id": ["a", "a"], "stretch": ["Cobra Stretch"] * 2,
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-02"]),
    ...     "hold_s": [20.0, 40.0], "reps": pd.array([3, 3], dtype="Int64")})
    >>> dose_summary(rows).loc["a"].tolist()
    [30.0, 3.0, 90.0, 0.5]
    """
    done = log.loc[log[C.STRETCH].notna(), _dose_columns(log)]
    done["_ok"] = within_guidance(done, guidance).astype("Float64")
    done["_sec"] = catalog.seconds_stretched(done)
    done["_reps"] = done[C.REPS].astype("Float64").astype(float)
    static = done[kinds_of(done[C.STRETCH]) == catalog.STATIC]
    g = done.groupby(C.CLIENT_ID)
    per_day = done.groupby([C.CLIENT_ID, C.DATE])["_sec"].sum().groupby(level=0).mean()
    return pd.DataFrame({
        "median_hold_s": static.groupby(C.CLIENT_ID)[C.HOLD_S].median(),
        "median_reps": g["_reps"].median(),
        "seconds_per_session": per_day,
        "dose_within_guidance": g["_ok"].mean().astype(float),
    })
