"""Sentences and display rows for reports: numbers formatted one way, in plain words.

Every number in a sentence is formatted with :func:`num` / :func:`pct` from the metric tables, so
the words always equal the tables. Thresholds come from
:data:`backanalytics.thresholds.THRESHOLDS` (cited there); the flag advice follows the stretching
guide ("mild tension, not pain"; "consistency over intensity"); NAP bands are Parker & Vannest
(2009).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.metrics.flags import SEVERITY_ORDER

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
#: Every sign is stated: NAP, Tau, Tau_BC, PND and SMD are oriented so that larger = less pain,
#: LRRd (SingleCaseES's log response ratio for a decrease) the other way round.
EFFECT_LABELS: dict[str, str] = {
    "NAP": "share of (baseline day, later day) pairs where the later day had less pain (ties count half); "
           "0.5 = no change, above 0.5 = less pain",
    "Tau": "NAP rescaled to -1..1; 0 = no change, positive = less pain",
    "Tau_BC": "Tau after removing any baseline trend; positive = less pain",
    "PND": "share of later days with less pain than the best baseline day",
    "SMD": "change in baseline standard deviations; positive = less pain",
    "LRRd": "log ratio of phase means; negative = less pain (the opposite sign to SMD and Tau)",
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


def present(row: pd.Series, *cols: str) -> bool:
    """Every column is in ``row`` and not missing."""
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
    if present(row, "median_hold_s"):
        parts.append(f"{num(row['median_hold_s'], 0)} s holds")
    if present(row, "median_reps"):
        parts.append(f"{num(row['median_reps'], 0)} repetitions")
    out = [f"Typical stretch: {' and '.join(parts)}."] if parts else []
    if present(row, "dose_within_guidance"):
        out.append(f"{pct(row['dose_within_guidance'])} of your logged stretches were within the guidance "
                   f"(static stretches: hold {static['hold_min']:g}-{static['hold_max']:g} s, "
                   f"{static['reps_min']:g}-{static['reps_max']:g} repetitions; ACSM).")
    return out


def relief_sentence(row: pd.Series) -> str | None:
    """Mean pain before minus right after a session, in words."""
    relief = row.get("within_session_relief")
    if relief is None or pd.isna(relief) or num(relief) == "0.0":
        return None
    if relief > 0:
        return f"On average your pain was {num(relief)} points lower right after stretching than before."
    return (f"On average your pain was {num(-relief)} points higher right after stretching than before. "
            "Stretching should feel like mild tension, not pain: ease up.")


FLAG_ROW_COLUMNS = [C.CLIENT_ID, "flag", "label", "severity", "count", "first", "latest", "detail", "advice"]


def flag_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Flags grouped by client and kind, worst first: what a report lists under "Things to look at".

    Parameters
    ----------
    table
        A :func:`backanalytics.flags` table (any clients, any severities).

    Returns
    -------
    pandas.DataFrame
        One row per (client, flag): ``client_id, flag, label`` (in words), ``severity`` (the worst),
        ``count, first, latest`` (dates), ``detail`` (of the latest, first sentence) and ``advice``
        (the guide's, for that severity). Sorted by severity (alert first), then more flags first,
        then the order the flags table lists them in.
    """
    if table.empty:
        return pd.DataFrame(columns=FLAG_ROW_COLUMNS)
    t = table.reset_index(drop=True).assign(pos=lambda f: np.arange(len(f)),
                                            rank=lambda f: f["severity"].map(SEVERITY_ORDER))
    keys = [C.CLIENT_ID, "flag"]
    g = t.groupby(keys, sort=False, observed=True)
    out = g.agg(rank=("rank", "min"), count=("pos", "size"), first=(C.DATE, "min"), order=("pos", "min"))
    latest = t.sort_values([C.DATE, "pos"], kind="stable").drop_duplicates(keys, keep="last").set_index(keys)
    out = out.join(latest["detail"].astype(str).str.split(". ", regex=False).str[0]).join(
        latest[C.DATE].rename("latest")).reset_index()
    names = {v: k for k, v in SEVERITY_ORDER.items()}
    out["severity"] = out["rank"].map(names)
    out["label"] = out["flag"].map(lambda k: FLAG_LABELS.get(str(k), str(k)))
    out["advice"] = [FLAG_ADVICE.get(f"{k}_alert" if sev == "alert" else str(k), FLAG_ADVICE.get(str(k), ""))
                     for k, sev in zip(out["flag"], out["severity"], strict=True)]
    out = out.sort_values(["rank", "count", "order"], ascending=[True, False, True], kind="stable")
    return out[FLAG_ROW_COLUMNS].reset_index(drop=True)


