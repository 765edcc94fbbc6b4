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

import os
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
from backanalytics.importers.loop.files import _DirFiles, _is_sqlite, _ZipFiles
from backanalytics.importers.loop.readers import _Habit, _read_csv_export, _read_db, _skip
from backanalytics.metrics.habit_kernels import LoopEntry

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
