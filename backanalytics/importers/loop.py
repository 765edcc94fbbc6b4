"""Import Loop Habit Tracker exports (CSV zip or folder, or SQLite backup) into the canonical log.

Loop (Android, ``org.isoron.uhabits``) exports either a "Loop Habits CSV <date>.zip" or a
"Loop Habits Backup <date>.db". Both formats of the CSV export are read:

* current (app v2.3.1+): ``NNN <name>/Checkmarks.csv`` with header ``Date,Value,Notes`` and values
  ``YES_MANUAL`` / ``YES_AUTO`` / ``NO`` / ``SKIP`` / ``UNKNOWN`` (numerical habits: the amount
  times 1000); ``Habits.csv`` has ``FrequencyNumerator`` / ``FrequencyDenominator`` and ``Type``;
* legacy (app 1.x - 2.3.0): the same folders, no header, integer values 2 / 1 / 0 / -1 / 3, no
  notes; ``Habits.csv`` has ``NumRepetitions`` / ``Interval``.

Loop names each habit folder ``"%03d %s" % (position, name)`` after deleting every character
outside ``[ a-zA-Z0-9._-]``, so non-ASCII names are mangled (a fully non-ASCII name becomes just
``"002"``). Habits are therefore matched to ``Habits.csv`` by the position number, never by name.

What becomes a log row (``mapping`` decides which stretch or routine of stretches a habit is):

* ``YES_MANUAL`` (or a positive amount of a numerical habit): one row per mapped stretch;
* ``SKIP``: one ``planned_rest=True`` row for the day (no stretch), so rest days do not count as
  missed sessions;
* ``YES_AUTO``: no row. Loop fills these in itself for non-daily habits ("not needed today"); they
  are listed in ``skipped`` with the reason ``"auto-filled by Loop, not a session"``;
* ``NO`` / ``UNKNOWN``: no row and no ``skipped`` record each (they are counted per habit in
  ``habits`` and in :meth:`LoopImportResult.summary`); only a day that carries a note is listed in
  ``skipped`` so the note is not lost silently.

Loop's own notes become ``notes``. The habit frequency (``numerator`` times per ``denominator``
days) is returned in :attr:`LoopImportResult.habits` for consistency metrics, e.g.
:func:`backanalytics.metrics.habit.habit_strength` with ``frequency=result.frequency``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from backanalytics.catalog import canonical_name
from backanalytics.columns import (
    CANONICAL,
    CLIENT_ID,
    DATE,
    FLEXIBILITY,
    HOLD_S,
    NOTES,
    PAIN,
    PAIN_AFTER,
    PLANNED_REST,
    REACH_CM,
    REPS,
    SIDE,
    STRETCH,
    TIME,
)
from backanalytics.importers import ORIGIN, SKIPPED_COLUMNS, ImportResult, origin_frame
from backanalytics.metrics.habit import LoopEntry

#: Largest total uncompressed size read from a zip (zip-bomb guard).
MAX_ZIP_BYTES = 200 * 1024 * 1024
#: Most members accepted in a zip (a real export has 2 per habit plus 3).
MAX_ZIP_MEMBERS = 10_000

AUTO_FILLED = "auto-filled by Loop, not a session"
NOT_MAPPED = "habit not mapped to a stretch (pass mapping={habit name: stretch or [stretches]})"

#: Columns of :attr:`LoopImportResult.habits`.
HABIT_COLUMNS = [
    CLIENT_ID, "position", "name", "type", "numerator", "denominator", "sessions_per_week",
    "target_type", "target_value", "unit", "archived", "stretches",
    "yes_manual", "yes_auto", "no", "skip", "unknown", "rows",
]

_TOKENS = {e.name: int(e) for e in LoopEntry}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_FOLDER = re.compile(r"^(\d+)(?:\s.*)?$")
_TEXT_COLUMNS = [CLIENT_ID, TIME, STRETCH, SIDE, NOTES]
_FLOAT_COLUMNS = [HOLD_S, PAIN, PAIN_AFTER, FLEXIBILITY, REACH_CM]


@dataclass
class LoopImportResult(ImportResult):
    """An :class:`ImportResult` plus the Loop habits read (one row each, see :data:`HABIT_COLUMNS`).

    ``habits`` holds each habit's frequency (``numerator`` repetitions per ``denominator`` days,
    ``sessions_per_week`` = 7 * numerator / denominator), the stretches it was mapped to and how
    many days of each Loop value it had.
    """

    habits: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HABIT_COLUMNS))
    source_format: str = ""

    @property
    def frequency(self) -> tuple[int, int] | None:
        """The Loop frequency (numerator, denominator) shared by the mapped habits, else None.

        None when no habit was mapped or mapped habits disagree (then read :attr:`habits`).
        Loop treats ``n`` times in ``n`` days as daily, so that is reported as (1, 1).
        """
        if self.habits.empty:
            return None
        mapped = self.habits[self.habits["stretches"].map(len) > 0]
        pairs = {(1, 1) if n == d else (int(n), int(d))
                 for n, d in zip(mapped["numerator"], mapped["denominator"], strict=True)}
        return pairs.pop() if len(pairs) == 1 else None

    def summary(self) -> str:
        """One line: rows imported, habits used, records skipped and days that were not sessions."""
        rest = int(self.log[PLANNED_REST].sum()) if len(self.log) else 0
        h = self.habits
        mapped = int((h["stretches"].map(len) > 0).sum()) if len(h) else 0

        def total(col: str) -> int:
            return int(h[col].sum()) if len(h) else 0

        return (f"imported {len(self.log)} rows ({len(self.log) - rest} stretch rows, {rest} rest "
                f"days) from {mapped} of {len(h)} Loop habits, skipped {len(self.skipped)} "
                f"records; not sessions: {total('yes_auto')} YES_AUTO, {total('no')} NO, "
                f"{total('unknown')} UNKNOWN days")


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


def import_loop(
    src: str | os.PathLike[str],
    mapping: Mapping[str, str | Sequence[str] | None] | None = None,
    client_id: str = "me",
    *,
    max_bytes: int = MAX_ZIP_BYTES,
    max_members: int = MAX_ZIP_MEMBERS,
) -> LoopImportResult:
    """Read a Loop Habit Tracker export into the canonical log.

    Parameters
    ----------
    src : path
        The CSV export as ``.zip`` or as its unzipped folder (current or legacy format), or a
        SQLite backup ``.db`` (opened read-only). The kind is detected from the content.
    mapping : mapping of habit name to stretch name(s), optional
        Which stretch each habit is: a name (``"Cat-Cow"``) or a list of names for a routine
        (one row per stretch). Stretch names are normalised to the catalog when known and kept as
        written otherwise. Habit names match exactly, else ignoring case and spacing. A habit
        whose own name is a catalog stretch maps to itself; ``None`` or ``[]`` excludes a habit.
        Unmapped habits are listed in ``skipped``.
    client_id : str, default "me"
        Value of ``client_id`` on every row.
    max_bytes, max_members : int
        Zip-bomb guards: total uncompressed bytes and member count accepted from a zip.

    Returns
    -------
    LoopImportResult
        ``log`` (canonical columns, sorted by date), ``skipped`` (source, record, reason) and
        ``habits`` (frequency, mapping and per-value day counts of every habit).

    Raises
    ------
    ValueError
        For an unsafe zip (absolute or ``..`` member paths, too many members, too large) or a
        file that is not a Loop export; the message is one line.
    FileNotFoundError
        When ``src`` does not exist.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> tmp = Path(tempfile.mkdtemp()) / "loop.zip"
    >>> with zipfile.ZipFile(tmp, "w") as z:
    ...     z.writestr("Habits.csv", "Position,Name,Question,Description,NumRepetitions,"
    ...                "Interval,Color\\n001,Cat Cow,,,3,7,#FF8F00\\n")
    ...     z.writestr("001 Cat Cow/Checkmarks.csv", "2024-01-03,3\\n2024-01-02,1\\n2024-01-01,2\\n")
    >>> result = import_loop(tmp, client_id="ann")
    >>> result.log[["client_id", "date", "stretch", "planned_rest"]]
      client_id       date  stretch  planned_rest
    0       ann 2024-01-01  Cat-Cow         False
    1       ann 2024-01-03      NaN          True
    >>> result.frequency
    (3, 7)
    >>> result.skipped["reason"].tolist()
    ['auto-filled by Loop, not a session']
    """
    path = Path(src)
    if path.is_dir():
        habits, extra, fmt = _read_csv_export(_DirFiles(path))
    elif not path.is_file():
        raise FileNotFoundError(f"Loop export not found: {path}")
    elif _is_sqlite(path):
        habits, extra, fmt = _read_db(path)
    elif zipfile.is_zipfile(path):
        with _ZipFiles(path, max_bytes=max_bytes, max_members=max_members) as files:
            habits, extra, fmt = _read_csv_export(files)
    else:
        raise ValueError(f"not a Loop export (expected a .zip, its folder or a .db): {path.name}")
    return _to_result(habits, extra, fmt, mapping, client_id)


# ------------------------------------------------------------------------ file access


class _DirFiles:
    """An unzipped export folder (Habits.csv at its top or one folder down)."""

    def __init__(self, root: Path) -> None:
        if (root / "Habits.csv").is_file():
            self.root = root
        else:
            inner = [p for p in root.iterdir() if p.is_dir() and (p / "Habits.csv").is_file()]
            if len(inner) != 1:
                raise ValueError(f"no Habits.csv found in {root} (is this a Loop CSV export?)")
            self.root = inner[0]
        self.label = self.root.name

    def folders(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and (p / "Checkmarks.csv").is_file())

    def read_text(self, relative: str) -> str:
        return (self.root / relative).read_bytes().decode("utf-8-sig", errors="replace")


class _ZipFiles:
    """A zipped export, read member by member into memory; never extracted to disk."""

    def __init__(self, path: Path, *, max_bytes: int, max_members: int) -> None:
        self.label = path.name
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"cannot open zip {path.name}: {exc}") from exc
        try:
            infos = self.zip.infolist()
            if len(infos) > max_members:
                raise ValueError(f"unsafe zip {path.name}: {len(infos)} members (limit "
                                 f"{max_members})")
            declared = 0
            for info in infos:
                _check_member_name(info.filename, path.name)
                declared += info.file_size
            # Declared sizes are checked up front so a bomb is refused before any inflation;
            # reads are metered too in case the headers lie.
            if declared > max_bytes:
                raise ValueError(f"unsafe zip {path.name}: {declared} bytes uncompressed (limit "
                                 f"{max_bytes})")
        except BaseException:
            self.zip.close()
            raise
        self.budget = max_bytes
        self.names = {PurePosixPath(i.filename): i for i in infos if not i.is_dir()}
        tops = [n for n in self.names if n.name == "Habits.csv"]
        if not tops:
            self.zip.close()
            raise ValueError(f"no Habits.csv in {path.name} (is this a Loop CSV export?)")
        self.root = min(tops, key=lambda n: len(n.parts)).parent

    def __enter__(self) -> _ZipFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def folders(self) -> list[str]:
        depth = len(self.root.parts)
        out = {n.parts[depth] for n in self.names
               if len(n.parts) == depth + 2 and n.parent.parent == self.root
               and n.name == "Checkmarks.csv"}
        return sorted(out)

    def read_text(self, relative: str) -> str:
        info = self.names[self.root / relative]
        chunks = []
        try:
            with self.zip.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    self.budget -= len(chunk)
                    if self.budget < 0:
                        raise ValueError(f"unsafe zip {self.label}: inflates past the size limit")
                    chunks.append(chunk)
        except (RuntimeError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            # Encrypted members, bad CRCs and unsupported compression all end here.
            raise ValueError(f"cannot read {info.filename} from {self.label}: {exc}") from exc
        return b"".join(chunks).decode("utf-8-sig", errors="replace")


def _check_member_name(name: str, label: str) -> None:
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise ValueError(f"unsafe zip {label}: absolute member path {name!r}")
    if ".." in parts or "\x00" in name:
        raise ValueError(f"unsafe zip {label}: member path escapes the archive {name!r}")


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC


# ------------------------------------------------------------------------- CSV export


def _sanitise(name: str) -> str:
    """Loop's folder-name sanitiser (HabitsCSVExporter.sanitizeFilename), for name recovery."""
    return re.sub(r"[^ a-zA-Z0-9._-]+", "", name)[:100]


