"""Sentences and display rows for reports: numbers formatted one way, in plain words.

Every number in a sentence is formatted with :func:`num` / :func:`pct` from the metric tables, so
the words always equal the tables. Thresholds come from
:data:`backanalytics.thresholds.THRESHOLDS` (cited there); the flag advice follows the stretching
guide ("mild tension, not pain"; "consistency over intensity"); NAP bands are Parker & Vannest
(2009).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.metrics.flags import SEVERITY_ORDER
from backanalytics.thresholds import THRESHOLDS

#: What each flag is called in a report.
FLAG_LABELS: dict[str, str] = {
    "pain_flare": "Pain flare-up",
    "pain_during_stretching": "Pain while stretching",
    "silent": "No recent entries",
    "low_adherence": "Fewer sessions lately",
    "no_improvement": "No clinically important improvement",
}
#: The guide's advice for each flag, in plain words.
FLAG_ADVICE: dict[str, str] = {
    "pain_flare": "Pain was well above its recent level. Go gently for a few days and ease up on the "
                  "stretches that hurt; if it does not settle, see a professional (physical therapist).",
    "pain_during_stretching": "Stretching should cause a feeling of mild tension, not pain. If a stretch "
                              "hurts, ease up. If it keeps hurting, see a professional (physical therapist).",
    "pain_during_stretching_alert": "Stretching should cause a feeling of mild tension, not pain. It hurt on "
                                    "several days in the last 2 weeks: ease up, and see a professional "
                                    "(physical therapist) before carrying on.",
    "silent": "No entries lately. A short, easy session restarts the habit: consistency matters more "
              "than intensity.",
    "low_adherence": "Fewer sessions than planned in the last 4 weeks. Short, regular sessions help more "
                     "than occasional long ones: consistency over intensity.",
    "no_improvement": "Regular stretching without a clinically important change in pain: time to review "
                      "the programme with your physical therapist.",
}
#: Effect sizes shown in a report, with a one-line meaning (SingleCaseES definitions).
EFFECT_LABELS: dict[str, str] = {
    "NAP": "share of (baseline day, stretching day) pairs where the stretching day was better; 0.5 = no change",
    "Tau": "NAP rescaled to -1..1; 0 = no change",
    "Tau_BC": "Tau after removing any baseline trend",
    "PND": "share of stretching days better than the best baseline day",
    "SMD": "change in baseline standard deviations",
    "LRRd": "log ratio of phase means (negative = less pain)",
}
NAP_BANDS = ((0.93, "strong"), (0.66, "medium"), (0.0, "weak"))  # Parker & Vannest 2009
MIN_BASELINE_DAYS = 5

def num(value: float, digits: int = 1) -> str:
    """A number as a report writes it: fixed decimals, '-0.0' shown as '0.0'."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def signed(value: float, digits: int = 1) -> str:
    """A change with its sign ('+1.9', '-50', '0.0')."""
    text = num(value, digits)
    return f"+{text}" if value > 0 and float(text) != 0 else text


def plural(count: float, word: str) -> str:
    """'1 day', '6 days'."""
    n = int(count)
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def pct(share: float) -> str:
    """A share (0.91) as a whole percentage ('91 %')."""
    return f"{num(100 * share, 0)} %"


def day(ts: pd.Timestamp) -> str:
    """A date as '10 Aug 2026'."""
    return f"{ts.day} {ts:%b %Y}"


def _present(row: pd.Series, *cols: str) -> bool:
    return all(col in row and pd.notna(row[col]) for col in cols)


def adherence_sentences(row: pd.Series) -> list[str]:
    """Sessions, adherence against the prescription, the last 4 weeks, streaks, last session."""
    target = row["sessions_per_week_target"]
    out = [f"You stretched on {int(row['active_days'])} of {int(row['days'])} days "
           f"({num(row['sessions_per_week'])} sessions a week; the plan was {num(target, 0)} a week)."]
    if pd.notna(row["adherence"]):
        verdict = ("80 % or more counts as keeping to the programme" if row["adherent"]
                   else "the aim is 80 % or more")
        out.append(f"That is {pct(row['adherence'])} of the planned sessions ({verdict}).")
    if pd.notna(row["adherence_28d"]):
        out.append(f"In the last 4 weeks: {pct(row['adherence_28d'])}.")
    if row["streak_unit"] == "days":
        out.append(f"Longest run: {plural(row['longest_streak'], 'day')} in a row; current run: "
                   f"{plural(row['current_streak'], 'day')}.")
    else:
        out.append(f"Longest run: {plural(row['longest_streak'], 'week')} in a row meeting your weekly target; "
                   f"current run: {plural(row['current_streak'], 'week')}.")
    if pd.notna(row["days_since_last"]) and row["days_since_last"] > 1:
        out.append(f"Your last session was {int(row['days_since_last'])} days ago.")
    return out


