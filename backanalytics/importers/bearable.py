"""Import back-pain ratings and stretching sessions from a Bearable symptom-diary CSV export.

Bearable exports a long table: ``date,weekday,time of day,category,rating/amount,detail,notes``
(dates like "23rd Jul 2020"), or the 8-column form that adds ``date formatted``; columns are
found by name. ``time of day`` is a segment of the day (``pre``, ``am``, ``mid``, ``pm``,
``all day``), empty, or a clock time ("21:30", "9:10").

* **Back pain** (category Symptom): a symptom whose name is back pain ("Back (lower) pain",
  "Back (upper) pain", "Back (mid) pain", "Lower back pain", "Back pain"), or one named with
  ``symptoms=`` ("Neck pain"), becomes a pain score. Bearable rates severity 1-4 (Mild, Moderate,
  Severe, Unbearable), written in the last brackets of ``detail``; it is converted to the 0-10
  numeric rating scale with :data:`SEVERITY_TO_NPRS` (overridable with ``severity=``). Several
  back areas rated in one segment of a day give one score: the worst.
* **Stretching sessions**: a factor (categories ending in "factors", ``detail`` "A | B | ...")
  that names stretching, yoga or mobility (or a catalog stretch, or one named with ``mapping``)
  becomes a session row, stretch as written.
* Everything else (mood, sleep, meds, food, other symptoms and factors ...) is skipped with one
  count per category (per symptom name for symptoms, so each can be included with ``symptoms=``).

Segment scores have no clock time (Bearable records none), so the segment is kept in ``notes``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from backanalytics import columns as col
from backanalytics.importers import ORIGIN, ImportResult, canonical_frame, origin_frame
from backanalytics.importers.csvfile import header_key, missing_columns, read_csv_export
from backanalytics.importers.months import parse_local_datetime
from backanalytics.importers.workouts import mapping_lookup, name_key, skipped_frame, stretch_for

#: Bearable's severity labels (its ratings 1-4) -> 0-10 numeric rating scale (NPRS). The verbal
#: bands of the 11-point scale are 0 none, 1-3 mild, 4-6 moderate, 7-10 severe (Canadian
#: Physiotherapy Association, Pain Science Division, "Numeric Rating Scale (NRS-11)"; community
#: adults place the same words at 1.3-3.6, 4.3-6.5 and 7.5-9.8: Palos GR et al., J Pain
#: 2006;7(1):49-56, doi:10.1016/j.jpain.2005.07.012). Each label takes its band's middle; Bearable's
#: "Unbearable", above "Severe", takes the scale's top anchor (10, "worst imaginable pain"), so
#: "Severe" takes the middle of the rest of its band (7-9).
SEVERITY_TO_NPRS: dict[str, float] = {"Mild": 2.0, "Moderate": 5.0, "Severe": 8.0, "Unbearable": 10.0}
SEVERITY_LEVELS = {"mild": 1, "moderate": 2, "severe": 3, "unbearable": 4}
SEGMENTS = {"pre": "early (pre)", "am": "morning (am)", "mid": "afternoon (mid)", "pm": "evening (pm)",
            "all day": "all day", "": "no time of day"}
#: "Back pain", "Lower back pain", "Back (lower) pain", "Upper-back pain" ... but not "Back of knee pain".
_BACK_PAIN = re.compile(r"^((lower|upper|mid|middle)[\s-]+)?back\s*(\((lower|upper|mid|middle)\)\s*)?pain$",
                        re.IGNORECASE)
_NAMED = re.compile(r"^(?P<name>.*?)\s*\((?P<label>[^()]*)\)\s*$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_ORDINAL = re.compile(r"\b(\d{1,2})(st|nd|rd|th)\b", re.IGNORECASE)
_COLUMNS = ["time of day", "category", "rating/amount", "detail"]


@dataclass
class BearableImportResult(ImportResult):
    """An :class:`ImportResult` plus counts, for a summary that says scores were converted."""

    counts: Counter[str] = field(default_factory=Counter)
    severity: Mapping[str, float] = field(default_factory=lambda: dict(SEVERITY_TO_NPRS))

    def summary(self) -> str:
        """Rows imported (pain scores, sessions), the conversion used, records skipped."""
        c = self.counts
        table = ", ".join(f"{label} {score:g}" for label, score in self.severity.items())
        return (f"imported {len(self.log)} rows ({c['pain']} pain scores from {c['pain_records']} "
                f"back-pain ratings, {c['sessions']} stretching sessions); pain converted from "
                f"Bearable severity 1-4 to the 0-10 scale ({table}; worst area per segment); "
                f"skipped {c['skipped']} records and {c['factors']} other factor entries")


def import_bearable(
    src: str | os.PathLike[str],
    client_id: str = "me",
    *,
    symptoms: Iterable[str] = (),
    mapping: Mapping[str, str | Sequence[str] | None] | None = None,
    severity: Mapping[str, float] | None = None,
) -> BearableImportResult:
    """Read back-pain ratings and stretching factors of a Bearable CSV export.

    Parameters
    ----------
    src
        The CSV Bearable exports (7 columns, or 8 with ``date formatted``).
    client_id
        Written on every row; an export belongs to one person.
    symptoms
        More symptom names (as written before the severity bracket, any case) to read as pain,
        e.g. ``["Neck pain"]``.
    mapping
        Factor name -> stretch: includes, renames or (``None``) excludes a factor.
    severity
        Overrides of :data:`SEVERITY_TO_NPRS` (label -> 0-10 score in whole or half points).

    Returns
    -------
    BearableImportResult
        ``log``: score-only rows (``pain``) and session rows (``stretch``); ``skipped``: one row per
        skipped category (per symptom name) with its count, and unreadable rows with their line.

    Raises
    ------
    ValueError
        One line: the header lacks a needed column (named), or a severity override is not 0-10.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "bearable.csv"
    >>> _ = path.write_text(
    ...     'date,weekday,time of day,category,rating/amount,detail,notes\\n'
    ...     '"2nd Mar 2024","Saturday","am","Symptom","1","Back (lower) pain (Mild)",""\\n'
    ...     '"2nd Mar 2024","Saturday","am","Symptom","3","Back (upper) pain (Severe)",""\\n'
    ...     '"2nd Mar 2024","Saturday","pm","Symptom","2","Back (lower) pain (Moderate)",""\\n'
    ...     '"2nd Mar 2024","Saturday","all day","Factors","","Walk | Yoga",""\\n'
    ...     '"2nd Mar 2024","Saturday","21:00","Mood","7","Good",""\\n')
    >>> result = import_bearable(path)
    >>> result.log[["date", "stretch", "pain"]]
            date stretch  pain
    0 2024-03-02     NaN   8.0
    1 2024-03-02     NaN   5.0
    2 2024-03-02    Yoga   NaN
    >>> result.skipped["record"].tolist()
    ['Factors', 'Mood']
    """
    scores = _severity_table(severity)
    export = read_csv_export(src, "Bearable")
    missing = missing_columns(export, _COLUMNS)
    keys = [header_key(h) for h in export.header]
    if "date" not in keys and "date formatted" not in keys:
        missing.insert(0, "date")
    if missing:
        raise ValueError(f"not a Bearable export: its header lacks {', '.join(missing)} (header: "
                         f"{','.join(h.strip() for h in export.header)[:200]})")
    at = {key: keys.index(key) for key in keys}
    wanted = {name_key(s) for s in symptoms}
    lookup = mapping_lookup(mapping)
    counts: Counter[str] = Counter()
    worst: dict[tuple[date, str], dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    other: Counter[tuple[str, str]] = Counter()
    for line, fields in export.records:
        where = f"{export.name}:{line}"
        cell = {key: fields[i].strip() if i < len(fields) else "" for key, i in at.items()}
        day = _day(cell)
        if isinstance(day, str):
            skipped.append({"source": where, "record": f"line {line}", "reason": day})
            counts["bad"] += 1
            continue
        category = cell["category"]
        kind = category.casefold()
        if kind in ("symptom", "symptoms"):
            name, label = _symptom(cell["detail"], wanted)
            if name is None:
                other[(f"{category}: {label}", "symptom")] += 1
                continue
            level = _level(label, cell["rating/amount"])
            if isinstance(level, str):
                skipped.append({"source": where, "record": cell["detail"], "reason": level})
                counts["bad"] += 1
                continue
            counts["pain_records"] += 1
            segment = cell["time of day"]
            key = (day, segment.casefold())
            best = worst.get(key)
            areas = [*best["areas"], cell["detail"]] if best else [cell["detail"]]
            if best is None or level > best["level"]:
                best = {"level": level, "where": where, "segment": segment}
            worst[key] = {**best, "areas": areas}
        elif kind.endswith("factors"):
            factors = [f.strip() for f in cell["detail"].split("|") if f.strip()]
            for factor in factors:
                stretch, _ = stretch_for(factor, lookup)
                if stretch is None:
                    other[(category, "factor")] += 1
                    continue
                rows.append({col.CLIENT_ID: client_id, col.DATE: day, col.STRETCH: stretch,
                             col.NOTES: f"Bearable {category.lower()}: {factor}",
                             col.PLANNED_REST: False, ORIGIN: (where, f"{category}: {factor}")})
                counts["sessions"] += 1
        else:
            other[(category or "(no category)", "record")] += 1
    labels = list(scores)
    for (day, _), found in worst.items():
        segment = found["segment"]
        clock = _CLOCK.match(segment)
        rows.append({
            col.CLIENT_ID: client_id, col.DATE: day,
            col.TIME: f"{int(clock[1]):02d}:{clock[2]}:00" if clock else None,
            col.PAIN: scores[labels[found["level"] - 1]],
            col.NOTES: f"Bearable {SEGMENTS.get(segment.casefold(), segment)}: {', '.join(found['areas'])}",
            col.PLANNED_REST: False, ORIGIN: (found["where"], found["areas"][0]),
        })
        counts["pain"] += 1
    for (what, kind), n in sorted(other.items(), key=lambda item: item[0][0].casefold()):
        skipped.append({"source": export.name, "record": what, "reason": _other_reason(what, kind, n)})
    counts["factors"] = sum(n for (_, kind), n in other.items() if kind == "factor")
    counts["skipped"] = sum(other.values()) - counts["factors"] + counts["bad"]
    rows.sort(key=lambda r: (r[col.DATE], r.get(col.TIME) or "", r.get(col.STRETCH) is not None))
    return BearableImportResult(log=canonical_frame(rows), skipped=skipped_frame(skipped), origins=origin_frame(rows),
                                counts=counts, severity=scores)


def _severity_table(severity: Mapping[str, float] | None) -> dict[str, float]:
    table = dict(SEVERITY_TO_NPRS)
    for label, score in (severity or {}).items():
        key = next((k for k in table if k.casefold() == str(label).strip().casefold()), None)
        if key is None:
            raise ValueError(f"severity {label!r} is not a Bearable severity ({', '.join(table)})")
        value = float(score)
        if not (0 <= value <= 10 and (value * 2).is_integer()):
            raise ValueError(f"severity {label}={score}: scores are 0-10 in whole or half points")
        table[key] = value
    return table


def _symptom(detail: str, wanted: set[str]) -> tuple[str | None, str]:
    """(name, severity label) of a pain symptom to import, else (None, name to report).

    The severity is in the last brackets ("Back (lower) pain (Mild)"); a detail without one
    ("Back (lower) pain", the rating alone saying how bad) is a name whose own brackets stay.
    """
    match = _NAMED.match(detail)
    readings = [(match["name"], match["label"])] if match else []
    for name, label in [*readings, (detail, "")]:
        if _BACK_PAIN.match(name.strip()) or name_key(name) in wanted:
            return name, label
    return None, readings[0][0] if readings else detail


def _level(label: str, rating: str) -> int | str:
    """Severity 1-4 from the bracketed label, else from the rating; or why neither works."""
    from_label = SEVERITY_LEVELS.get(label.strip().casefold())
    from_rating = int(rating) if rating.strip() in {"1", "2", "3", "4"} else None
    if from_label and from_rating and from_label != from_rating:
        return f"rating {rating} disagrees with the severity ({label})"
    level = from_label or from_rating
    return level if level else f"severity {label or rating!r} is not Mild, Moderate, Severe or Unbearable (1-4)"


def _day(cell: Mapping[str, str]) -> date | str:
    """The local day of a record (``date formatted`` first, then ``date``), or why not."""
    texts = [cell.get("date formatted", ""), cell.get("date", "")]
    for text in (t for t in texts if t):
        try:
            return parse_local_datetime(_ORDINAL.sub(r"\1", text)).date()
        except ValueError:
            continue
    return f"unreadable date {' / '.join(t for t in texts if t)!r}"


def _other_reason(what: str, kind: str, n: int) -> str:
    if kind == "symptom":
        name = what.split(": ", 1)[1]
        return f"{n} records: not back pain (include it with --symptom {name!r})"
    if kind == "factor":
        return f"{n} factor entries that are not stretching, yoga or mobility (include one with --map)"
    return f"{n} records"