def _read_csv_export(files: _DirFiles | _ZipFiles) -> tuple[list[_Habit], list[dict], str]:
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


# ------------------------------------------------------------------------ conversion


def _to_result(habits: list[_Habit], extra: list[dict], fmt: str,
               mapping: Mapping[str, str | Sequence[str] | None] | None,
               client_id: str) -> LoopImportResult:
    lookup, used = _mapping_lookup(mapping)
    rows: list[dict] = []
    rest: dict[pd.Timestamp, list[str]] = {}
    rest_origin: dict[pd.Timestamp, tuple[str, str]] = {}
    skipped = list(extra)
    table = []
    for h in habits:
        stretches = _stretches_for(h.name, lookup, used)
        counts = dict.fromkeys(["yes_manual", "yes_auto", "no", "skip", "unknown"], 0)
        made = 0
        if not stretches:
            excluded = any(_key(k) == _key(h.name) for k in lookup)
            skipped.append(_skip(h.source, h.name, "habit excluded by the mapping (no stretch)"
                                 if excluded else NOT_MAPPED))
        for date, value, note, record in h.entries:
            kind = _classify(value, h.numerical)
            if kind in counts:
                counts[kind] += 1
            if not stretches:
                continue
            if kind == "invalid" or date is None:
                what = "unreadable date" if date is None else f"unknown Loop value {value!r}"
                skipped.append(_skip(h.source, record, what))
            elif kind == "yes_manual":
                text = _join_notes(_amount_text(value, h) if h.numerical else "", note)
                for stretch in stretches:
                    rows.append({CLIENT_ID: client_id, DATE: date, STRETCH: stretch,
                                 NOTES: text or None, PLANNED_REST: False,
                                 "_rank": 1, "_position": h.position, ORIGIN: (h.source, record)})
                    made += 1
            elif kind == "skip":
                rest.setdefault(date, [])
                rest_origin.setdefault(date, (h.source, record))
                if note and note not in rest[date]:
                    rest[date].append(note)
            elif kind == "yes_auto":
                skipped.append(_skip(h.source, _record(date, note), AUTO_FILLED))
            elif note:
                skipped.append(_skip(h.source, _record(date, note),
                                     f"not a session ({kind.upper()}); its note was not imported"))
        table.append({CLIENT_ID: client_id, "position": h.position, "name": h.name,
                      "type": "NUMERICAL" if h.numerical else "YES_NO",
                      "numerator": h.numerator, "denominator": h.denominator,
                      "sessions_per_week": 7 * h.numerator / h.denominator,
                      "target_type": h.target_type or None, "target_value": h.target_value,
                      "unit": h.unit or None, "archived": h.archived,
                      "stretches": list(stretches), **counts, "rows": made})
    # One rest row per day, however many mapped habits were skipped that day.
    for date, notes in rest.items():
        rows.append({CLIENT_ID: client_id, DATE: date, STRETCH: None,
                     NOTES: "; ".join(notes) or None, PLANNED_REST: True,
                     "_rank": 0, "_position": 0, ORIGIN: rest_origin[date]})
    unused = sorted(k for k in lookup if k not in used)
    if unused:
        warnings.warn(f"mapping names no habit in this Loop export: {unused}", UserWarning,
                      stacklevel=3)
    habits_table = pd.DataFrame(table, columns=HABIT_COLUMNS)
    log, origins = _log_frame(rows)
    return LoopImportResult(log=log, skipped=_skipped_frame(skipped), origins=origins,
                            habits=habits_table, source_format=fmt)