def habit_sentence(row: pd.Series) -> str | None:
    """Habit strength in words (Loop Habit Tracker's score, 0-100)."""
    if pd.isna(row.get("habit_strength")):
        return None
    return (f"Habit strength: {num(100 * row['habit_strength'], 0)} out of 100. It grows with every "
            "session and fades slowly when sessions are missed (the Loop Habit Tracker score).")


def dose_sentences(row: pd.Series) -> list[str]:
    """Typical hold and repetitions, and the share of stretches within the ACSM guidance."""
    static = catalog.DOSE_GUIDANCE[catalog.STATIC]
    parts = []
    if _present(row, "median_hold_s"):
        parts.append(f"{num(row['median_hold_s'], 0)} s holds")
    if _present(row, "median_reps"):
        parts.append(f"{num(row['median_reps'], 0)} repetitions")
    out = [f"Typical stretch: {' and '.join(parts)}."] if parts else []
    if _present(row, "dose_within_guidance"):
        out.append(f"{pct(row['dose_within_guidance'])} of your logged stretches were within the guidance "
                   f"(static stretches: hold {static['hold_min']:g}-{static['hold_max']:g} s, "
                   f"{static['reps_min']:g}-{static['reps_max']:g} repetitions; ACSM).")
    return out


def pain_sentence(row: pd.Series) -> str | None:
    """Pain at baseline and now, against the MCID (>= 2 points or >= 30 %, Farrar 2001)."""
    if not _present(row, "pain_baseline", "pain_current"):
        return None
    base, cur, change = row["pain_baseline"], row["pain_current"], row["pain_change"]
    rule = (f"≥ {THRESHOLDS['pain_mcid_points']:g} points or ≥ {THRESHOLDS['pain_mcid_pct']:g} %, "
            "Farrar 2001")
    pct_text = f" ({signed(row['pain_pct_change'], 0)} %)" if pd.notna(row["pain_pct_change"]) else ""
    if num(base) == num(cur):
        return f"Your pain stayed at {num(cur)} out of 10."
    if change < 0:
        text = f"Your pain fell from {num(base)} to {num(cur)}{pct_text}"
        if pd.notna(row["pain_mcid_reached"]) and bool(row["pain_mcid_reached"]):
            return f"{text}, a clinically important improvement ({rule})."
        return f"{text}: less than the change that counts as clinically important ({rule})."
    text = f"Your pain rose from {num(base)} to {num(cur)}{pct_text}"
    if change >= THRESHOLDS["pain_mcid_points"]:
        return f"{text}, a clinically important worsening: please talk to your physical therapist."
    return f"{text}."


def flexibility_sentence(row: pd.Series) -> str | None:
    """Self-rated flexibility (0-10) against the 2-point rule."""
    if not _present(row, "flexibility_baseline", "flexibility_current"):
        return None
    base, cur, change = row["flexibility_baseline"], row["flexibility_current"], row["flexibility_change"]
    mcid = THRESHOLDS["flexibility_mcid_points"]
    if num(base) == num(cur):
        return f"Your flexibility rating stayed at {num(cur)} out of 10."
    verb = "rose" if change > 0 else "fell"
    text = f"Your flexibility rating {verb} from {num(base)} to {num(cur)} ({signed(change)} points)"
    if change >= mcid:
        return f"{text}, an important improvement (≥ {mcid:g} points)."
    if change > 0:
        return f"{text}; a rise of {mcid:g} points or more counts as important."
    return f"{text}."


def reach_sentence(row: pd.Series) -> str | None:
    """Sit-and-reach (cm) against the 4 cm smallest real difference."""
    if not _present(row, "reach_cm_baseline", "reach_cm_current"):
        return None
    base, cur, change = row["reach_cm_baseline"], row["reach_cm_current"], row["reach_cm_change"]
    mdc = THRESHOLDS["reach_cm_mdc"]
    text = (f"Your sit-and-reach went from {num(base)} cm to {num(cur)} cm "
            f"({signed(change)} cm)")
    if change >= mdc:
        return f"{text}, a real improvement (more than the {mdc:g} cm measurement error)."
    return f"{text}, within measurement error (changes under {mdc:g} cm are not reliable)."


def relief_sentence(row: pd.Series) -> str | None:
    """Mean pain before minus right after a session, in words."""
    relief = row.get("within_session_relief")
    if relief is None or pd.isna(relief) or num(relief) == "0.0":
        return None
    if relief > 0:
        return f"On average your pain was {num(relief)} points lower right after stretching than before."
    return (f"On average your pain was {num(-relief)} points higher right after stretching than before. "
            "Stretching should feel like mild tension, not pain: ease up.")


