"""What each headline metric means, in a sentence or two, and where its threshold comes from.

:data:`METRIC_GLOSSARY` is the one place a report, a notebook or a spreadsheet looks up how to
explain a number; :func:`key_metrics` is one client's headline numbers as a tidy table with that
explanation and reference beside each value, so a table of numbers never stands unexplained.

References
----------
- Haynes RB, Taylor DW, Sackett DL (1979). *Compliance in Health Care*. Johns Hopkins University
  Press (taking >= 80 % of what was prescribed as the usual cut-off for "adherent", since used
  for home-exercise programmes).
- Loop Habit Tracker (uhabits), ``ScoreList.kt``: the habit-strength score.
- American College of Sports Medicine (2021). *ACSM's Guidelines for Exercise Testing and
  Prescription*, 11th ed.: flexibility exercise, static holds 10-30 s, 2-4 repetitions.
- Farrar JT et al. (2001), *Pain* 94:149-158; Ostelo RWJG et al. (2008), *Spine* 33:90-94:
  a fall of >= 2 points or >= 30 % on the 0-10 NPRS is clinically important (the MCID).
- Dworkin RH et al. (2008), IMMPACT recommendations, *J Pain* 9:105-121: >= 30 % moderate,
  >= 50 % substantial.
- Jacobson NS, Truax P (1991), *J Consult Clin Psychol* 59:12-19 (Reliable Change Index);
  Childs JD et al. (2005), *Spine* 30:1331-1334 (NPRS SEM 1.02).
- Theil H (1950); Sen PK (1968), *JASA* 63:1379-1389 (Theil-Sen slope). Mann HB (1945),
  *Econometrica* 13:245-259; Kendall MG (1975), *Rank Correlation Methods* (Mann-Kendall test).
- Lopez-Minarro PA et al. (2009); Ayala F et al. (2012): sit-and-reach smallest real difference
  about 4 cm.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from backanalytics.report.changes import flexibility_display, pain_display, reach_display
from backanalytics.report.content import Metrics
from backanalytics.report.words import num, pct, plural, signed


class Entry(NamedTuple):
    """A metric's label, its meaning in one or two sentences, and the reference for its threshold."""

    label: str
    meaning: str
    reference: str


ADHERENCE_REF = "80 % cut-off: Haynes, Taylor & Sackett 1979; usual for home-exercise programmes"
MCID_REF = "Farrar 2001; Ostelo 2008"

#: Headline metrics of the consistency and outcome tables, in report order.
METRIC_GLOSSARY: dict[str, Entry] = {
    "days": Entry("Days in the period", "Calendar days from the first entry to the analysis date.", "-"),
    "active_days": Entry("Session days", "Days with at least one logged stretch.", "-"),
    "adherence": Entry("Adherence", "Session days done divided by the session days the programme asks for; "
                       "80 % or more counts as keeping to the programme (adherent).", ADHERENCE_REF),
    "adherence_28d": Entry("Adherence, last 4 weeks", "The same over the last 28 days; under 60 % raises the "
                           "'fewer sessions lately' flag.", ADHERENCE_REF),
    "longest_streak": Entry("Longest streak", "Most consecutive session days (or weeks meeting the weekly "
                            "target, when the plan is less than daily).", "habit-tracker convention (Loop)"),
    "current_streak": Entry("Current streak", "The streak that is still running on the analysis date.",
                            "habit-tracker convention (Loop)"),
    "habit_strength": Entry("Habit strength", "Loop Habit Tracker's score, 0 to 1: an exponentially smoothed "
                            "share of days done, so it grows with every session and one missed day barely "
                            "dents it.", "Loop Habit Tracker (ScoreList.kt)"),
    "days_since_last": Entry("Days since last entry", "Days from the last entry to the analysis date; 7 or "
                             "more raises the 'no recent entries' flag.", "-"),
    "dose_within_guidance": Entry("Dose within guidance", "Share of logged stretches whose hold and repetitions "
                                  "are within the guidance for their kind (static: hold 10-30 s, 2-4 "
                                  "repetitions).", "ACSM Guidelines, 11th ed. (2021)"),
    "pain_baseline": Entry("Pain at baseline", "Mean 0-10 pain of the first 7 days with a score, or of the days "
                           "before the phase date when one is given.", "NPRS 0-10 (Childs 2005)"),
    "pain_current": Entry("Pain now", "Mean 0-10 pain of the last 7 days with a score.", "NPRS 0-10 (Childs 2005)"),
    "pain_change": Entry("Pain change", "Pain now minus pain at baseline, in points; negative = less pain.",
                         MCID_REF),
    "pain_pct_change": Entry("Pain change (%)", "The change as a percentage of the baseline; negative = less "
                             "pain.", MCID_REF),
    "pain_mcid_reached": Entry("Clinically important improvement", "Pain fell by at least 2 points or 30 %: the "
                               "minimal clinically important difference (MCID) on the 0-10 scale.", MCID_REF),
    "pain_band": Entry("IMMPACT band", "30 % less pain is a moderate, 50 % a substantial improvement; "
                       "10 % minimal.", "IMMPACT, Dworkin 2008"),
    "pain_rci": Entry("Reliable Change Index", "The change divided by its measurement error, sqrt(2) x SEM "
                      "(NPRS SEM 1.02); below -1.96 the fall is larger than the scale's own noise.",
                      "Jacobson & Truax 1991; Childs 2005 (SEM 1.02)"),
    "pain_slope_theil_sen": Entry("Pain trend (Theil-Sen)", "Points per week: the median of the slopes between "
                                  "every pair of days, so a few bad days cannot drag it around.",
                                  "Theil 1950; Sen 1968"),
    "pain_mk_p": Entry("Trend test (Mann-Kendall p)", "Below 0.05 pain moved steadily in one direction "
                       "(up or down), beyond what day-to-day noise would give.", "Mann 1945; Kendall 1975"),
    "flexibility_change": Entry("Flexibility change", "Self-rated flexibility (0-10) now minus at baseline; there "
                                "is no published MCID, so the 2-point NPRS rule is used by analogy.",
                                "2-point rule, by analogy with Farrar 2001"),
    "reach_cm_change": Entry("Sit-and-reach change", "Centimetres now minus at baseline; a change under about "
                             "4 cm is within the test's measurement error (its smallest real difference).",
                             "MDC about 4 cm: Lopez-Minarro 2009; Ayala 2012"),
    "within_session_relief": Entry("Relief within a session", "Mean pain before minus right after a session; "
                                   "positive = stretching eases pain, negative = it hurts (ease up).",
                                   "the guide: mild tension, not pain"),
}

