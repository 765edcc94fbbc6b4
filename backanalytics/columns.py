"""The one column vocabulary every part of backanalytics speaks.

The canonical log has one row per stretch performed, or a score-only row (a day's
pain / flexibility without a stretch), or a planned rest day imported from a habit app.
Every loader, importer, metric, plot and report uses these names and nothing else.
"""

from __future__ import annotations

CLIENT_ID = "client_id"
DATE = "date"
TIME = "time"
STRETCH = "stretch"
HOLD_S = "hold_s"
REPS = "reps"
SIDE = "side"
PAIN = "pain"
PAIN_AFTER = "pain_after"
FLEXIBILITY = "flexibility"
REACH_CM = "reach_cm"
NOTES = "notes"
PLANNED_REST = "planned_rest"

#: Canonical columns in their canonical order.
CANONICAL = [
    CLIENT_ID,
    DATE,
    TIME,
    STRETCH,
    HOLD_S,
    REPS,
    SIDE,
    PAIN,
    PAIN_AFTER,
    FLEXIBILITY,
    REACH_CM,
    NOTES,
    PLANNED_REST,
]

#: Columns that must be present in any input (after alias matching).
REQUIRED = [CLIENT_ID, DATE]

#: The 0-10 self-rated scores.
RATINGS = [PAIN, PAIN_AFTER, FLEXIBILITY]
#: Every outcome score, in report order.
SCORES = [PAIN, FLEXIBILITY, REACH_CM, PAIN_AFTER]

SIDES = ["left", "right", "both"]

#: Extra columns carried next to the canonical ones in validation reports.
SOURCE_LINE = "source_line"
#: Raw column holding the cells of a CSV row beyond its header (the row is then rejected).
EXTRA_FIELDS = "_extra_fields"
#: Raw column naming the Excel sheet of each row (workbooks with several log sheets).
SHEET = "sheet"
#: Raw column naming the list of each record (a JSON object holding several lists of records).
RECORD_LIST = "record_list"
#: Raw column naming the file of each row (several files read at once).
SOURCE_FILE = "source_file"
#: Raw column holding, per row, "" or the problem of a cell the reader could not take (an Excel
#: error cell, a formula without a saved value); the row is then rejected with that text.
CELL_ERRORS = "cell_errors"
#: Column names the readers add to a raw table. An input column of the same name is renamed
#: ``"<name> (input)"`` when the file is read, so it is neither overwritten nor misread.
RESERVED = (SOURCE_LINE, EXTRA_FIELDS, SHEET, RECORD_LIST, SOURCE_FILE, CELL_ERRORS)

#: Sheets of the fill-in template (``backanalytics template``) that hold no log: its programme and
#: its instructions. A reader may skip them without a warning (they never hold log rows).
TEMPLATE_SHEETS = ("Programme", "How to fill this in")

#: Input column name (lower-cased, spaces/hyphens/dots -> underscores) -> canonical name.
#: Unit-bearing aliases are converted by :data:`UNIT_ALIASES`.
ALIASES: dict[str, str] = {
    # client
    "client": CLIENT_ID, "clientid": CLIENT_ID, "client_id": CLIENT_ID, "patient": CLIENT_ID,
    "patient_id": CLIENT_ID, "user": CLIENT_ID, "user_id": CLIENT_ID, "person": CLIENT_ID,
    "subject": CLIENT_ID, "subject_id": CLIENT_ID, "id": CLIENT_ID,
    # date / time
    "date": DATE, "day": DATE, "datetime": DATE, "timestamp": DATE, "session_date": DATE,
    "when": DATE, "time": TIME, "session_time": TIME,
    # stretch
    "stretch": STRETCH, "exercise": STRETCH, "stretch_name": STRETCH, "exercise_name": STRETCH,
    "activity": STRETCH, "pose": STRETCH, "movement": STRETCH,
    # dose
    "hold_s": HOLD_S, "hold": HOLD_S, "hold_seconds": HOLD_S, "hold_sec": HOLD_S,
    "hold_secs": HOLD_S, "duration_s": HOLD_S, "duration_sec": HOLD_S, "duration_seconds": HOLD_S,
    "seconds": HOLD_S, "hold_time": HOLD_S, "duration": HOLD_S,
    "reps": REPS, "rep": REPS, "repetitions": REPS, "repeats": REPS, "sets": REPS, "count": REPS,
    "side": SIDE, "laterality": SIDE,
    # scores
    "pain": PAIN, "pain_score": PAIN, "pain_before": PAIN, "nprs": PAIN, "pain_level": PAIN,
    "pain_rating": PAIN, "pain_0_10": PAIN, "vas": PAIN,
    "pain_after": PAIN_AFTER, "pain_post": PAIN_AFTER, "post_pain": PAIN_AFTER,
    "pain_after_session": PAIN_AFTER, "nprs_after": PAIN_AFTER,
    "flexibility": FLEXIBILITY, "flex": FLEXIBILITY, "flexibility_score": FLEXIBILITY,
    "stiffness_inverse": FLEXIBILITY, "mobility": FLEXIBILITY,
    "reach_cm": REACH_CM, "reach": REACH_CM, "sit_and_reach": REACH_CM,
    "sit_and_reach_cm": REACH_CM, "fingertip_to_floor_cm": REACH_CM, "reach_distance": REACH_CM,
    # free text
    "notes": NOTES, "note": NOTES, "comment": NOTES, "comments": NOTES, "remarks": NOTES,
    "planned_rest": PLANNED_REST, "rest_day": PLANNED_REST,
}

#: Aliases that carry a unit: input name -> (canonical name, multiplier to canonical unit).
UNIT_ALIASES: dict[str, tuple[str, float]] = {
    "hold_min": (HOLD_S, 60.0),
    "hold_minutes": (HOLD_S, 60.0),
    "duration_min": (HOLD_S, 60.0),
    "duration_minutes": (HOLD_S, 60.0),
    "minutes": (HOLD_S, 60.0),
    "hold_ms": (HOLD_S, 0.001),
    "reach_in": (REACH_CM, 2.54),
    "reach_inches": (REACH_CM, 2.54),
    "sit_and_reach_in": (REACH_CM, 2.54),
    "reach_mm": (REACH_CM, 0.1),
}


def normalise_header(name: object) -> str:
    """Lower-case a header and turn spaces, hyphens, dots and slashes into underscores.

    Examples
    --------
    >>> normalise_header(" Hold Seconds ")
    'hold_seconds'
    >>> normalise_header("Pain (0-10)")
    'pain_0_10'
    """
    text = str(name).replace("\ufeff", "").strip().lower()
    out = []
    for ch in text:
        out.append(ch if ch.isalnum() else "_")
    squashed = "_".join(part for part in "".join(out).split("_") if part)
    return squashed
