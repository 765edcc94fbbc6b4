"""Shared building blocks for metrics: the analysis date, prescriptions, session days, periods.

Definitions (used by every consistency metric):

- a **session day** is a date on which the client logged at least one stretch (score-only rows and
  planned rest days do not count);
- a client's **period** runs from their first session day (or the prescription's start date) to
  ``as_of``, inclusive; a client who never stretched is measured from their first entry of any kind.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backanalytics import columns as C

DAY = np.timedelta64(1, "D")


def resolve_as_of(log: pd.DataFrame, as_of: object | None) -> pd.Timestamp:
    """The analysis date: ``as_of`` if given, else the latest date anywhere in the log."""
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    if log.empty:
        raise ValueError("the log is empty and no as_of date was given")
    return pd.Timestamp(log[C.DATE].max()).normalize()


def prescription_table(log: pd.DataFrame, prescription: float | pd.DataFrame | None = None
                       ) -> pd.DataFrame:
    """One row per client of the log: ``sessions_per_week`` and ``start`` (NaT when not given).

    ``prescription`` is sessions per week for everyone (default 7 = daily) or a table with
    ``client_id``, ``sessions_per_week`` and optional ``start`` (and ``stretches``) columns;
    clients missing from the table get the default of 7 a week.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["a", "b"], "date": pd.to_datetime(["2026-01-01"] * 2)})
    >>> prescription_table(log, 3)["sessions_per_week"].tolist()
    [3.0, 3.0]
    """
    clients = pd.Index(pd.unique(log[C.CLIENT_ID]), name=C.CLIENT_ID).sort_values()
    table = pd.DataFrame(index=clients)
    if prescription is None or np.isscalar(prescription):
        spw = 7.0 if prescription is None else float(prescription)  # type: ignore[arg-type]
        if not 0 < spw <= 7 * 24:
            raise ValueError(f"sessions_per_week must be more than 0, got {spw}")
        table["sessions_per_week"] = spw
        table["start"] = pd.NaT
        return table
    given = pd.DataFrame(prescription).copy()
    if C.CLIENT_ID not in given or "sessions_per_week" not in given:
        raise ValueError("a prescription table needs client_id and sessions_per_week columns")
    given[C.CLIENT_ID] = given[C.CLIENT_ID].astype(str)
    given = given.drop_duplicates(C.CLIENT_ID, keep="last").set_index(C.CLIENT_ID)
    table["sessions_per_week"] = pd.to_numeric(given["sessions_per_week"]).reindex(clients).fillna(7.0)
    start = given["start"] if "start" in given else pd.Series(pd.NaT, index=given.index)
    table["start"] = pd.to_datetime(start).dt.normalize().reindex(clients)
    if "stretches" in given:
        table["stretches"] = given["stretches"].reindex(clients)
    return table


def session_days(log: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Unique (client_id, date) session days up to ``as_of``, sorted, with a ``day`` integer."""
    stretched = log.loc[log[C.STRETCH].notna() & (log[C.DATE] <= as_of), [C.CLIENT_ID, C.DATE]]
    days = stretched.drop_duplicates().sort_values([C.CLIENT_ID, C.DATE], kind="stable")
    days = days.reset_index(drop=True)
    days["day"] = days[C.DATE].to_numpy().astype("datetime64[D]").astype(np.int64)
    return days


def periods(log: pd.DataFrame, prescription: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per client: ``start``, ``as_of``, ``days`` in the period (0 when as_of is before the start)."""
    first_session = log.loc[log[C.STRETCH].notna(), [C.CLIENT_ID, C.DATE]].groupby(C.CLIENT_ID)[C.DATE].min()
    first_any = log.groupby(C.CLIENT_ID)[C.DATE].min()
    out = pd.DataFrame(index=prescription.index)
    start = prescription["start"].fillna(first_session.reindex(out.index))
    out["start"] = start.fillna(first_any.reindex(out.index)).astype("datetime64[ns]")
    out["as_of"] = as_of
    out["days"] = ((as_of - out["start"]).dt.days + 1).clip(lower=0).astype(int)
    return out
