"""The content of a report: every metric computed once, then per-client and caseload summaries.

:func:`compute_metrics` runs every metric once for the whole log (vectorised over clients);
:func:`client_summary` turns one client's rows into short sentences a clinician can hand to a
client ("Your pain fell from 6.9 to 3.4 (-50 %), a clinically important improvement ...", built
in :mod:`backanalytics.report.words`); :func:`caseload_rows` is the therapist's table, flagged
clients first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.metrics.caseload import caseload_metrics
from backanalytics.metrics.consistency import weekly_consistency
from backanalytics.metrics.dose import dose_by_stretch
from backanalytics.metrics.effect_sizes import phase_effect_sizes
from backanalytics.metrics.flags import SEVERITY_ORDER
from backanalytics.metrics.function import function_wide
from backanalytics.metrics.log_arrays import among
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.report.changes import flexibility_sentence, pain_display, pain_sentence, reach_sentence
from backanalytics.report.function_words import function_section
from backanalytics.report.words import (
    FLAG_LABELS,
    adherence_sentences,
    client_notes,
    day,
    dose_rows,
    dose_sentences,
    effect_summary,
    flag_items,
    flag_rows,
    habit_sentence,
    num,
    pct,
    relief_sentence,
)

__all__ = ["Metrics", "caseload_rows", "client_summary", "compute_metrics", "flags_by_client", "num"]



@dataclass
class Metrics:
    """Every metric table a report needs, computed once for all clients."""

    log: pd.DataFrame
    as_of: pd.Timestamp
    consistency: pd.DataFrame
    weekly: pd.DataFrame
    outcomes: pd.DataFrame
    flags: pd.DataFrame
    dose: pd.DataFrame
    effects: pd.DataFrame
    phase_date: pd.Timestamp | None = None
    #: The scores table (:func:`backanalytics.load_assessments`) and its outcomes, when given.
    assessments: pd.DataFrame | None = None
    function: pd.DataFrame | None = None

    @property
    def clients(self) -> list[str]:
        """Client ids, sorted."""
        return sorted(self.consistency.index.astype(str))


def compute_metrics(log: pd.DataFrame, prescription: float | pd.DataFrame | None = None,
                    as_of: object | None = None, phase_date: object | None = None,
                    assessments: pd.DataFrame | None = None) -> Metrics:
    """Run consistency, weekly, outcomes, flags, dose and phase effect sizes over the whole log.

    Parameters
    ----------
    log
        The canonical log (:func:`backanalytics.load_log`).
    prescription
        Sessions per week, or a prescription table (see :func:`backanalytics.consistency`).
    as_of
        Analysis date (default: the latest date in the log); later rows are ignored.
    phase_date
        Start of the stretching phase (B) for every client: the outcome baseline becomes the days
        before it and the effect sizes compare before/after it. Default: each client's first
        stretch day for effect sizes, the first 7 score days for the outcome baseline.
    assessments
        The scores table (:func:`backanalytics.load_assessments`) of the log's clients: adds the
        function outcomes (:func:`backanalytics.assessment_outcomes`) at the same ``as_of``.

    Returns
    -------
    Metrics
    """
    as_of = resolve_as_of(log, as_of)
    log = log[log[C.DATE] <= as_of]
    phase = None if phase_date is None else pd.Timestamp(phase_date).normalize()
    if assessments is not None:
        assessments = assessments[among(assessments[C.CLIENT_ID], log[C.CLIENT_ID].unique())
                                  & (assessments[C.DATE] <= as_of)].reset_index(drop=True)
    tables = caseload_metrics(log, as_of=as_of, prescription=prescription, baseline=phase, assessments=assessments)
    return Metrics(
        log=log, as_of=as_of, phase_date=phase,
        consistency=tables.consistency,
        weekly=weekly_consistency(log, prescription=prescription, as_of=as_of),
        outcomes=tables.outcomes,
        flags=tables.flags,
        dose=dose_by_stretch(log),
        effects=phase_effect_sizes(log, C.PAIN, phase_date=phase),
        assessments=assessments, function=tables.function,
    )



def client_summary(source: Metrics | pd.DataFrame, client: str, *, notes: bool = True,
                   prescription: float | pd.DataFrame | None = None, as_of: object | None = None,
                   phase_date: object | None = None) -> dict[str, Any]:
    """Everything a client report says, as sentences and display rows (no HTML).

    Parameters
    ----------
    source
        :class:`Metrics` from :func:`compute_metrics`, or the canonical log (the metrics are then
        computed for this client, with ``prescription``, ``as_of`` and ``phase_date``).
    client
        A client id present in the log.
    notes
        Include the client's recent notes (False when anonymising).
    prescription, as_of, phase_date
        Passed to :func:`compute_metrics` when ``source`` is a log.

    Returns
    -------
    dict
        ``client_id, title, period, glance, adherence, habit, dose, dose_rows, outcomes, relief,
        flags, info_flags, effects, notes, function`` (sentences are plain text; the HTML template escapes
        them), ``sentences`` (every sentence in report order) and ``metrics`` (the client's row of
        the consistency and outcome tables, as a flat dict).

    Examples
    --------
    >>> days = pd.date_range("2026-01-01", periods=14)
    >>> log = pd.DataFrame({"client_id": "a", "date": days, "stretch": "Cobra Stretch", "hold_s": 20.0,
    ...     "reps": pd.array([3] * 14, dtype="Int64"), "pain": [6.0] * 7 + [3.0] * 7, "pain_after": None,
    ...     "flexibility": None, "reach_cm": None, "notes": None, "planned_rest": False})
    >>> client_summary(log, "a")["outcomes"][0][:51]
    'Your pain fell from 6.0 to 3.0 (-3.0 points, -50 %)'
    """
    if isinstance(source, pd.DataFrame):
        as_of = resolve_as_of(source, as_of)
        source = compute_metrics(source[source[C.CLIENT_ID] == client], prescription=prescription,
                                 as_of=as_of, phase_date=phase_date)
    metrics = source
    if client not in metrics.consistency.index:
        raise KeyError(f"no client {client!r} in the log")
    row = metrics.consistency.loc[client]
    out_row = metrics.outcomes.loc[client] if client in metrics.outcomes.index else pd.Series(dtype=float)
    items, info = flag_items(metrics.flags[metrics.flags[C.CLIENT_ID] == client])
    log = metrics.log[metrics.log[C.CLIENT_ID] == client]
    period = (f"{day(row['start'])} to {day(row['as_of'])} ({int(row['days'])} days, "
              f"about {num(row['days'] / 7, 0)} weeks)")
    outcome_text = [s for s in (pain_sentence(out_row), flexibility_sentence(out_row), reach_sentence(out_row)) if s]
    summary: dict[str, Any] = {
        "client_id": str(client), "title": f"Stretching progress report: {client}", "period": period,
        "glance": glance_cards(row, out_row, items, metrics.phase_date),
        "adherence": adherence_sentences(row), "habit": habit_sentence(row),
        "dose": dose_sentences(row), "dose_rows": dose_rows(metrics.dose[metrics.dose[C.CLIENT_ID] == client]),
        "outcomes": outcome_text, "relief": relief_sentence(out_row),
        "flags": items, "info_flags": info,
        "effects": effect_summary(metrics.effects[metrics.effects[C.CLIENT_ID] == client], metrics.phase_date),
        "notes": client_notes(log) if notes else [],
        # ODI / RMDQ / PSFS rows and sentences ("What you can do"); None without assessments
        "function": function_section(metrics.function, client),
    }
    effects = summary["effects"]
    summary["sentences"] = [
        f"Period: {period}.", *summary["adherence"], *([summary["habit"]] if summary["habit"] else []),
        *outcome_text, *([summary["relief"]] if summary["relief"] else []),
        *([effects["text"]] if effects else []), *summary["dose"],
        *(f"{i['label']} ({i['severity']}): {i['advice']}" for i in items)]
    summary["metrics"] = {**row.to_dict(), **out_row.to_dict()}
    return summary


def flags_by_client(metrics: Metrics, recent_days: int | None = None, include_info: bool = False) -> pd.DataFrame:
    """The caseload's flags, one row per client and kind of flag, worst first (see ``flag_rows``).

    Parameters
    ----------
    metrics
        From :func:`compute_metrics`.
    recent_days
        Only flags dated in this many days before the analysis date (as :func:`caseload_rows`
        counts them); None: the whole period.
    include_info
        Also the info-level observations (default: only what needs action, warnings and alerts).

    Returns
    -------
    pandas.DataFrame
        ``client_id, flag, label, severity, count, first, latest, detail, advice``: the same
        grouping, wording and advice as the "Things to look at" section of each client's report.
    """
    table = metrics.flags
    if not include_info:
        table = table[table["severity"] != "info"]
    if recent_days is not None:
        table = table[table[C.DATE] > metrics.as_of - pd.Timedelta(days=recent_days)]
    return flag_rows(table)


def caseload_rows(metrics: Metrics, recent_days: int = 14) -> pd.DataFrame:
    """The therapist's table: one row per client, flagged clients first (alerts, then warnings).

    Columns: ``client_id, severity`` (worst flag that needs action: alert / warning / none),
    ``alerts, warnings, concerns`` (flag labels), ``adherence, adherence_28d, current_streak,
    habit_strength, days_since_last, pain_baseline, pain_current, pain_pct_change,
    pain_mcid_reached``. Within a severity, more alerts, then more warnings, then client id.
    Flags count when dated in the last ``recent_days`` days (as the caseload chart does): a caseload
    view is for what needs action now.
    """
    cons, out, fl = metrics.consistency, metrics.outcomes.reindex(metrics.consistency.index), metrics.flags
    act = fl[(fl["severity"] != "info") & (fl[C.DATE] > metrics.as_of - pd.Timedelta(days=recent_days))]
    counts = pd.crosstab(act[C.CLIENT_ID], act["severity"]).reindex(cons.index, fill_value=0)
    table = pd.DataFrame({
        "alerts": counts.get("alert", pd.Series(0, index=cons.index)).astype(int),
        "warnings": counts.get("warning", pd.Series(0, index=cons.index)).astype(int),
    }, index=cons.index)
    table["severity"] = np.select([table["alerts"] > 0, table["warnings"] > 0], ["alert", "warning"], "none")
    concerns = act.drop_duplicates([C.CLIENT_ID, "flag"]).assign(
        rank=lambda f: f["severity"].map(SEVERITY_ORDER)).sort_values(["rank", "flag"], kind="stable")
    table["concerns"] = concerns.groupby(C.CLIENT_ID)["flag"].agg(
        lambda f: "; ".join(FLAG_LABELS.get(k, k) for k in f)).reindex(cons.index).fillna("")
    for col in ["adherence", "adherence_28d", "current_streak", "streak_unit", "habit_strength", "days_since_last"]:
        table[col] = cons[col]
    for col in ["pain_baseline", "pain_current", "pain_pct_change", "pain_mcid_reached"]:
        table[col] = out[col]
    if metrics.function is not None:  # the latest ODI / RMDQ / PSFS change and whether it reached the MCID
        wide = function_wide(metrics.function).reindex(cons.index)
        for col in [c for c in wide.columns if c.endswith(("_change", "_mcid_reached"))]:
            table[col] = wide[col]
    table["rank"] = table["severity"].map({"alert": 0, "warning": 1, "none": 2})
    table = table.rename_axis(C.CLIENT_ID).reset_index()
    table = table.sort_values(["rank", "alerts", "warnings", C.CLIENT_ID], ascending=[True, False, False, True],
                              kind="stable")
    return table.drop(columns="rank").reset_index(drop=True)


def glance_cards(row: pd.Series, out_row: pd.Series, items: list[dict[str, Any]],
                 phase_date: pd.Timestamp | None = None) -> list[dict[str, str]]:
    """Four headline numbers: sessions done, habit strength, pain now vs then, flags."""
    cards = []
    if pd.notna(row["adherence"]):
        cards.append({"label": "Adherence", "value": pct(row["adherence"]), "note": "of the planned sessions done",
                      "tone": "good" if row["adherent"] else "warning"})
    if pd.notna(row.get("habit_strength")):
        cards.append({"label": "Habit strength", "value": f"{num(100 * row['habit_strength'], 0)}/100",
                      "note": "grows with every session", "tone": ""})
    display = pain_display(out_row)
    if display is not None:
        shown, _, verdict = display
        span = ("from first week to last week" if phase_date is None
                else f"before {day(phase_date)} → last week")
        note = {"improved": "clinically important fall", "worse": "clinically important rise"}.get(verdict, span)
        cards.append({"label": "Pain (0-10)", "value": f"{shown.baseline} → {shown.current}", "note": note,
                      "tone": {"improved": "good", "worse": "warning"}.get(verdict, "")})
    worst = items[0]["severity"] if items else None
    n = len(items)
    cards.append({"label": "Things to look at", "value": str(n),
                  "note": f"worst: {worst}" if worst else "nothing needs action",
                  "tone": worst or "good"})
    return cards
