"""Function outcomes: each client's change on each questionnaire (ODI, RMDQ, PSFS) against its MCID.

One row per (client, instrument), computed for every client at once from the scores table of
:func:`backanalytics.load_assessments`. The thresholds are :data:`~backanalytics.instruments.
FUNCTION_THRESHOLDS` (cited there), overridable with ``thresholds=``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.instruments import FUNCTION_THRESHOLDS, INSTRUMENTS, odi_band
from backanalytics.thresholds import reaches

INSTRUMENT, SCORE = "instrument", "score"

#: The columns of :func:`assessment_outcomes`, in order.
OUTCOME_COLUMNS = [C.CLIENT_ID, INSTRUMENT, "baseline_date", "baseline", "latest_date", "latest", "change",
                   "pct_change", "improved", "mcid_reached", "mdc_reached", "band", "recovered",
                   "n_assessments", "days_between"]


def assessment_outcomes(scores: pd.DataFrame, as_of: object | None = None,
                        thresholds: Mapping[str, float] | None = None) -> pd.DataFrame:
    """First and latest score of each client on each instrument, the change, and whether it matters.

    Parameters
    ----------
    scores
        The scores table (``client_id, date, instrument, score``), e.g. from
        :func:`backanalytics.load_assessments`.
    as_of
        Analysis date (default: the latest date in ``scores``); later questionnaires are ignored.
    thresholds
        Overrides for :data:`backanalytics.instruments.FUNCTION_THRESHOLDS` (e.g.
        ``{"odi_mcid_points": 6}`` for the modified ODI).

    Returns
    -------
    pandas.DataFrame
        One row per (client, instrument) with a score on or before ``as_of``, sorted by client
        then ODI, RMDQ, PSFS: ``baseline`` (first day's score) and ``baseline_date``, ``latest``
        and ``latest_date`` (last day on or before ``as_of``), ``change`` (latest - baseline),
        ``pct_change`` (of the baseline; NaN when it is 0), ``improved`` (lower is better for
        ODI and RMDQ, higher for PSFS), ``mcid_reached``, ``mdc_reached``, ``band`` (ODI
        disability band of the latest score), ``recovered`` (RMDQ latest <= 2),
        ``n_assessments`` (questionnaires counted) and ``days_between`` (baseline to latest).
        ``improved``, ``mcid_reached`` and ``mdc_reached`` are missing (NA) until there are two
        days with a score.

    Notes
    -----
    Two questionnaires of one instrument on the same day count as that day's mean. The MCID is
    reached with an improvement of at least ``<inst>_mcid_points`` or (ODI, RMDQ) at least
    ``<inst>_mcid_pct`` percent of the baseline (Ostelo 2008); the MDC with at least
    ``<inst>_mdc`` points. Exact boundaries count as reached.

    Examples
    --------
    >>> scores = pd.DataFrame({"client_id": ["ana"] * 3 + ["ben"] * 2,
    ...     "date": pd.to_datetime(["2026-01-05", "2026-02-16", "2026-03-30", "2026-01-05", "2026-03-30"]),
    ...     "instrument": ["ODI", "ODI", "ODI", "PSFS", "PSFS"], "score": [40.0, 34, 30, 3.0, 5.0]})
    >>> out = assessment_outcomes(scores)
    >>> out[["client_id", "instrument", "change", "improved", "mcid_reached", "band"]].to_dict("records")
    [{'client_id': 'ana', 'instrument': 'ODI', 'change': -10.0, 'improved': True, 'mcid_reached': True, \
'band': 'moderate'}, {'client_id': 'ben', 'instrument': 'PSFS', 'change': 2.0, 'improved': True, \
'mcid_reached': True, 'band': None}]
    """
    t = {**FUNCTION_THRESHOLDS, **(thresholds or {})}
    if scores.empty:
        return _empty()
    day = pd.Timestamp(as_of).normalize() if as_of is not None else pd.Timestamp(scores[C.DATE].max()).normalize()
    kept = scores.loc[scores[C.DATE] <= day, [C.CLIENT_ID, C.DATE, INSTRUMENT, SCORE]]
    kept = kept[kept[SCORE].notna() & kept[INSTRUMENT].isin(list(INSTRUMENTS))].astype({C.DATE: "datetime64[ns]"})
    if kept.empty:
        return _empty()
    keys = [C.CLIENT_ID, INSTRUMENT]
    daily = kept.groupby([*keys, C.DATE], sort=True, observed=True)[SCORE].mean().reset_index()
    grouped = daily.groupby(keys, sort=False, observed=True)
    out = pd.DataFrame({
        "baseline_date": grouped[C.DATE].first(), "baseline": grouped[SCORE].first(),
        "latest_date": grouped[C.DATE].last(), "latest": grouped[SCORE].last(),
        "days": grouped[SCORE].size()})
    out["n_assessments"] = kept.groupby(keys, observed=True).size().reindex(out.index).astype("int64")
    out = out.reset_index()
    out[[C.CLIENT_ID, INSTRUMENT]] = out[[C.CLIENT_ID, INSTRUMENT]].astype("str")  # whatever the input gave
    out["_order"] = out[INSTRUMENT].map({n: i for i, n in enumerate(INSTRUMENTS)})
    out = out.sort_values([C.CLIENT_ID, "_order"], kind="stable").reset_index(drop=True)
    out["change"] = out["latest"] - out["baseline"]
    base = out["baseline"].to_numpy(dtype=float)
    out["pct_change"] = np.divide(out["change"].to_numpy(dtype=float) * 100.0, base,
                                  out=np.full(len(out), np.nan), where=base != 0)
    out["days_between"] = (out["latest_date"] - out["baseline_date"]).dt.days.astype("int64")
    _judge(out, t)
    return out[OUTCOME_COLUMNS]


def _judge(out: pd.DataFrame, t: Mapping[str, float]) -> None:
    """Add improved / mcid_reached / mdc_reached / band / recovered, direction-aware, in place."""
    n = len(out)
    improved, mcid, mdc = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for name, spec in INSTRUMENTS.items():
        rows = (out[INSTRUMENT] == name).to_numpy()
        sign = 1.0 if spec.higher_is_better else -1.0
        gain = sign * out.loc[rows, "change"].to_numpy(dtype=float)  # > 0: better, whatever the direction
        pct_gain = sign * out.loc[rows, "pct_change"].to_numpy(dtype=float)
        key = name.lower()
        reached = np.asarray(reaches(gain, t[f"{key}_mcid_points"]), dtype=bool)
        if f"{key}_mcid_pct" in t:
            reached |= np.asarray(reaches(np.nan_to_num(pct_gain, nan=-np.inf), t[f"{key}_mcid_pct"]), dtype=bool)
        improved[rows], mcid[rows] = gain > 0, reached
        mdc[rows] = np.asarray(reaches(gain, t[f"{key}_mdc"]), dtype=bool)
    two_days = out.pop("days").to_numpy() >= 2

    def flag(values: np.ndarray, when: np.ndarray) -> pd.arrays.BooleanArray:
        return pd.array([bool(v) if w else pd.NA for v, w in zip(values, when, strict=True)], dtype="boolean")

    out["improved"], out["mcid_reached"], out["mdc_reached"] = (flag(improved, two_days), flag(mcid, two_days),
                                                                flag(mdc, two_days))
    is_odi, is_rmdq = (out[INSTRUMENT] == "ODI").to_numpy(), (out[INSTRUMENT] == "RMDQ").to_numpy()
    out["band"] = pd.Series([odi_band(s) if odi else None for s, odi in zip(out["latest"], is_odi, strict=True)],
                            index=out.index, dtype=object)
    recovered = np.asarray(reaches(-out["latest"].to_numpy(dtype=float), -t["rmdq_recovered_max"]), dtype=bool)
    out["recovered"] = flag(recovered, is_rmdq)


_DTYPES = {C.CLIENT_ID: "str", INSTRUMENT: "str", "baseline_date": "datetime64[ns]", "latest_date": "datetime64[ns]",
           "improved": "boolean", "mcid_reached": "boolean", "mdc_reached": "boolean", "band": object,
           "recovered": "boolean", "n_assessments": "int64", "days_between": "int64"}


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES.get(c, float)) for c in OUTCOME_COLUMNS})


def function_wide(outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per client: ``<inst>_baseline``, ``_latest``, ``_change``, ``_mcid_reached`` per instrument.

    Only instruments that some client has appear; the index is ``client_id``.

    Examples
    --------
    >>> scores = pd.DataFrame({"client_id": ["a", "a"], "date": pd.to_datetime(["2026-01-05", "2026-03-02"]),
    ...                        "instrument": "RMDQ", "score": [12.0, 6.0]})
    >>> function_wide(assessment_outcomes(scores)).loc["a"].to_dict()
    {'rmdq_baseline': 12.0, 'rmdq_latest': 6.0, 'rmdq_change': -6.0, 'rmdq_mcid_reached': True}
    """
    parts = []
    for name in INSTRUMENTS:
        rows = outcomes[outcomes[INSTRUMENT] == name].set_index(C.CLIENT_ID)
        if rows.empty:
            continue
        cols = ["baseline", "latest", "change", "mcid_reached"]
        parts.append(rows[cols].rename(columns={c: f"{name.lower()}_{c}" for c in cols}))
    if not parts:
        return pd.DataFrame(index=pd.Index([], name=C.CLIENT_ID, dtype="str"))
    return pd.concat(parts, axis=1).rename_axis(C.CLIENT_ID)


def mcid_report_card(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per instrument: of the clients re-assessed (two or more days with a score), how many reached the MCID.

    Returns ``instrument, reassessed, mcid_reached, share`` (share NaN when nobody was re-assessed),
    one row per instrument in the catalog order, the "% of MCIDs met" line of a clinic's report card.

    Examples
    --------
    >>> scores = pd.DataFrame({"client_id": ["a", "a", "b", "b", "c"], "instrument": "ODI",
    ...     "date": pd.to_datetime(["2026-01-05", "2026-03-02"] * 2 + ["2026-01-05"]),
    ...     "score": [40.0, 24, 40, 36, 50]})
    >>> mcid_report_card(assessment_outcomes(scores)).iloc[0].to_dict()
    {'instrument': 'ODI', 'reassessed': 2, 'mcid_reached': 1, 'share': 0.5}
    """
    rows = []
    for name in INSTRUMENTS:
        part = outcomes[outcomes[INSTRUMENT] == name]
        judged = part["mcid_reached"].dropna()
        reached = int(judged.astype(bool).sum())
        rows.append({INSTRUMENT: name, "reassessed": len(judged), "mcid_reached": reached,
                     "share": reached / len(judged) if len(judged) else np.nan})
    return pd.DataFrame(rows)
