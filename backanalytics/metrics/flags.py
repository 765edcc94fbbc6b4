"""Flags a therapist should see: flare-ups, pain while stretching, silence, low adherence, no progress.

One tidy table (client_id, date, flag, detail, severity), newest first within a client, each with
the guide's advice where it has one. Severity: ``info`` < ``warning`` < ``alert``.

Rules (thresholds in :data:`backanalytics.thresholds.THRESHOLDS`)
-----------------------------------------------------------------
pain_flare
    daily pain >= 2 points above the client's median over the previous 14 days (at least 3 days
    with pain in that window); alert when >= 4 points above.
pain_during_stretching
    an entry with pain_after > pain, or pain_after > 3. The guide: "Stretching should cause a feeling
    of mild tension, not pain. If a stretch hurts, ease up." Pain that rose with stretching is a
    warning, and an alert when it happened on >= 3 days in the last 14 (the guide's advice is then
    to see a professional); pain that eased but stayed above 3 is info.
silent
    no entry of any kind for >= 7 days before ``as_of`` (warning from 14 days).
low_adherence
    adherence over the last 28 days below 0.6.
no_improvement
    >= 6 weeks of pain data, adherence >= 0.8 and no clinically important pain change: refer or
    reassess.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.metrics.consistency import consistency
from backanalytics.metrics.outcomes import daily_scores, outcomes
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.thresholds import THRESHOLDS, reaches

FLAG_COLUMNS = [C.CLIENT_ID, C.DATE, "flag", "detail", "severity"]
SEVERITY_ORDER = {"alert": 0, "warning": 1, "info": 2}
ADVICE_EASE_UP = "The guide: stretching should cause mild tension, not pain - ease up."
ADVICE_SEE_PRO = "Repeated pain while stretching: see a professional (physical therapist)."


#: Days between two clients on the one time axis of :func:`previous_days_median` (far beyond any window).
_CLIENT_SPACING_DAYS = 1_000_000


def previous_days_median(daily: pd.DataFrame, window_days: int, min_days: int) -> np.ndarray:
    """Each day's median of the same client's values over the ``window_days`` days before it.

    ``daily`` is a tidy daily series sorted by client, then date (as
    :func:`~backanalytics.metrics.outcomes.daily_scores` gives). The day itself is left out; NaN
    where fewer than ``min_days`` days fall in the window. All clients share one rolling window
    along a single time axis on which each client starts a million days after the one before, so
    no window reaches into another client (one pass, instead of a groupby-rolling per client).

    Examples
    --------
    >>> d = pd.DataFrame({"client_id": ["a"] * 5 + ["b"], "value": [3.0, 4, 5, 9, 1, 7],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04",
    ...                             "2026-01-30", "2026-01-05"])})
    >>> previous_days_median(d, 14, 3).tolist()
    [nan, nan, nan, 4.0, nan, nan]
    """
    codes = pd.factorize(daily[C.CLIENT_ID].to_numpy(), sort=False)[0].astype(np.int64)
    days = daily[C.DATE].to_numpy().astype("datetime64[D]").astype(np.int64)
    axis = pd.DatetimeIndex((codes * _CLIENT_SPACING_DAYS + days - days.min(initial=0)).astype("datetime64[D]")
                            .astype("datetime64[s]"))
    values = pd.Series(daily["value"].to_numpy(dtype=float), index=axis)
    return values.rolling(f"{window_days}D", closed="left", min_periods=min_days).median().to_numpy()


def pain_flares(log: pd.DataFrame, as_of: pd.Timestamp, t: Mapping[str, float]) -> pd.DataFrame:
    daily = daily_scores(log, C.PAIN, as_of)
    window = f"{int(t['flare_window_days'])}D"
    daily["median"] = previous_days_median(daily, int(t["flare_window_days"]), int(t["flare_min_days"]))
    daily["above"] = daily["value"] - daily["median"]
    hit = daily[reaches(daily["above"], t["flare_points"])]
    if hit.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    return pd.DataFrame({
        C.CLIENT_ID: hit[C.CLIENT_ID], C.DATE: hit[C.DATE], "flag": "pain_flare",
        "detail": [f"pain {v:g} is {a:.1f} points above the {window[:-1]}-day median of {m:g}"
                   for v, a, m in zip(hit["value"], hit["above"], hit["median"], strict=True)],
        "severity": np.where(reaches(hit["above"], t["escalate_multiple"] * t["flare_points"]), "alert", "warning")})


def _format_g(values: pd.Series, missing: str = "nan") -> pd.Series:
    """``f"{v:g}"`` of every value (``missing`` for NaN), formatting each distinct value once."""
    codes, uniques = pd.factorize(values)
    text = np.array([*(f"{u:g}" for u in uniques), missing], dtype=object)
    return pd.Series(text[codes], index=values.index, dtype="str")


def pain_while_stretching(log: pd.DataFrame, as_of: pd.Timestamp, t: Mapping[str, float]) -> pd.DataFrame:
    rows = log.loc[log[C.PAIN_AFTER].notna() & (log[C.DATE] <= as_of), [C.CLIENT_ID, C.DATE, C.PAIN, C.PAIN_AFTER]]
    rose = rows[C.PAIN_AFTER] > rows[C.PAIN].fillna(np.inf)
    rows = rows.assign(rose=rose)
    hurt = rows[rose | (rows[C.PAIN_AFTER] > t["pain_after_max"])]
    day = hurt.groupby([C.CLIENT_ID, C.DATE]).agg(
        pain=(C.PAIN, "max"), after=(C.PAIN_AFTER, "max"), rose=("rose", "any")).reset_index()
    if day.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    in_window = day[C.DATE] > as_of - pd.Timedelta(days=int(t["pain_repeat_window_days"]))
    repeated = day[day["rose"] & in_window].groupby(C.CLIENT_ID).size() >= t["pain_repeat_days"]
    is_alert = day["rose"] & day[C.CLIENT_ID].isin(repeated[repeated].index) & in_window
    before = _format_g(day["pain"], missing="not logged")
    advice = np.where(is_alert, ADVICE_SEE_PRO, np.where(day["rose"], ADVICE_EASE_UP, "Still sore after stretching."))
    detail = "pain after stretching " + _format_g(day["after"]) + " (before: " + before + "). " + advice
    # Pain that rose with stretching is a warning (an alert when repeated); pain that eased but
    # stayed above 3 is worth knowing, not acting on.
    severity = np.where(is_alert, "alert", np.where(day["rose"], "warning", "info"))
    return pd.DataFrame({C.CLIENT_ID: day[C.CLIENT_ID], C.DATE: day[C.DATE], "flag": "pain_during_stretching",
                         "detail": detail, "severity": severity})


def flags(log: pd.DataFrame, as_of: object | None = None, prescription: float | pd.DataFrame | None = None,
          thresholds: Mapping[str, float] | None = None, *, consistency_table: pd.DataFrame | None = None,
          outcomes_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every flag for every client up to ``as_of``: tidy (client_id, date, flag, detail, severity).

    Parameters
    ----------
    log
        The canonical log.
    as_of
        Analysis date (default: the latest date in the log); later entries are ignored.
    prescription
        Sessions per week, or a prescription table (as for :func:`consistency`).
    thresholds
        Overrides for :data:`backanalytics.thresholds.THRESHOLDS`.
    consistency_table, outcomes_table
        The results of :func:`consistency` and :func:`outcomes` for the same log, ``as_of``,
        prescription and thresholds, when already computed: they are used instead of being
        computed again (the low-adherence and no-improvement rules read them).

    Examples
    --------
    >>> days = pd.date_range("2026-01-01", periods=6)
    >>> log = pd.DataFrame({"client_id": "a", "date": days, "stretch": "Cobra Stretch",
    ...     "pain": [3.0, 3, 3, 3, 6, 3], "pain_after": float("nan"), "flexibility": float("nan"),
    ...     "reach_cm": float("nan"), "planned_rest": False, "hold_s": 20.0, "reps": 3})
    >>> flags(log)[["date", "flag"]].astype(str).values.tolist()
    [['2026-01-05', 'pain_flare']]
    """
    t = {**THRESHOLDS, **(thresholds or {})}
    as_of = resolve_as_of(log, as_of)
    if (log[C.DATE] > as_of).any():
        log = log[log[C.DATE] <= as_of]
    parts = [pain_flares(log, as_of, t), pain_while_stretching(log, as_of, t)]

    last = log.groupby(C.CLIENT_ID)[C.DATE].max()
    quiet = (as_of - last).dt.days
    silent = quiet[quiet >= t["silent_days"]]
    parts.append(pd.DataFrame({
        C.CLIENT_ID: silent.index, C.DATE: as_of, "flag": "silent",
        "detail": [f"no entry for {d} days (last on {last[c].date()})" for c, d in silent.items()],
        "severity": np.where(silent >= t["escalate_multiple"] * t["silent_days"], "warning", "info")}))

    cons = consistency_table if consistency_table is not None else consistency(
        log, prescription=prescription, as_of=as_of)
    low = cons[cons["adherence_28d"] < t["low_adherence_28d"]]
    parts.append(pd.DataFrame({
        C.CLIENT_ID: low.index, C.DATE: as_of, "flag": "low_adherence",
        "detail": [f"{a:.0%} of prescribed sessions in the last 28 days" for a in low["adherence_28d"]],
        "severity": "warning"}))

    out = outcomes_table if outcomes_table is not None else outcomes(log, as_of=as_of, thresholds=t)
    weeks = (out["pain_n_days"] > 0) & (_pain_span_days(log).reindex(out.index) >= 7 * t["no_improvement_weeks"])
    stuck = out[weeks & (cons["adherence"].reindex(out.index) >= t["adherent"])
                & ~out["pain_mcid_reached"].fillna(False).astype(bool)]
    parts.append(pd.DataFrame({
        C.CLIENT_ID: stuck.index, C.DATE: as_of, "flag": "no_improvement",
        "detail": [f"adherent but pain changed only {c:+.1f} points ({p:+.0f} %): refer or reassess"
                   for c, p in zip(stuck["pain_change"], stuck["pain_pct_change"], strict=True)],
        "severity": "alert"}))

    table = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(
        not p.empty for p in parts) else pd.DataFrame(columns=FLAG_COLUMNS)
    table[C.DATE] = pd.to_datetime(table[C.DATE]).astype("datetime64[ns]")
    table = table.sort_values([C.CLIENT_ID, C.DATE, "flag"], ascending=[True, False, True], kind="stable")
    return table[FLAG_COLUMNS].reset_index(drop=True)


def _pain_span_days(log: pd.DataFrame) -> pd.Series:
    """Days from each client's first to last pain score (empty Series when nobody has pain)."""
    dates = daily_scores(log, C.PAIN).groupby(C.CLIENT_ID)[C.DATE]
    return (dates.max() - dates.min()).dt.days.astype(float)


def flag_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per client: number of flags by kind and the worst severity (for caseload tables)."""
    if table.empty:
        return pd.DataFrame(columns=["worst_severity"])
    counts = pd.crosstab(table[C.CLIENT_ID], table["flag"])
    worst = table.assign(rank=table["severity"].map(SEVERITY_ORDER)).groupby(C.CLIENT_ID)["rank"].min()
    counts["worst_severity"] = worst.map({v: k for k, v in SEVERITY_ORDER.items()})
    return counts
