"""Import stretching from a Hevy workout-logger CSV export.

Hevy exports one row per set with the header ``title,start_time,end_time,description,
exercise_title,superset_id,exercise_notes,set_index,set_type,weight_kg|weight_lbs,reps,
distance_km|distance_miles,duration_seconds,rpe`` (the unit of weight and distance is in the
column name). Notes are quoted and may span lines. ``start_time`` is written in the phone's
language ("8 Apr 2026, 16:50", "Jul 28, 2026, 6:49 PM", "5 Mai 2026, 07:34"): month names are
read in English, Portuguese, Spanish, French, German and Italian (:mod:`.months`, CLDR data);
another language stops the import with the line and the word it could not read. A workout is
its (title, start_time, end_time); every ``set_type`` (normal, warmup, failure, dropset) is a set.
Which exercises become rows, and how: :mod:`.workouts`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime

from backanalytics.importers.csvfile import header_key, missing_columns, number, read_csv_export
from backanalytics.importers.months import parse_local_datetime
from backanalytics.importers.workouts import SET, WorkoutImportResult, WorkoutSet, workout_result

#: Columns a stretching row needs.
REQUIRED = ["title", "start_time", "exercise_title", "reps", "duration_seconds"]
#: Columns known but not needed by a stretching row (no warning when present).
KNOWN = {"end_time", "description", "superset_id", "exercise_notes", "set_index", "set_type", "weight_kg",
         "weight_lbs", "distance_km", "distance_miles", "rpe"}
SET_TYPES = {"normal", "warmup", "failure", "dropset"}


def import_hevy(
    src: str | os.PathLike[str],
    client_id: str = "me",
    mapping: Mapping[str, str | Sequence[str] | None] | None = None,
) -> WorkoutImportResult:
    """Read the stretching exercises of a Hevy CSV export into the canonical log.

    Parameters
    ----------
    src
        The ``workout_data.csv`` Hevy exports (kg or lb; any supported phone language).
    client_id
        Written on every row; an export belongs to one person.
    mapping
        Exercise title -> stretch, matched ignoring case and spacing; includes, renames or (with
        ``None``) excludes an exercise.

    Returns
    -------
    WorkoutImportResult
        ``log``: one row per (workout, exercise) that is stretching, with the workout's start as
        ``date`` / ``time`` and ``exercise_notes`` as ``notes``; ``skipped``: each other exercise
        once with its counts, and unreadable rows with their line.

    Raises
    ------
    ValueError
        One line: the header lacks a needed column (named), or a ``start_time`` is in a language
        or shape that cannot be read (with its line and value).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "workout_data.csv"
    >>> _ = path.write_text(
    ...     '"title","start_time","end_time","description","exercise_title","superset_id",'
    ...     '"exercise_notes","set_index","set_type","weight_kg","reps","distance_km",'
    ...     '"duration_seconds","rpe"\\n'
    ...     '"Mobilidade","5 Mai 2026, 07:34","5 Mai 2026, 08:00","","Cat-Cow",,"devagar",0,"normal",,10,,,\\n'
    ...     '"Mobilidade","5 Mai 2026, 07:34","5 Mai 2026, 08:00","","Yoga",,"",0,"normal",,,,900,\\n'
    ...     '"Mobilidade","5 Mai 2026, 07:34","5 Mai 2026, 08:00","","Russian Twist",,"",0,"normal",,20,,,\\n')
    >>> result = import_hevy(path)
    >>> result.log[["date", "time", "stretch", "hold_s", "reps", "notes"]].values.tolist()[0]
    [Timestamp('2026-05-05 00:00:00'), '07:34:00', 'Cat-Cow', nan, 10, 'devagar']
    >>> result.log["notes"].iloc[1]
    '1 set(s) over 600 s: 900 s (15.0 min); hold_s left empty'
    >>> result.skipped["record"].tolist()
    ['Russian Twist (1 set in 1 workout)']
    """
    export = read_csv_export(src, "Hevy")
    missing = missing_columns(export, REQUIRED)
    if missing:
        raise ValueError(f"not a Hevy workout export: its header lacks {', '.join(missing)} (header: "
                         f"{','.join(h.strip() for h in export.header)[:200]})")
    keys = [header_key(h) for h in export.header]
    unknown = [h.strip() for h, k in zip(export.header, keys, strict=True) if k not in KNOWN and k not in REQUIRED]
    if unknown:
        warnings.warn(f"{export.name}: column(s) not understood, not read: {', '.join(unknown)}",
                      UserWarning, stacklevel=2)
    at = {key: keys.index(key) for key in keys}
    sets: list[WorkoutSet] = []
    skipped: list[dict[str, str]] = []
    starts: dict[str, datetime] = {}
    for line, fields in export.records:
        where = f"{export.name}:{line}"
        cell = {key: fields[i].strip() if i < len(fields) else "" for key, i in at.items()}
        text = cell["start_time"]
        if text not in starts:
            try:
                starts[text] = parse_local_datetime(text)
            except ValueError as exc:
                raise ValueError(f"{where}: start_time {text!r}: {exc}; export again with the phone set "
                                 "to English (or one of those languages)") from None
        set_type = cell.get("set_type", "normal").casefold() or "normal"
        problem = None if set_type in SET_TYPES else f"unknown set_type {cell['set_type']!r}"
        try:
            reps, seconds = number(cell["reps"]), number(cell["duration_seconds"])
        except ValueError as exc:
            problem = problem or f"reps/duration_seconds: {exc}"
        if not cell["exercise_title"]:
            problem = problem or "no exercise_title"
        if problem:
            skipped.append({"source": where, "record": f"line {line}", "reason": problem})
            continue
        workout = "\x1f".join([cell["title"], text, cell.get("end_time", "")])
        sets.append(WorkoutSet(workout=workout, start=starts[text], exercise=cell["exercise_title"],
                               kind=SET, reps=reps, seconds=seconds, note=cell.get("exercise_notes", ""),
                               where=(where, f"{cell['title']} {text}".strip())))
    layout = "weight in lb" if "weight_lbs" in keys else "weight in kg" if "weight_kg" in keys else ""
    return workout_result(sets, skipped, app="Hevy", layout=layout, client_id=client_id, mapping=mapping,
                          source=export.name)
