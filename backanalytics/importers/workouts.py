"""Workout-logger sets -> stretching log rows (shared by the Strong and Hevy importers).

A workout app logs one row per set of every exercise. Which exercises are stretching, and how
their sets become one log row per (workout, exercise), is the same for every app:

* an exercise named like a catalog stretch (any alias, e.g. "Cat Cow") becomes that stretch;
* a name that says it is stretching (:data:`STRETCHING_WORDS`: "Stretching", "Hip Stretches",
  "90-90 Stretches", "Yoga", "Mobility", a "... Pose") is kept as written;
* ``mapping`` (``--map``) renames or includes any exercise, or excludes it (empty target);
* everything else is skipped, listed once per exercise with its count
  (:data:`NOT_A_STRETCH`). Names are matched whole, never by a word inside them, so a
  "Russian Twist" (an abdominal exercise) is not a twist stretch.

Timed sets give ``reps`` = the number of timed sets and ``hold_s`` = their mean length; a set
longer than :data:`MAX_HOLD_S` keeps its length in ``notes`` and is left out of the mean, as the
Apple Health importer does. Sets counted in repetitions give ``reps`` = the total. Rest-timer
rows are rest, not sets; identical set rows are real repeated sets and all count.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from backanalytics import columns as col
from backanalytics.catalog import canonical_name
from backanalytics.importers import ORIGIN, SKIPPED_COLUMNS, ImportResult, canonical_frame, origin_frame
from backanalytics.importers.apple_health import MAX_HOLD_S

#: Words that make an exercise name a stretching exercise, kept as written.
STRETCHING_WORDS = re.compile(
    r"\b(stretch(es|ing)?|yoga|mobility|mobili[sz]ations?|pose)\b", re.IGNORECASE)
NOT_A_STRETCH = "not a stretch (include it with --map)"
EXCLUDED = "excluded by the mapping"

#: Kinds of a set row.
SET, REST, NOTE = "set", "rest", "note"


@dataclass
class WorkoutSet:
    """One row of a workout export, as the importer read it."""

    workout: str  # the workout's key (its start, or "Workout #12")
    start: datetime  # local start of the workout, no zone
    exercise: str
    kind: str  # SET, REST or NOTE
    reps: float | None = None
    seconds: float | None = None
    note: str = ""
    where: tuple[str, str] = ("", "")  # (source, record) for the skipped table


def name_key(name: str) -> str:
    """An exercise name for matching a mapping: NFC, case-folded, single spaces.

    Examples
    --------
    >>> name_key("  Calf  Wall ")
    'calf wall'
    """
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def mapping_lookup(mapping: Mapping[str, str | Sequence[str] | None] | None) -> dict[str, str | None]:
    """``{name: stretch}`` keyed by :func:`name_key`; a target is a name, a one-item list, or None
    / empty to exclude. Catalog names are normalised; more than one target is a ``ValueError``.

    Examples
    --------
    >>> mapping_lookup({"Thoracic Extension": "cat cow", "Dead Hang": None, "Roll": ["Foam roll"]})
    {'thoracic extension': 'Cat-Cow', 'dead hang': None, 'roll': 'Foam roll'}
    """
    lookup: dict[str, str | None] = {}
    for name, target in (mapping or {}).items():
        names = [target] if isinstance(target, str) else list(target or [])
        names = [str(n).strip() for n in names if str(n).strip()]
        if len(names) > 1:
            raise ValueError(f"map {name!r} to one stretch, not {len(names)} ({'; '.join(names)})")
        lookup[name_key(name)] = (canonical_name(names[0]) or names[0]) if names else None
    return lookup


def stretch_for(name: str, lookup: Mapping[str, str | None]) -> tuple[str | None, str]:
    """(stretch or None, why) for an exercise name; why is "mapped", "catalog", "stretching",
    "excluded" or "other".

    Examples
    --------
    >>> [stretch_for(n, {})[0] for n in ("Cat Cow", "Hip Stretches", "Pigeon Pose", "Russian Twist")]
    ['Cat-Cow', 'Hip Stretches', 'Pigeon Pose', None]
    >>> stretch_for("Dead Hang", mapping_lookup({"dead hang": "Shoulder hang"}))
    ('Shoulder hang', 'mapped')
    """
    key = name_key(name)
    if key in lookup:
        target = lookup[key]
        return target, "mapped" if target else "excluded"
    own = canonical_name(name)
    if own:
        return own, "catalog"
    if STRETCHING_WORDS.search(name):
        return " ".join(name.split()), "stretching"
    return None, "other"


@dataclass
class WorkoutImportResult(ImportResult):
    """An :class:`ImportResult` plus what a workout export held (for the one-line summary)."""

    app: str = ""
    layout: str = ""
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """Rows imported, workouts and exercises read, what was skipped."""
        c = self.counts
        layout = f" ({self.layout})" if self.layout else ""
        rest = f", {_count(c['rest'], 'rest-timer row')}" if c["rest"] else ""
        return (f"imported {_count(len(self.log), 'row')} from {_count(c['workouts'], self.app + ' workout')}"
                f"{layout}: {_count(c['stretch_exercises'], 'stretching exercise')}; skipped "
                f"{_count(c['other_exercises'], 'other exercise')} ({_count(c['other_sets'], 'set')}){rest} and "
                f"{_count(c['bad'], 'unreadable row')}")


def workout_result(sets: list[WorkoutSet], skipped: list[dict[str, str]], *, app: str, layout: str,
                   client_id: str, mapping: Mapping[str, str | Sequence[str] | None] | None,
                   source: str) -> WorkoutImportResult:
    """Group ``sets`` into one log row per (workout, exercise) and list the rest as skipped.

    Parameters
    ----------
    sets
        Every readable row of the export, in file order.
    skipped
        Rows the app importer could not read (source, record, reason); the exercises that are
        not stretching and the rest-timer rows are added to it.
    app, layout
        For the summary ("Strong", "comma export, 12 columns").
    client_id, mapping
        As the importers take them (see :func:`stretch_for`).
    source
        The file name, for the per-exercise skipped rows.

    Returns
    -------
    WorkoutImportResult
        The log sorted by date and time (file order within a workout), skipped, origins, counts.

    Examples
    --------
    >>> from datetime import datetime
    >>> start = datetime(2024, 3, 10, 7, 5)
    >>> sets = [WorkoutSet("w1", start, "Child's Pose", SET, seconds=s) for s in (30, 40)]
    >>> sets += [WorkoutSet("w1", start, "Child's Pose", REST, seconds=90),
    ...          WorkoutSet("w1", start, "Plank", SET, seconds=60)]
    >>> result = workout_result(sets, [], app="Demo", layout="", client_id="me", mapping=None, source="x.csv")
    >>> result.log[["stretch", "hold_s", "reps"]].values.tolist()
    [["Child's Pose", 35.0, 2]]
    >>> result.skipped["record"].tolist()
    ['Plank (1 set in 1 workout)', 'Rest Timer (1 rows)']
    """
    lookup = mapping_lookup(mapping)
    groups: dict[tuple[str, str], list[WorkoutSet]] = {}
    for s in sets:
        groups.setdefault((s.workout, name_key(s.exercise)), []).append(s)
    counts: Counter[str] = Counter(workouts=len({s.workout for s in sets}), bad=len(skipped))
    counts["rest"] = sum(s.kind == REST for s in sets)
    rows: list[dict[str, Any]] = []
    others: dict[str, tuple[str, Counter[str]]] = {}
    resolved: dict[str, tuple[str | None, str]] = {}
    for (_, key), group in groups.items():
        name = group[0].exercise.strip()
        if key not in resolved:
            resolved[key] = stretch_for(name, lookup)
        stretch, why = resolved[key]
        done = [s for s in group if s.kind == SET]
        if stretch is None:
            _, tally = others.setdefault(key, (name, Counter()))
            tally["sets"] += len(done)
            tally["workouts"] += 1
            tally["excluded"] = int(why == "excluded")
            continue
        if not done:
            where = group[0].where
            skipped.append({"source": where[0], "record": f"{where[1]} {name}".strip(),
                            "reason": "no sets logged (only rest-timer or note rows)"})
            continue
        rows.append(_row(group, done, stretch, client_id))
    counts["stretch_exercises"] = len({k for (_, k) in groups} - set(others))
    counts["other_exercises"] = len(others)
    counts["other_sets"] = sum(t["sets"] for _, t in others.values())
    for name, tally in sorted(others.values(), key=lambda item: item[0].casefold()):
        record = f"{name} ({_count(tally['sets'], 'set')} in {_count(tally['workouts'], 'workout')})"
        skipped.append({"source": source, "record": record,
                        "reason": EXCLUDED if tally["excluded"] else NOT_A_STRETCH})
    if counts["rest"]:
        skipped.append({"source": source, "record": f"Rest Timer ({counts['rest']} rows)",
                        "reason": "rest between sets, not sets"})
    rows.sort(key=lambda r: (r[col.DATE], r[col.TIME]))
    return WorkoutImportResult(log=canonical_frame(rows), skipped=skipped_frame(skipped), origins=origin_frame(rows),
                               app=app, layout=layout, counts=counts)


def _row(group: list[WorkoutSet], done: list[WorkoutSet], stretch: str, client_id: str) -> dict[str, Any]:
    timed = [s.seconds for s in done if s.seconds]
    counted = [s.reps for s in done if not s.seconds and s.reps]
    notes = list(dict.fromkeys(s.note.strip() for s in group if s.note.strip()))
    hold = None
    if timed:
        reps: int | None = len(timed)
        short = [t for t in timed if t <= MAX_HOLD_S]
        long = [t for t in timed if t > MAX_HOLD_S]
        hold = round(sum(short) / len(short), 1) if short else None
        if long:
            lengths = ", ".join(f"{t:g} s ({t / 60:.1f} min)" for t in long)
            rest = "mean of the others" if short else "left empty"
            notes.append(f"{len(long)} set(s) over {MAX_HOLD_S:.0f} s: {lengths}; hold_s {rest}")
        if counted:
            notes.append(f"also {sum(counted):g} reps in untimed sets")
    elif counted:
        reps = round(sum(counted))
    else:
        reps = None
        notes.append(f"{len(done)} set(s) logged without reps or seconds")
    first = group[0]
    return {
        col.CLIENT_ID: client_id,
        col.DATE: first.start.date(),
        col.TIME: first.start.strftime("%H:%M:%S"),
        col.STRETCH: stretch,
        col.HOLD_S: hold,
        col.REPS: reps,
        col.NOTES: "; ".join(notes) or None,
        col.PLANNED_REST: False,
        ORIGIN: (first.where[0], f"{first.where[1]} {first.exercise.strip()}".strip()),
    }


def _count(n: int, noun: str) -> str:
    """'1 set', '3 sets'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def skipped_frame(records: list[dict[str, str]]) -> pd.DataFrame:
    """Skipped records (dicts) as the importers' skipped table (source, record, reason), text.

    Examples
    --------
    >>> skipped_frame([{"source": "a.csv:2", "record": "line 2", "reason": "no Date"}]).values.tolist()
    [['a.csv:2', 'line 2', 'no Date']]
    """
    return pd.DataFrame(records, columns=SKIPPED_COLUMNS).astype("str")