_SHARES = {"adherence", "adherence_28d", "dose_within_guidance"}
_COUNTS = {"days", "active_days", "longest_streak", "current_streak", "days_since_last"}
_CHANGES = {"pain_change", "flexibility_change", "reach_cm_change"}


def shown(metric: str, value: object, streak_unit: str = "days") -> str:
    """A metric's value as a report writes it ("87 %", "29 days", "-4.3", "yes")."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        return value
    if metric in _SHARES:
        return pct(float(value))
    if metric == "habit_strength":
        return f"{num(100 * float(value), 0)}/100"
    if metric in _COUNTS:
        unit = streak_unit if metric.endswith("streak") else "days"
        return plural(float(value), unit.removesuffix("s"))
    if metric == "pain_mcid_reached":
        return "yes" if bool(value) else "not yet"
    if metric == "pain_pct_change":
        return f"{signed(float(value), 0)} %"
    if metric in _CHANGES:
        return signed(float(value)) + (" cm" if metric.startswith("reach") else " points")
    if metric == "pain_mk_p":
        return "< 0.001" if float(value) < 0.001 else num(float(value), 3)
    if metric == "pain_slope_theil_sen":
        return f"{signed(float(value), 2)} a week"
    return num(float(value), 2 if metric == "pain_rci" else 1)


def key_metrics(metrics: Metrics, client: str) -> pd.DataFrame:
    """One client's headline numbers, each with its meaning and reference.

    Parameters
    ----------
    metrics
        From :func:`backanalytics.report.content.compute_metrics`.
    client
        A client id in ``metrics``.

    Returns
    -------
    pandas.DataFrame
        Index ``metric`` (the column name in the metric tables); columns ``label``, ``value`` (the
        number, as in the consistency / outcome tables), ``shown`` (as a report writes it),
        ``meaning`` and ``reference``. Metrics the client has no value for (no reach scores, say)
        are left out.

    Examples
    --------
    >>> from backanalytics.report.content import compute_metrics
    >>> days = pd.date_range("2026-01-01", periods=14)
    >>> log = pd.DataFrame({"client_id": "a", "date": days, "stretch": "Cobra Stretch", "hold_s": 20.0,
    ...     "reps": pd.array([3] * 14, dtype="Int64"), "pain": [6.0] * 7 + [3.0] * 7, "pain_after": None,
    ...     "flexibility": None, "reach_cm": None, "notes": None, "planned_rest": False})
    >>> table = key_metrics(compute_metrics(log), "a")
    >>> table.loc["adherence", "shown"], table.loc["pain_mcid_reached", "reference"]
    ('100 %', 'Farrar 2001; Ostelo 2008')
    """
    if client not in metrics.consistency.index:
        raise KeyError(f"no client {client!r} in the log")
    row = metrics.consistency.loc[client]
    if client in metrics.outcomes.index:
        row = pd.concat([row, metrics.outcomes.loc[client]])
    unit = str(row.get("streak_unit", "days"))
    # Baselines, current values and changes as the report's sentences show them (the change is the
    # difference of the displayed values), so the table never contradicts the words.
    as_shown: dict[str, str] = {}
    pain = pain_display(row)
    if pain is not None:
        as_shown.update(pain_baseline=pain[0].baseline, pain_current=pain[0].current,
                        pain_change=f"{pain[0].signed} points", pain_pct_change=pain[1])
    for metric, display, unit_words in (("flexibility_change", flexibility_display(row), "points"),
                                        ("reach_cm_change", reach_display(row), "cm")):
        if display is not None:
            as_shown[metric] = f"{display[0].signed} {unit_words}"
    records = []
    for metric, entry in METRIC_GLOSSARY.items():
        value = row.get(metric)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        text = as_shown.get(metric) or shown(metric, value, unit)
        records.append({"metric": metric, "label": entry.label, "value": value, "shown": text,
                        "meaning": entry.meaning, "reference": entry.reference})
    return pd.DataFrame.from_records(records, columns=["metric", "label", "value", "shown", "meaning",
                                                       "reference"]).set_index("metric")
