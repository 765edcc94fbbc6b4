"""Pain scores out to FHIR R4: a ``collection`` Bundle of Observations (LOINC 72514-3)."""

from __future__ import annotations

import copy
import json
import os
import re
import uuid
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from backanalytics import columns as col
from backanalytics.importers.fhir.fields import LOINC, UCUM, score_problem

_PAIN_CODE = {
    "coding": [{"system": LOINC, "code": "72514-3",
                "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}],
    "text": "Pain score (0-10)",
}
_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
_VITAL_SIGNS = [
    {"coding": [{"system": _CATEGORY_SYSTEM, "code": "vital-signs", "display": "Vital Signs"}]}
]
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def export_fhir_bundle(
    log: pd.DataFrame, client_id: str, *, tz: str | None = None
) -> dict[str, Any]:
    """Build a FHIR R4 ``collection`` Bundle of pain Observations from a canonical log.

    Parameters
    ----------
    log
        Canonical log. Rows of ``client_id`` (all rows if there is no ``client_id`` column)
        with a non-null ``pain`` become one Observation each; other scores are not exported.
    client_id
        Becomes ``subject.reference = "Patient/<client_id>"``, so it must be a valid FHIR id
        (letters, digits, ``-`` and ``.``, at most 64).
    tz
        IANA zone of the log's local times. FHIR requires an offset on a time of day; ``None``
        uses this computer's zone. Rows without a time are exported as a date only.

    Returns
    -------
    dict
        JSON-ready Bundle: one Observation per logged score, with status final, category
        vital-signs, LOINC 72514-3, ``effectiveDateTime``, ``valueQuantity`` in ``{score}`` (the
        score as logged: 6 or 4.5) and ``note`` from ``notes``. Ids are UUIDs derived from the
        content, so re-exports are identical.

    Raises
    ------
    ValueError
        For an invalid or unknown ``client_id``, or a score :func:`import_fhir` would reject
        (outside 0-10, or a fraction other than a half point such as 4.7): the export writes only
        what reads back unchanged, so round such scores in the log first.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["anna"], "date": pd.to_datetime(["2024-03-10"]),
    ...                     "time": ["08:30:00"], "pain": [6.0], "notes": [None]})
    >>> bundle = export_fhir_bundle(log, "anna", tz="Europe/Berlin")
    >>> obs = bundle["entry"][0]["resource"]
    >>> obs["effectiveDateTime"], obs["valueQuantity"]["value"], obs["subject"]["reference"]
    ('2024-03-10T08:30:00+01:00', 6, 'Patient/anna')
    """
    if not _FHIR_ID.match(client_id):
        raise ValueError(
            f"client_id {client_id!r} is not a valid FHIR id (letters, digits, '-', '.'; "
            "at most 64 characters); rename the client or map it to one"
        )
    rows = log
    if col.CLIENT_ID in log.columns:
        rows = log[log[col.CLIENT_ID].astype("str") == client_id]
        if rows.empty:
            known = ", ".join(sorted(map(str, log[col.CLIENT_ID].dropna().unique()))[:10])
            raise ValueError(f"no rows for client {client_id!r} in the log (clients: {known})")
    rows = rows[rows[col.PAIN].notna()].copy()
    _refuse_unreadable_scores(rows)
    rows["_day"] = pd.to_datetime(rows[col.DATE]).dt.date
    order = ["_day", col.TIME] if col.TIME in rows.columns else ["_day"]
    rows = rows.sort_values(order, kind="stable")
    zone = ZoneInfo(tz) if tz else None
    entries = []
    for number, record in enumerate(rows.to_dict("records")):
        effective = _effective_text(record["_day"], record.get(col.TIME), zone)
        value = float(record[col.PAIN])
        key = f"backanalytics/{client_id}/{effective}/{number}"
        ident = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "id": ident,
            "status": "final",
            "category": copy.deepcopy(_VITAL_SIGNS),
            "code": copy.deepcopy(_PAIN_CODE),
            "subject": {"reference": f"Patient/{client_id}"},
            "effectiveDateTime": effective,
            "valueQuantity": {"value": int(value) if value.is_integer() else value,
                              "unit": "{score}", "system": UCUM, "code": "{score}"},
        }
        note = record.get(col.NOTES)
        if isinstance(note, str) and note.strip():
            obs["note"] = [{"text": note}]
        entries.append({"fullUrl": f"urn:uuid:{ident}", "resource": obs})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _refuse_unreadable_scores(rows: pd.DataFrame) -> None:
    """Raise when a score would not read back through :func:`import_fhir` (see :func:`score_problem`)."""
    problems = [(day, score_problem(float(value))) for day, value in zip(rows[col.DATE], rows[col.PAIN], strict=True)]
    problems = [(day, problem) for day, problem in problems if problem]
    if problems:
        day, problem = problems[0]
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        raise ValueError(
            f"{problem} ({pd.Timestamp(day).date()}){more}: scores are exported in whole or half points "
            "so they read back unchanged; round them in the log first, e.g. "
            "log['pain'] = (log['pain'] * 2).round() / 2"
        )


def write_fhir_bundle(
    log: pd.DataFrame, client_id: str, path: str | os.PathLike[str], *, tz: str | None = None
) -> Path:
    """Write :func:`export_fhir_bundle` to ``path`` as UTF-8 JSON and return the path.

    Examples
    --------
    >>> import tempfile
    >>> from backanalytics.importers.fhir import import_fhir
    >>> log = pd.DataFrame({"client_id": ["anna"], "date": pd.to_datetime(["2024-03-10"]),
    ...                     "pain": [3.0]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_fhir_bundle(log, "anna", Path(tmp) / "pain.json")
    ...     import_fhir(out).log["pain"].tolist()
    [3.0]
    """
    out = Path(path)
    bundle = export_fhir_bundle(log, client_id, tz=tz)
    out.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def _effective_text(day: date, clock: Any, zone: ZoneInfo | None) -> str:
    """FHIR dateTime: a bare date, or the local time with its (DST-correct) offset."""
    if not isinstance(clock, str) or not clock.strip():
        return day.isoformat()
    moment = datetime.combine(day, time.fromisoformat(clock.strip()))
    # naive.astimezone() reads the naive time as this computer's local time, DST included.
    aware = moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()
    return aware.isoformat(timespec="seconds")