def _classify(value: int | None, numerical: bool) -> str:
    if value is None:
        return "invalid"
    if value == LoopEntry.SKIP:
        return "skip"  # Loop reads 3 as SKIP in numerical habits too (ScoreList.kt)
    if numerical:
        if value > 0:
            return "yes_manual"
        return "no" if value == 0 else "unknown"
    names = {int(LoopEntry.YES_MANUAL): "yes_manual", int(LoopEntry.YES_AUTO): "yes_auto",
             int(LoopEntry.NO): "no", int(LoopEntry.UNKNOWN): "unknown"}
    return names.get(value, "invalid")


def _amount_text(value: int | None, h: _Habit) -> str:
    # Numerical habits store the amount times 1000; keep it readable in the notes rather than
    # guessing whether it is a hold time, a rep count or a session length.
    amount = (value or 0) / 1000
    return f"Loop: {amount:g} {h.unit}".strip()


def _join_notes(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _record(date: pd.Timestamp, note: str) -> str:
    day = date.strftime("%Y-%m-%d")
    return f"{day} (note: {note})" if note else day


def _skip(source: str, record: str, reason: str) -> dict:
    return {"source": source, "record": record, "reason": reason}


def _key(name: str) -> str:
    text = unicodedata.normalize("NFC", str(name)).casefold()
    return " ".join(text.split())


def _mapping_lookup(mapping: Mapping[str, str | Sequence[str] | None] | None
                    ) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    lookup: dict[str, tuple[str, ...]] = {}
    for habit_name, target in (mapping or {}).items():
        if target is None:
            names: Sequence[str] = ()
        elif isinstance(target, str):
            names = (target,)
        elif isinstance(target, Sequence):
            names = tuple(target)
        else:
            raise TypeError(f"mapping[{habit_name!r}] must be a stretch name or a list of names")
        stretches = []
        for n in names:
            text = str(n).strip()
            if text:
                stretches.append(canonical_name(text) or text)
        lookup[str(habit_name)] = tuple(stretches)
    return lookup, set()


def _stretches_for(name: str, lookup: dict[str, tuple[str, ...]], used: set[str]
                   ) -> tuple[str, ...]:
    if name in lookup:
        used.add(name)
        return lookup[name]
    for key, stretches in lookup.items():
        if _key(key) == _key(name):
            used.add(key)
            return stretches
    own = canonical_name(name)
    return (own,) if own else ()


def _log_frame(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sorted canonical log and, row for row, where each row came from."""
    df = pd.DataFrame(rows, columns=[*CANONICAL, "_rank", "_position", ORIGIN])
    # By day; within a day the rest row first, then habits in Loop's order, stretches as mapped.
    df = df.sort_values([DATE, "_rank", "_position"], kind="stable")
    origins = origin_frame(df[[ORIGIN]].to_dict("records"))
    df = df.drop(columns=["_rank", "_position", ORIGIN]).reset_index(drop=True)
    for col in _TEXT_COLUMNS:
        df[col] = df[col].astype("str")
    for col in _FLOAT_COLUMNS:
        df[col] = df[col].astype(np.float64)
    # Same dtypes as the log schema (backanalytics.schema): ns dates, nullable integer reps.
    df[REPS] = df[REPS].astype("Int64")
    df[DATE] = pd.to_datetime(df[DATE]).astype("datetime64[ns]")
    df[PLANNED_REST] = df[PLANNED_REST].astype(bool)
    return df, origins


def _skipped_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=SKIPPED_COLUMNS).astype("str")


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
