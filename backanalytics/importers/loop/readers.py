"""Reading Loop habits and their days from the CSV export (both formats) and the SQLite backup."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from backanalytics.metrics.habit_kernels import LoopEntry

_TOKENS = {e.name: int(e) for e in LoopEntry}
_FOLDER = re.compile(r"^(\d+)(?:\s.*)?$")


@dataclass
class _Habit:
    """One Loop habit as read from any export format."""

    position: int
    name: str
    numerical: bool = False
    numerator: int = 1
    denominator: int = 1
    target_type: str = ""
    target_value: float = float("nan")
    unit: str = ""
    archived: bool = False
    source: str = ""
    #: (date, Loop value, note, raw record) per known day; date/value are None when unreadable.
    entries: list[tuple[pd.Timestamp | None, int | None, str, str]] = field(default_factory=list)


# ------------------------------------------------------------------------- CSV export


def _sanitise(name: str) -> str:
    """Loop's folder-name sanitiser (HabitsCSVExporter.sanitizeFilename), for name recovery."""
    return re.sub(r"[^ a-zA-Z0-9._-]+", "", name)[:100]


def _read_csv_export(files: Any) -> tuple[list[_Habit], list[dict], str]:
    folders = {}
    for folder in files.folders():
        match = _FOLDER.match(folder)
        if match:
            folders[int(match.group(1))] = folder
    habits, legacy = _parse_habits_csv(files.read_text("Habits.csv"), folders)
    extra: list[dict] = []
    seen = set()
    for h in habits:
        folder = folders.get(h.position)
        h.source = f"{files.label}: {folder or f'{h.position:03d}'}/Checkmarks.csv"
        if folder is None:
            extra.append(_skip(f"{files.label}: Habits.csv", h.name,
                               "no Checkmarks.csv for this habit in the export"))
            continue
        seen.add(h.position)
        _parse_checkmarks(files.read_text(f"{folder}/Checkmarks.csv"), h)
        if legacy and not h.numerical:
            # Legacy exports have no Type column: amounts (x1000) give numerical habits away.
            h.numerical = any(v is not None and v not in _TOKENS.values() for _, v, _, _ in
                              h.entries)
    for pos, folder in sorted(folders.items()):
        if pos not in seen:
            extra.append(_skip(f"{files.label}: {folder}/Checkmarks.csv", folder,
                               "folder has no matching row in Habits.csv"))
    return habits, extra, "csv-legacy" if legacy else "csv"


def _parse_habits_csv(text: str, folders: dict[int, str]) -> tuple[list[_Habit], bool]:
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise ValueError("Habits.csv is empty (is this a Loop CSV export?)")
    header = [c.strip().casefold() for c in rows[0]]
    if "position" not in header or "name" not in header:
        raise ValueError("Habits.csv has no Position/Name columns (is this a Loop CSV export?)")
    legacy = "frequencynumerator" not in header
    habits = []
    for row in rows[1:]:
        rec = _habit_record(header, row, folders)
        try:
            position = int(rec["position"])
        except (KeyError, ValueError):
            continue
        h = _Habit(position=position, name=rec.get("name", "").strip())
        num = rec.get("frequencynumerator", rec.get("numrepetitions", "1"))
        den = rec.get("frequencydenominator", rec.get("interval", "1"))
        h.numerator, h.denominator = _int_or(num, 1), _int_or(den, 1)
        h.numerical = rec.get("type", "").strip().upper() == "NUMERICAL"
        h.unit = rec.get("unit", "").strip()
        h.target_type = rec.get("target type", "").strip().upper()
        h.target_value = _float_or(rec.get("target value", ""), float("nan"))
        h.archived = rec.get("archived?", "").strip().casefold() == "true"
        habits.append(h)
    return habits, legacy


def _habit_record(header: list[str], row: list[str], folders: dict[int, str]) -> dict[str, str]:
    """Fields of one Habits.csv row, tolerating unquoted commas in the free-text columns.

    Old exporters wrote Habits.csv without quoting, so a comma in a name shifts the columns.
    Everything after ``description`` is anchored to the end of the row; the name is recovered
    by matching the habit's folder (Loop's sanitised name) or, in the current format, by the
    ``Type`` token that follows it.
    """
    if len(row) <= len(header):
        return dict(zip(header, list(row) + [""] * (len(header) - len(row)), strict=True))
    rec = {"position": row[0]}
    desc = header.index("description") if "description" in header else len(header) - 1
    tail = header[desc + 1:]
    for key, value in zip(tail, row[len(row) - len(tail):], strict=True):
        rec[key] = value
    middle = row[1:len(row) - len(tail)]
    if "type" in header:
        k = next((i for i, v in enumerate(middle) if v.strip() in ("YES_NO", "NUMERICAL")), 1)
        rec["type"] = middle[k] if k < len(middle) else ""
        rec["name"] = ",".join(middle[:k])
        return rec
    folder = folders.get(_int_or(row[0], -1), "")
    wanted = folder.split(" ", 1)[1] if " " in folder else ""
    rec["name"] = middle[0]
    for k in range(1, len(middle) + 1):
        candidate = ",".join(middle[:k])
        if wanted and _sanitise(candidate).strip() == wanted:
            rec["name"] = candidate
            break
    return rec