def flag_items(table: pd.DataFrame) -> tuple[list[dict[str, Any]], int]:
    """One client's warnings and alerts grouped by kind, worst first (with advice); and the number of
    info flags (see :func:`flag_rows`)."""
    info = int((table["severity"] == "info").sum())
    rows = flag_rows(table[table["severity"] != "info"])
    items = [{"flag": str(r["flag"]), "label": r["label"], "severity": r["severity"], "count": int(r["count"]),
              "latest": day(r["latest"]), "detail": r["detail"], "advice": r["advice"]}
             for r in rows.to_dict("records")]
    return items, info


def phase_words(phase_date: pd.Timestamp | None) -> dict[str, str]:
    """How a report names the two phases: by the phase date when one was given, else by stretching.

    With ``--phase-date`` the baseline is "the days before <date>" whatever the client did then
    (a client may have stretched from day one); without it, the days before the first stretch.
    """
    if phase_date is None:
        return {"before": "before you started stretching", "baseline": "baseline",
                "after": "once you had started stretching", "heading": "Before and after you started stretching"}
    when = day(phase_date)
    return {"before": f"before {when}", "baseline": "baseline, set by the phase date",
            "after": f"from {when} on", "heading": f"Before and after {when}"}


def effect_summary(effects: pd.DataFrame, phase_date: pd.Timestamp | None = None) -> dict[str, Any] | None:
    """One client's phase effect sizes (pain): a sentence about NAP and display rows.

    NAP is oriented so that above 0.5 means less pain in phase B; the sentence says which way the
    change went (an improvement or a worsening) and how large it is, with the Parker & Vannest
    (2009) bands applied to ``max(NAP, 1 - NAP)``; it says when the 95 % interval includes 0.5.
    """
    if effects.empty:
        return None
    by = effects.set_index("metric")
    n_a, n_b = int(effects["n_a"].iloc[0]), int(effects["n_b"].iloc[0])
    words = phase_words(phase_date)
    nap = by.loc["NAP"] if "NAP" in by.index else None
    text = (f"Comparing your {n_a} days with a pain score {words['before']} ({words['baseline']}) "
            f"with the {n_b} days since:")
    if nap is not None and pd.notna(nap["est"]):
        est = float(nap["est"])
        band = next(w for lo, w in NAP_BANDS if max(est, 1 - est) >= lo)
        has_ci = pd.notna(nap["ci_lower"])
        ci = f", 95 % CI {num(nap['ci_lower'], 2)} to {num(nap['ci_upper'], 2)}" if has_ci else ""
        text += (f" in {pct(est)} of (baseline day, later day) pairs pain was lower {words['after']} "
                 f"(NAP {num(est, 2)}{ci}; ties count half). 0.5 would mean no difference")
        if num(est, 2) == num(0.5, 2):
            text += ": pain did not change (Parker & Vannest 2009)."
        elif est > 0.5:
            text += f"; above 0.5 means less pain: a {band} improvement (Parker & Vannest 2009)."
        else:
            text += f"; below 0.5 means more pain: a {band} worsening (Parker & Vannest 2009)."
        if has_ci and nap["ci_lower"] <= 0.5 <= nap["ci_upper"]:
            text += " The 95 % interval includes 0.5, so the difference may be chance."
    # An infinite estimate is SingleCaseES's SMD at a constant baseline: said in words, not as a number.
    rows = [{"metric": m, "meaning": EFFECT_LABELS[m],
             "est": num(by.loc[m, "est"], 2) if np.isfinite(by.loc[m, "est"]) else "none: the baseline did not vary",
             "ci": (f"{num(by.loc[m, 'ci_lower'], 2)} to {num(by.loc[m, 'ci_upper'], 2)}"
                    if pd.notna(by.loc[m, "ci_lower"]) and np.isfinite(by.loc[m, "est"]) else "")}
            for m in EFFECT_LABELS if m in by.index and pd.notna(by.loc[m, "est"])]
    if "SMD" in by.index and np.isinf(by.loc["SMD", "est"]):
        text += (" Pain was the same on every baseline day, so the change cannot be expressed in baseline "
                 "standard deviations (SMD).")
    caution = (f"Only {n_a} baseline days: read these numbers with caution." if n_a < MIN_BASELINE_DAYS
               else None)
    return {"text": text, "rows": rows, "caution": caution, "n_a": n_a, "n_b": n_b,
            "heading": words["heading"]}


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
