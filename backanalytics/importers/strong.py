"""Import stretching from a Strong workout-logger CSV export.

Strong has written several layouts over the years; the layout is recognised from the header
(never from the file name), by the columns' names, so their order does not matter:

* comma, 12 columns: ``Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,
  Seconds,Notes,Workout Notes,RPE``, and its 10-column form without the two notes columns;
* quoted semicolon with a workout number and units in the header: ``"Workout #";"Date";
  "Workout Name";"Duration (sec)";"Exercise Name";"Set Order";"Weight (kg)";"Reps";"RPE";
  "Distance (meters)";"Seconds";"Notes";"Workout Notes"``;
* semicolon with ``Weight Unit`` / ``Distance Unit``, with or without ``Workout Duration``;
* older forms without Duration, or with the unit as the column name (``kg``/``lbs``, ``km``/``mi.``).

``Set Order`` holds set numbers and the tags ``W`` / ``WARM_UP`` (warm-up), ``D`` (drop set), ``F``
/ ``FAILURE`` (failure): all are sets. ``Rest Timer`` rows hold the rest after a set in
``Seconds`` and are not sets; ``Note`` rows carry an exercise note. ``Date`` is the workout's
local start with no zone and is the same on every row of a workout, so a workout that crosses
midnight stays on its start day. Which exercises become rows, and how: :mod:`.workouts`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache

from backanalytics.importers.csvfile import header_key, number, read_csv_export
from backanalytics.importers.workouts import NOTE, REST, SET, WorkoutImportResult, WorkoutSet, workout_result

#: Header key -> the role of the column. Weight, distance, duration and RPE are read by no
#: stretching row but are known, so they raise no warning.
COLUMN_ROLES: dict[str, str] = {
    "date": "date", "workout #": "workout_no", "workout name": "workout",
    "exercise name": "exercise", "set order": "set_order", "reps": "reps", "seconds": "seconds",
    "notes": "notes", "workout notes": "workout_notes",
    "duration": "duration", "duration (sec)": "duration", "workout duration": "duration",
    "weight": "weight", "weight (kg)": "weight", "weight (lbs)": "weight", "weight (lb)": "weight",
    "kg": "weight", "lbs": "weight", "lb": "weight", "weight unit": "weight_unit",
    "distance": "distance", "distance (meters)": "distance", "distance (km)": "distance",
    "distance (miles)": "distance", "km": "distance", "mi.": "distance", "mi": "distance",
    "miles": "distance", "distance unit": "distance_unit", "rpe": "rpe",
}
#: The columns a stretching row needs, by the names Strong gives them.
REQUIRED = {"date": "Date", "exercise": "Exercise Name", "set_order": "Set Order", "reps": "Reps",
            "seconds": "Seconds"}
#: Known layouts (roles in header order) -> a name for the summary.
LAYOUTS: dict[tuple[str, ...], str] = {
    ("date", "workout", "duration", "exercise", "set_order", "weight", "reps", "distance", "seconds",
     "notes", "workout_notes", "rpe"): "comma export, 12 columns",
    ("date", "workout", "duration", "exercise", "set_order", "weight", "reps", "distance", "seconds",
     "rpe"): "comma export, 10 columns",
    ("workout_no", "date", "workout", "duration", "exercise", "set_order", "weight", "reps", "rpe",
     "distance", "seconds", "notes", "workout_notes"): "Workout # export, units in the header",
    ("date", "workout", "exercise", "set_order", "weight", "weight_unit", "reps", "rpe", "distance",
     "distance_unit", "seconds", "notes", "workout_notes", "duration"): "export with unit columns",
    ("date", "workout", "duration", "exercise", "set_order", "weight", "weight_unit", "reps", "rpe",
     "distance", "distance_unit", "seconds", "notes", "workout_notes"): "export with unit columns",
    ("date", "workout", "exercise", "set_order", "weight", "weight_unit", "reps", "distance",
     "distance_unit", "seconds", "notes", "workout_notes"): "export with unit columns, no duration",
    ("date", "workout", "exercise", "set_order", "weight", "reps", "distance", "seconds", "notes",
     "workout_notes"): "older export without duration",
    ("date", "workout", "exercise", "set_order", "weight", "reps", "distance", "seconds", "notes",
     "workout_notes", "duration"): "older export, duration last",
}
#: The roles a log row is built from (the others are only recognised).
_READ = ("date", "workout_no", "exercise", "set_order", "reps", "seconds", "notes")
_WARM_UP_OR_TAG = {"w", "d", "f", "warm_up", "warmup", "failure", "drop_set", "dropset"}
#: A local date and time with no zone: "2024-03-10 07:05:00", "...07:05", "...T07:05:00".
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")


def import_strong(
    src: str | os.PathLike[str],
    client_id: str = "me",
    mapping: Mapping[str, str | Sequence[str] | None] | None = None,
) -> WorkoutImportResult:
    """Read the stretching exercises of a Strong CSV export into the canonical log.

    Parameters
    ----------
    src
        The CSV file Strong exports (any of the layouts in the module notes; UTF-8 with or
        without BOM, LF or CRLF).
    client_id
        Written on every row; an export belongs to one person.
    mapping
        Exercise name -> stretch (``{"Thoracic Extension": "Cat-Cow"}``), matched ignoring case
        and spacing; includes an exercise that is not recognised as stretching, renames one that
        is, or excludes one (``None``).

    Returns
    -------
    WorkoutImportResult
        ``log``: one row per (workout, exercise) that is stretching (:mod:`.workouts`);
        ``skipped``: each other exercise once with its set and workout counts, the rest-timer
        rows, and unreadable rows with their line.

    Raises
    ------
    ValueError
        One line, for a file that is not a Strong export: the header lacks a needed column (named
        in the message), or the file is empty, not UTF-8 or malformed CSV.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "strong.csv"
    >>> _ = path.write_text(
    ...     "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,RPE\\n"
    ...     "2024-03-10 07:05:00,Morning,20m,Cat Cow,1,0,8,0,0,\\n"
    ...     "2024-03-10 07:05:00,Morning,20m,Cat Cow,2,0,8,0,0,\\n"
    ...     "2024-03-10 07:05:00,Morning,20m,Child's Pose,1,0,0,0,30,\\n"
    ...     "2024-03-10 07:05:00,Morning,20m,Child's Pose,Rest Timer,0,0,0,60,\\n"
    ...     "2024-03-10 07:05:00,Morning,20m,Child's Pose,2,0,0,0,40,\\n"
    ...     "2024-03-10 07:05:00,Morning,20m,Bench Press (Barbell),1,60,5,0,0,\\n")
    >>> result = import_strong(path)
    >>> result.log[["date", "time", "stretch", "hold_s", "reps"]]
            date      time       stretch  hold_s  reps
    0 2024-03-10  07:05:00       Cat-Cow     NaN    16
    1 2024-03-10  07:05:00  Child's Pose    35.0     2
    >>> result.skipped[["record", "reason"]].values.tolist()[0]
    ['Bench Press (Barbell) (1 set in 1 workout)', 'not a stretch (include it with --map)']
    """
    export = read_csv_export(src, "Strong")
    roles = [COLUMN_ROLES.get(header_key(h)) for h in export.header]
    missing = [name for role, name in REQUIRED.items() if role not in roles]
    if missing:
        raise ValueError(f"not a Strong export: its header lacks {', '.join(missing)} (header: "
                         f"{export.delimiter.join(h.strip() for h in export.header)[:200]})")
    unknown = [h.strip() for h, r in zip(export.header, roles, strict=True) if r is None]
    if unknown:
        warnings.warn(f"{export.name}: column(s) not understood, not read: {', '.join(unknown)}",
                      UserWarning, stacklevel=2)
    layout = LAYOUTS.get(tuple(roles), "layout read by column names")  # type: ignore[arg-type]
    at = {role: roles.index(role) for role in _READ if role in roles}
    sets: list[WorkoutSet] = []
    skipped: list[dict[str, str]] = []
    for line, fields in export.records:
        where = f"{export.name}:{line}"
        cells = {role: fields[i].strip() if i < len(fields) else "" for role, i in at.items()}
        row = _set(cells)
        if isinstance(row, str):
            skipped.append({"source": where, "record": f"line {line}", "reason": row})
            continue
        workout = f"Workout #{cells['workout_no']}" if cells.get("workout_no") else cells["date"]
        row.workout, row.where = workout, (where, cells["date"])
        sets.append(row)
    return workout_result(sets, skipped, app="Strong", layout=layout, client_id=client_id,
                          mapping=mapping, source=export.name)


def _set(cells: dict[str, str]) -> WorkoutSet | str:
    """One record as a :class:`WorkoutSet`, or why it cannot be read."""
    start = _start(cells["date"])
    if start is None:
        return f"unreadable Date {cells['date']!r} (expected YYYY-MM-DD HH:MM:SS)"
    if not cells["exercise"]:
        return "no Exercise Name"
    order = cells["set_order"].casefold()
    if order == "rest timer":
        kind = REST
    elif order == "note":
        kind = NOTE
    elif re.fullmatch(r"\d+", order) or order in _WARM_UP_OR_TAG:
        kind = SET
    else:
        return f"unknown Set Order {cells['set_order']!r}"
    try:
        reps, seconds = number(cells["reps"]), number(cells["seconds"])
    except ValueError as exc:
        return f"Reps/Seconds: {exc}"
    return WorkoutSet(workout="", start=start, exercise=cells["exercise"], kind=kind,
                      reps=reps if kind == SET else None, seconds=seconds if kind == SET else None,
                      note=cells.get("notes", ""))


@lru_cache(maxsize=4096)  # every row of a workout repeats its Date
def _start(text: str) -> datetime | None:
    if not _DATE.match(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