def flag_items(table: pd.DataFrame) -> tuple[list[dict[str, Any]], int]:
    """Warnings and alerts grouped by kind, worst first (with advice); and the number of info flags."""
    info = int((table["severity"] == "info").sum())
    act = table[table["severity"] != "info"]
    items = []
    for kind, rows in act.groupby("flag", sort=False):
        worst = rows["severity"].map(SEVERITY_ORDER).min()
        latest = rows.sort_values(C.DATE, kind="stable").iloc[-1]
        severity = next(k for k, v in SEVERITY_ORDER.items() if v == worst)
        advice = FLAG_ADVICE.get(f"{kind}_alert" if severity == "alert" else str(kind), FLAG_ADVICE.get(str(kind), ""))
        items.append({"flag": str(kind), "label": FLAG_LABELS.get(str(kind), str(kind)), "severity": severity,
                      "count": len(rows), "latest": day(latest[C.DATE]),
                      "detail": str(latest["detail"]).split(". ")[0], "advice": advice})
    items.sort(key=lambda i: (SEVERITY_ORDER[i["severity"]], -i["count"]))
    return items, info


def effect_summary(effects: pd.DataFrame) -> dict[str, Any] | None:
    """One client's phase effect sizes (pain): a sentence about NAP and display rows."""
    if effects.empty:
        return None
    by = effects.set_index("metric")
    n_a, n_b = int(effects["n_a"].iloc[0]), int(effects["n_b"].iloc[0])
    nap = by.loc["NAP"] if "NAP" in by.index else None
    text = (f"Comparing your {n_a} days with a pain score before you started stretching (baseline) "
            f"with the {n_b} days since:")
    if nap is not None and pd.notna(nap["est"]):
        band = next(w for lo, w in NAP_BANDS if max(nap["est"], 1 - nap["est"]) >= lo)
        ci = (f", 95 % CI {num(nap['ci_lower'], 2)} to {num(nap['ci_upper'], 2)}"
              if pd.notna(nap["ci_lower"]) else "")
        text += (f" on {pct(nap['est'])} of day pairs pain was lower once you had started stretching "
                 f"(NAP {num(nap['est'], 2)}{ci}). 0.5 would mean no difference; this is a {band} effect "
                 "(Parker & Vannest 2009).")
    rows = [{"metric": m, "meaning": EFFECT_LABELS[m], "est": num(by.loc[m, "est"], 2),
             "ci": (f"{num(by.loc[m, 'ci_lower'], 2)} to {num(by.loc[m, 'ci_upper'], 2)}"
                    if pd.notna(by.loc[m, "ci_lower"]) else "")}
            for m in EFFECT_LABELS if m in by.index and pd.notna(by.loc[m, "est"])]
    caution = (f"Only {n_a} baseline days: read these numbers with caution." if n_a < MIN_BASELINE_DAYS
               else None)
    return {"text": text, "rows": rows, "caution": caution, "n_a": n_a, "n_b": n_b}


def dose_rows(dose: pd.DataFrame) -> list[dict[str, str]]:
    """One client's dose-by-stretch table, formatted for display."""
    rows = []
    for r in dose.sort_values("session_days", ascending=False).itertuples(index=False):
        rows.append({"stretch": str(r.stretch), "kind": str(r.kind) if pd.notna(r.kind) else "unknown",
                     "days": str(int(r.session_days)),
                     "hold": "" if pd.isna(r.median_hold_s) else f"{num(r.median_hold_s, 0)} s",
                     "reps": "" if pd.isna(r.median_reps) else num(r.median_reps, 0),
                     "minutes": num(r.total_minutes, 0),
                     "within": "" if pd.isna(r.within_guidance) else pct(r.within_guidance)})
    return rows


def client_notes(log: pd.DataFrame, limit: int = 8) -> list[dict[str, str]]:
    """The client's most recent notes (untrusted text: the template escapes it)."""
    if C.NOTES not in log:
        return []
    rows = log[log[C.NOTES].notna() & (log[C.NOTES].astype(str).str.strip() != "")]
    rows = rows.sort_values(C.DATE, ascending=False, kind="stable").head(limit)
    return [{"date": day(d), "text": str(t)} for d, t in zip(rows[C.DATE], rows[C.NOTES], strict=True)]


def glance_cards(row: pd.Series, out_row: pd.Series, items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Four headline numbers: sessions done, habit strength, pain now vs then, flags."""
    cards = []
    if pd.notna(row["adherence"]):
        cards.append({"label": "Adherence", "value": pct(row["adherence"]), "note": "of the planned sessions done",
                      "tone": "good" if row["adherent"] else "warning"})
    if pd.notna(row.get("habit_strength")):
        cards.append({"label": "Habit strength", "value": f"{num(100 * row['habit_strength'], 0)}/100",
                      "note": "grows with every session", "tone": ""})
    if _present(out_row, "pain_baseline", "pain_current"):
        reached = pd.notna(out_row["pain_mcid_reached"]) and bool(out_row["pain_mcid_reached"])
        then_now = f"{num(out_row['pain_baseline'])} → {num(out_row['pain_current'])}"
        cards.append({"label": "Pain (0-10)", "value": then_now,
                      "note": "clinically important fall" if reached else "from first week to last week",
                      "tone": "good" if reached else ""})
    worst = items[0]["severity"] if items else None
    n = len(items)
    cards.append({"label": "Things to look at", "value": str(n),
                  "note": f"worst: {worst}" if worst else "nothing needs action",
                  "tone": worst or "good"})
    return cards
