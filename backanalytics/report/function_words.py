"""The "What you can do" section of a client report: function questionnaires in plain words.

Built from :func:`backanalytics.assessment_outcomes`; thresholds from
:data:`backanalytics.instruments.FUNCTION_THRESHOLDS` (cited there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from backanalytics import columns as C
from backanalytics.instruments import FUNCTION_THRESHOLDS, INSTRUMENTS
from backanalytics.report.words import day, num, signed

BAND_RANGES = {"minimal": "0-20 %", "moderate": "21-40 %", "severe": "41-60 %", "crippling": "61-80 %",
               "bed-bound": "81-100 %"}


def score_text(instrument: str, value: float) -> str:
    """A score as a report writes it: ODI in %, RMDQ of 24, PSFS of 10; a decimal only when needed.

    Examples
    --------
    >>> score_text("ODI", 35.5556), score_text("RMDQ", 7.0), score_text("PSFS", 4.75)
    ('35.6 %', '7 of 24', '4.8 of 10')
    """
    shown = num(value, 0) if float(value).is_integer() else num(value, 1)
    return {"ODI": f"{shown} %", "RMDQ": f"{shown} of 24"}.get(instrument, f"{shown} of 10")


def mcid_text(instrument: str, thresholds: Mapping[str, float] | None = None) -> str:
    """The instrument's MCID in words ("10 points or 30 %").

    Examples
    --------
    >>> mcid_text("ODI"), mcid_text("PSFS"), mcid_text("ODI", {"odi_mcid_points": 6})
    ('10 points or 30 %', '2 points', '6 points or 30 %')
    """
    t = {**FUNCTION_THRESHOLDS, **(thresholds or {})}
    key = instrument.lower()
    text = f"{t[f'{key}_mcid_points']:g} points"
    return text + (f" or {t[f'{key}_mcid_pct']:g} %" if f"{key}_mcid_pct" in t else "")


def verdict(row: Mapping[str, Any], thresholds: Mapping[str, float] | None = None) -> str:
    """What the change means, in plain words (direction-aware, against the MCID)."""
    inst = row["instrument"]
    if pd.isna(row["mcid_reached"]):
        return "one questionnaire so far: the change shows at the next one"
    if bool(row["mcid_reached"]):
        return f"a clinically important improvement (at least {mcid_text(inst, thresholds)})"
    if bool(row["improved"]):
        return f"better, but less than a clinically important change ({mcid_text(inst, thresholds)})"
    if row["change"] == 0:
        return "no change"
    return "worse than at the start"


def function_section(outcomes: pd.DataFrame | None, client: str,
                     thresholds: Mapping[str, float] | None = None) -> dict[str, Any] | None:
    """Rows (one per instrument) and sentences for one client; None when the client has no questionnaire.

    Examples
    --------
    >>> from backanalytics.metrics.function import assessment_outcomes
    >>> scores = pd.DataFrame({"client_id": "a", "instrument": "ODI", "score": [40.0, 30.0],
    ...                        "date": pd.to_datetime(["2026-01-05", "2026-02-16"])})
    >>> function_section(assessment_outcomes(scores), "a")["sentences"][0]
    'Oswestry Disability Index (ODI; lower is better): 40 % on 5 Jan 2026, 30 % on 16 Feb 2026 (-10 points, \
-25 %): a clinically important improvement (at least 10 points or 30 %). Now in the moderate disability band \
(21-40 %).'
    """
    if outcomes is None or outcomes.empty:
        return None
    mine = outcomes[outcomes[C.CLIENT_ID].astype(str) == str(client)]
    if mine.empty:
        return None
    rows, sentences = [], []
    for r in mine.to_dict("records"):
        inst, spec = r["instrument"], INSTRUMENTS[r["instrument"]]
        change = "" if r["latest_date"] == r["baseline_date"] else (
            f"{signed(r['change'], 0 if float(r['change']).is_integer() else 1)} points"
            + ("" if pd.isna(r["pct_change"]) else f", {signed(r['pct_change'], 0)} %"))
        extra = ""
        if inst == "ODI" and r["band"]:
            extra = f"Now in the {r['band']} disability band ({BAND_RANGES[r['band']]})."
        elif inst == "RMDQ" and r["recovered"] is True:
            extra = "A score of 2 or less counts as recovered."
        first = f"{score_text(inst, r['baseline'])} on {day(r['baseline_date'])}"
        latest = f"{score_text(inst, r['latest'])} on {day(r['latest_date'])}"
        words = verdict(r, thresholds)
        better = "higher" if spec.higher_is_better else "lower"
        rows.append({"instrument": f"{spec.title} ({inst})", "better": f"{better} is better", "first": first,
                     "latest": latest if r["latest_date"] != r["baseline_date"] else "",
                     "change": change, "verdict": words, "extra": extra})
        if r["latest_date"] == r["baseline_date"]:
            sentences.append(f"{spec.title} ({inst}; {better} is better): {first}; {words}. {extra}".strip())
        else:
            sentences.append(f"{spec.title} ({inst}; {better} is better): {first}, {latest} ({change}): "
                             f"{words}. {extra}".strip())
    return {"rows": rows, "sentences": sentences}


def report_card_lines(card: pd.DataFrame) -> list[str]:
    """One line per instrument with re-assessed clients: "ODI: 3 of 4 re-assessed clients (75 %) ...".

    Examples
    --------
    >>> card = pd.DataFrame({"instrument": ["ODI", "RMDQ"], "reassessed": [4, 0], "mcid_reached": [3, 0],
    ...                      "share": [0.75, float("nan")]})
    >>> report_card_lines(card)
    ['Oswestry Disability Index (ODI): 3 of 4 re-assessed clients reached the MCID (75 %).']
    """
    lines = []
    for r in card.to_dict("records"):
        if r["reassessed"]:
            lines.append(f"{INSTRUMENTS[r['instrument']].title} ({r['instrument']}): {r['mcid_reached']} of "
                         f"{r['reassessed']} re-assessed client{'s' if r['reassessed'] != 1 else ''} reached the "
                         f"MCID ({num(100 * r['share'], 0)} %).")
    return lines


def caseload_function_text(row: Mapping[str, Any]) -> str:
    """A caseload cell: each instrument's latest change, "(MCID)" when clinically important.

    Examples
    --------
    >>> caseload_function_text({"odi_change": -12.0, "odi_mcid_reached": True, "psfs_change": 1.0,
    ...                         "psfs_mcid_reached": False})
    'ODI -12 (MCID); PSFS +1'
    """
    parts = []
    for inst in INSTRUMENTS:
        change = row.get(f"{inst.lower()}_change")
        if change is None or pd.isna(change):
            continue
        reached = row.get(f"{inst.lower()}_mcid_reached")
        digits = 0 if float(change).is_integer() else 1
        parts.append(f"{inst} {signed(change, digits)}" + (" (MCID)" if reached is True else ""))
    return "; ".join(parts)