def _parse_checkmarks(text: str, h: _Habit) -> None:
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if rows and rows[0][0].strip().casefold() == "date":
        rows = rows[1:]
    raw_dates = [r[0].strip() for r in rows]
    dates = pd.to_datetime(pd.Series(raw_dates, dtype="str"), format="%Y-%m-%d", errors="coerce")
    for row, raw_date, date in zip(rows, raw_dates, dates, strict=True):
        raw_value = row[1].strip() if len(row) > 1 else ""
        note = row[2].strip() if len(row) > 2 else ""
        value = _TOKENS.get(raw_value.upper())
        if value is None:
            value = _int_or(raw_value, None)
        h.entries.append((None if pd.isna(date) else date, value, note,
                          f"{raw_date},{raw_value}"))


# --------------------------------------------------------------------------- SQLite


def _read_db(path: Path) -> tuple[list[_Habit], list[dict], str]:
    # Read-only URI: a backup must never be modified (or get a journal) by an import.
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise ValueError(f"cannot open SQLite file {path.name}: {exc}") from exc
    try:
        tables = {r[0].casefold() for r in
                  con.execute("select name from sqlite_master where type = 'table'")}
        if not {"habits", "repetitions"} <= tables:
            raise ValueError(f"{path.name} is not a Loop backup (no Habits/Repetitions tables)")
        version = con.execute("pragma user_version").fetchone()[0]
        hcols = {r[1].casefold() for r in con.execute("pragma table_info(Habits)")}
        rcols = {r[1].casefold() for r in con.execute("pragma table_info(Repetitions)")}

        def col(name: str, cols: set[str], default: str) -> str:
            return name if name in cols else f"{default} as {name}"

        habit_rows = con.execute(
            "select id, name, position, "
            + ", ".join([col("freq_num", hcols, "1"), col("freq_den", hcols, "1"),
                         col("type", hcols, "0"), col("target_type", hcols, "0"),
                         col("target_value", hcols, "null"), col("unit", hcols, "''"),
                         col("archived", hcols, "0")])
            + " from Habits order by position, id").fetchall()
        # Schemas before v21 have no value column: every repetition was a manual tick.
        value_sql = col("value", rcols, str(int(LoopEntry.YES_MANUAL)))
        notes_sql = col("notes", rcols, "''")
        reps = con.execute(f"select id, habit, timestamp, {value_sql}, {notes_sql} "
                           "from Repetitions order by habit, timestamp, id").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"cannot read {path.name} as a Loop backup: {exc}") from exc
    finally:
        con.close()
    by_id: dict[object, _Habit] = {}
    habits = []
    for hid, name, position, num, den, htype, ttype, tval, unit, archived in habit_rows:
        h = _Habit(position=int(position) + 1 if position is not None else len(habits) + 1,
                   name=str(name or ""), numerical=htype == 1,
                   numerator=_int_or(num, 1), denominator=_int_or(den, 1),
                   target_type=("AT_MOST" if ttype == 1 else "AT_LEAST") if htype == 1 else "",
                   target_value=_float_or(tval, float("nan")) if htype == 1 else float("nan"),
                   unit=str(unit or ""), archived=bool(archived),
                   source=f"{path.name}: Habits id {hid}")
        by_id[hid] = h
        habits.append(h)
    extra: list[dict] = []
    latest: dict[tuple[object, pd.Timestamp], tuple[int | None, str, str]] = {}
    for rid, hid, ts, value, notes in reps:
        if hid not in by_id:
            extra.append(_skip(f"{path.name}: Repetitions", f"id {rid}",
                               "repetition of a habit that is not in the Habits table"))
            continue
        date = pd.to_datetime(ts, unit="ms", errors="coerce") if ts is not None else pd.NaT
        if pd.isna(date):
            extra.append(_skip(f"{path.name}: Repetitions", f"id {rid}", "unreadable timestamp"))
            continue
        # Timestamps are UTC midnights; normalise anyway, later rows of a day win (old schemas
        # had no unique index on (habit, timestamp)).
        latest[(hid, date.normalize())] = (_int_or(value, None), str(notes or ""), f"id {rid}")
    for (hid, date), (value, note, record) in latest.items():
        by_id[hid].entries.append((date, value, note, record))
    return habits, extra, f"sqlite-v{version}"


def _skip(source: str, record: str, reason: str) -> dict:
    return {"source": source, "record": record, "reason": reason}



def _int_or(value: object, default: int | None) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default


def _float_or(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
