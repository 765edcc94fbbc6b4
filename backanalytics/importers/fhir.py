"""Pain scores in and out of FHIR R4: Observations with LOINC 72514-3 (0-10 numeric rating).

:func:`import_fhir` reads a single Observation, a Bundle (``entry[].resource``), bulk-data
NDJSON (one resource per line, streamed, optionally ``.gz``) or a folder of such files, and
turns each usable pain Observation into a score-only log row. Everything else is reported in
``skipped`` with a reason; nothing is dropped silently. :func:`export_fhir_bundle` goes the
other way, so a log can be handed to a patient portal or an EHR.

Both directions share one rule for the value, :func:`score_problem`: a score is 0 to 10 in
whole or half points. LOINC 72514-3 is an 11-point verbal numeric rating, and people who
cannot choose between two points say "4 or 5", which a log keeps as 4.5; finer fractions
(3.14159) come from broken senders, not from a rating. The export refuses what the import
would reject, so a log exported and read back gives the same scores.

Bulk NDJSON is read line by line with a cap on the line length (:data:`MAX_LINE_BYTES`), and a
``.gz`` file may inflate only so far (:data:`MAX_GZIP_RATIO`, :data:`MIN_GZIP_BUDGET`): memory
stays flat and a gzip bomb is refused with a one-line error.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import re
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import pandas as pd

from backanalytics import columns as col
from backanalytics.importers import ORIGIN, SKIPPED_COLUMNS, ImportResult, canonical_frame, origin_frame

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
#: Codings that mean "0-10 pain score". SNOMED 225908003 "Pain score" is accepted alone
#: because real senders (e.g. VA My HealtheVet) use it without the LOINC code.
PAIN_CODES = {(LOINC, "72514-3"), (SNOMED, "225908003")}
_SYSTEM_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
}
_PAIN_CODE = {
    "coding": [{"system": LOINC, "code": "72514-3",
                "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}],
    "text": "Pain score (0-10)",
}
_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
_VITAL_SIGNS = [
    {"coding": [{"system": _CATEGORY_SYSTEM, "code": "vital-signs", "display": "Vital Signs"}]}
]
#: Statuses that mean "this value does not stand"; other statuses (final, amended,
#: preliminary...) are imported.
REJECTED_STATUSES = {"entered-in-error", "cancelled"}
_NDJSON_SUFFIXES = (".ndjson", ".jsonl", ".ndjson.gz", ".jsonl.gz")
#: Longest NDJSON line read (one resource; real ones are a few kB). Bounds the memory of a line.
MAX_LINE_BYTES = 16 * 1024 * 1024
#: A ``.gz`` may inflate to this many times its size on disk. Bulk FHIR NDJSON compresses about
#: 10-70x (near-identical lines about 250x); deflate's ceiling is about 1000x, so, as for Apple
#: Health zips, 200x stops bombs without refusing real files.
MAX_GZIP_RATIO = 200
#: ...and always to this many bytes, so small, very repetitive files are read too.
MIN_GZIP_BUDGET = 4 * 1024 * 1024
#: Skipped records listed one by one; any further ones are counted in a single row, so a file
#: of millions of broken lines cannot fill memory with reasons.
MAX_LISTED_SKIPS = 10_000
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
# FHIR dateTime: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss)(Z|+hh:mm)
_FHIR_DATETIME = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def import_fhir(
    src: str | os.PathLike[str] | Mapping[str, Any],
    client_id: str | None = None,
    *,
    tz: str | None = None,
) -> ImportResult:
    """Read 0-10 pain scores from FHIR Observations.

    Parameters
    ----------
    src
        A ``.json`` file (one resource or a Bundle), a bulk-data ``.ndjson`` / ``.jsonl`` file
        (optionally gzipped), a folder of those (read recursively, in name order), or an
        already-parsed resource dict.
    client_id
        Overrides the patient: every row gets it. When ``None`` the id comes from
        ``subject.reference`` ("Patient/123" -> "123"); an Observation without one is skipped.
    tz
        IANA zone to express the local date and time in. ``None`` keeps the wall-clock time
        as written with its offset ("...T23:50:50-05:00" is 23:50:50 that day), which is the
        patient's local time when the sender wrote it; pass a zone for servers that store UTC.

    Returns
    -------
    ImportResult
        ``log``: one score-only row per pain Observation (``pain``, ``date``, ``time``,
        ``client_id``, ``notes`` from ``note[].text``). ``skipped``: one row per rejected pain
        Observation or unreadable line, and one row per non-pain code / non-Observation
        resource type with its count.

    Notes
    -----
    A pain Observation has LOINC 72514-3 or SNOMED 225908003 in ``code`` (or in one
    ``component.code``, the value then being the component's). It is skipped when: the status is
    entered-in-error or cancelled; the value is missing, not a number, outside 0-10 or neither a
    whole nor a half point (:func:`score_problem`); ``valueQuantity`` carries a unit other than
    none, ``1``, ``/10``, ``score`` or a UCUM annotation such as ``{score}``; the effective date
    is missing or has no day; no patient can be found. An Observation coded as pain but without a
    value of its own (a panel) takes the value of its one pain component.

    A bulk NDJSON line longer than :data:`MAX_LINE_BYTES`, or a ``.gz`` file inflating past
    ``max(MIN_GZIP_BUDGET, MAX_GZIP_RATIO * its size)``, stops the import with a ``ValueError``.

    Examples
    --------
    >>> obs = {"resourceType": "Observation", "status": "final",
    ...        "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
    ...        "subject": {"reference": "Patient/123"},
    ...        "effectiveDateTime": "2024-03-10T21:15:00-05:00",
    ...        "valueQuantity": {"value": 4, "unit": "{score}"}, "note": [{"text": "after gym"}]}
    >>> row = import_fhir(obs).log.iloc[0]
    >>> row["client_id"], str(row["date"].date()), row["time"], float(row["pain"]), row["notes"]
    ('123', '2024-03-10', '21:15:00', 4.0, 'after gym')
    >>> import_fhir({**obs, "valueQuantity": {"value": 11}}).skipped["reason"].tolist()
    ['pain 11 is outside 0-10']
    >>> float(import_fhir({**obs, "valueQuantity": {"value": 4.5}}).log["pain"].iloc[0])
    4.5
    """
    reader = _Reader(client_id, ZoneInfo(tz) if tz else None)
    reader.read(src)
    return reader.result()


class _Reader:
    """Walks the input and collects rows and skipped records."""

    def __init__(self, client_id: str | None, zone: ZoneInfo | None) -> None:
        self.client_id = client_id
        self.zone = zone
        self.rows: list[dict[str, Any]] = []
        self.skipped: list[dict[str, str]] = []
        self.counts: Counter[tuple[str, str, str]] = Counter()  # (source, record, reason)

    def skip(self, source: str, record: str, reason: str) -> None:
        if len(self.skipped) >= MAX_LISTED_SKIPS:
            self.counts[("(various)", "records", "{n} more skipped records, not listed one by one")] += 1
            return
        self.skipped.append({"source": source, "record": record, "reason": reason})

    def result(self) -> ImportResult:
        counted = [{"source": source, "record": record, "reason": reason.format(n=count)}
                   for (source, record, reason), count in self.counts.items()]
        skipped = pd.DataFrame(self.skipped + counted, columns=SKIPPED_COLUMNS)
        return ImportResult(canonical_frame(self.rows), skipped, origin_frame(self.rows))

    # ---------------------------------------------------------------- input shapes
    def read(self, src: str | os.PathLike[str] | Mapping[str, Any]) -> None:
        if isinstance(src, Mapping):
            self.resource("<dict>", "<dict>", src)
            return
        path = Path(src)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name.lower().endswith((".json", *_NDJSON_SUFFIXES)):
                    self.file(child)
        elif path.is_file():
            self.file(path)
        else:
            raise ValueError(f"{path}: no such file or folder")

    def file(self, path: Path) -> None:
        if path.name.lower().endswith(_NDJSON_SUFFIXES):
            return self.lines(path)
        try:
            text = path.read_bytes().decode("utf-8-sig")
            return self.resource(path.name, path.name, json.loads(text))
        except UnicodeDecodeError as exc:
            return self.skip(path.name, "file", f"not UTF-8 text ({exc.reason})")
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data" and exc.lineno > 1:  # several lines of JSON: NDJSON
                return self.lines(path)
            return self.skip(path.name, "file", f"malformed JSON: {exc}")

    def lines(self, path: Path) -> None:
        """Bulk NDJSON, one resource per line, read line by line (files can be GBs)."""
        for number, raw in _ndjson_lines(path):
            where = f"{path.name}:{number}"
            try:
                line = raw.decode("utf-8").lstrip("\ufeff")
                if line.strip():
                    self.resource(path.name, where, json.loads(line))
            except UnicodeDecodeError as exc:
                self.skip(where, f"line {number}", f"not UTF-8 text ({exc.reason})")
            except json.JSONDecodeError as exc:
                reason = f"malformed JSON: {exc.msg} (column {exc.colno})"
                self.skip(where, f"line {number}", reason)

    def resource(self, source: str, where: str, data: Any) -> None:
        """One parsed JSON value: a Bundle is opened, an Observation read, others counted."""
        if not isinstance(data, Mapping) or not isinstance(data.get("resourceType"), str):
            self.skip(where, "value", "not a FHIR resource (no resourceType)")
            return
        kind = data["resourceType"]
        if kind == "Bundle":
            for index, entry in enumerate(data.get("entry") or []):
                inner = entry.get("resource") if isinstance(entry, Mapping) else None
                if inner is None:
                    self.skip(f"{where} entry[{index}]", "entry", "Bundle entry without a resource")
                else:
                    self.resource(source, f"{where} entry[{index}]", inner)
        elif kind != "Observation":
            self.counts[(source, kind, "{n} " + kind + " resource(s), not Observations")] += 1
        else:
            self.observation(source, where, data)

    # ---------------------------------------------------------------- one Observation
    def observation(self, source: str, where: str, obs: Mapping[str, Any]) -> None:
        holder = _value_holder(obs)
        if isinstance(holder, str):
            return self.skip(where, _label(obs), holder)
        if holder is None:
            code = _code_label(obs.get("code"))
            self.counts[(source, code, "{n} non-pain Observation(s)")] += 1
            return None
        record = _label(obs)
        status = obs.get("status")
        if status in REJECTED_STATUSES:
            return self.skip(where, record, f"status is {status}")
        pain = _pain_value(holder)
        if isinstance(pain, str):
            return self.skip(where, record, pain)
        when = _effective(obs, self.zone)
        if isinstance(when, str):
            return self.skip(where, record, when)
        patient = self.client_id or _subject_id(obs.get("subject"))
        if not patient:
            return self.skip(where, record, "no Patient in subject.reference; pass client_id=")
        notes = [n.get("text") for n in obs.get("note") or [] if isinstance(n, Mapping)]
        notes = [text for text in notes if isinstance(text, str) and text.strip()]
        self.rows.append({
            col.CLIENT_ID: patient,
            col.DATE: when[0],
            col.TIME: when[1],
            col.PAIN: pain,
            col.NOTES: "; ".join(notes) if notes else None,
            ORIGIN: (where, record),
        })
        return None


# ------------------------------------------------------------------------- NDJSON lines


def _ndjson_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes) of each line of a plain or gzipped NDJSON file, metered.

    Memory is one line at most (:data:`MAX_LINE_BYTES`); a ``.gz`` stops inflating at its
    budget. Both limits raise a one-line ``ValueError``, as does a damaged gzip stream.
    """
    packed = path.name.lower().endswith(".gz")
    budget = max(MIN_GZIP_BUDGET, MAX_GZIP_RATIO * path.stat().st_size) if packed else None
    opener = gzip.open if packed else open
    try:
        with opener(path, "rb") as handle:
            yield from _metered(handle, path.name, budget)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path.name}: damaged gzip data ({exc or type(exc).__name__})") from None


def _metered(handle: IO[bytes], name: str, budget: int | None) -> Iterator[tuple[int, bytes]]:
    """Read ``handle`` line by line, refusing over-long lines and inflation past ``budget``.

    ``budget`` is ``None`` for a plain file, whose size on disk already bounds the work.
    """
    total = 0
    number = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        total += len(raw)
        if budget is not None and total > budget:
            raise ValueError(
                f"{name}: inflates past {budget:,} bytes ({MAX_GZIP_RATIO}x its size); refusing a "
                "possible gzip bomb (decompress it yourself if it is a real export)"
            )
        if len(raw) > MAX_LINE_BYTES:
            hint = "a possible gzip bomb" if budget is not None else "a pretty-printed or binary file"
            raise ValueError(
                f"{name}: line {number} is longer than {MAX_LINE_BYTES:,} bytes; bulk FHIR NDJSON has "
                f"one resource per line (is this {hint}?)"
            )
        yield number, raw


# ------------------------------------------------------------------------- field readers


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, Mapping):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, Mapping)]


def _is_pain(concept: Any) -> bool:
    """True when any coding is LOINC 72514-3 or SNOMED 225908003."""
    for coding in _codings(concept):
        system = coding.get("system")
        if (_SYSTEM_ALIASES.get(system, system), coding.get("code")) in PAIN_CODES:
            return True
    return False


def _code_label(concept: Any) -> str:
    """'system|code display' of the first coding, for the aggregated skipped row."""
    codings = _codings(concept)
    if not codings:
        text = concept.get("text") if isinstance(concept, Mapping) else None
        return f"code text {text!r}" if text else "(no code)"
    first = codings[0]
    display = f" {first['display']}" if first.get("display") else ""
    return f"{first.get('system', '')}|{first.get('code', '')}{display}"


def _label(obs: Mapping[str, Any]) -> str:
    return f"Observation/{obs.get('id', '?')}"


def _value_holder(obs: Mapping[str, Any]) -> Mapping[str, Any] | str | None:
    """The element that carries the pain value: the Observation itself or its one pain component.

    ``None`` for a non-pain Observation; a reason (str) when two components could be the score.
    A pain-coded Observation with a value of its own uses it; without one (a panel, whose value
    FHIR puts in ``component``) the pain component is read.
    """
    coded = _is_pain(obs.get("code"))
    if coded and any(key.startswith("value") for key in obs):
        return obs
    components = obs.get("component")
    components = components if isinstance(components, list) else []
    parts = [c for c in components if isinstance(c, Mapping) and _is_pain(c.get("code"))]
    if len(parts) > 1:
        return f"{len(parts)} pain components, ambiguous"
    if parts:
        return parts[0]
    return obs if coded else None


def _score_unit(unit: Any) -> bool:
    """No unit, ``1``, ``/10``, ``score`` or a bare UCUM annotation (``{score}``: annotations mean 1)."""
    if unit is None:
        return True
    text = str(unit).strip()
    return text.casefold() in {"", "1", "/10", "score"} or re.fullmatch(r"\{[^{}]*\}", text) is not None


def score_problem(value: float) -> str | None:
    """Why ``value`` is not a 0-10 pain score in whole or half points, or ``None`` when it is.

    The one rule for both :func:`import_fhir` and :func:`export_fhir_bundle`.

    Examples
    --------
    >>> [score_problem(v) for v in (0, 4.5, 10)]
    [None, None, None]
    >>> score_problem(3.14159)
    'pain 3.14159 is not a whole or half point on the 0-10 scale'
    >>> score_problem(11)
    'pain 11 is outside 0-10'
    """
    if not 0 <= value <= 10:
        return f"pain {value:g} is outside 0-10"
    if not float(value * 2).is_integer():
        # An 11-point rating read as "between 4 and 5" is 4.5; 3.14159 is a broken sender.
        return f"pain {value:g} is not a whole or half point on the 0-10 scale"
    return None


def _pain_value(holder: Mapping[str, Any]) -> float | str:
    """The 0-10 value of an Observation or component, or why there is none."""
    if "valueInteger" in holder:
        value = holder["valueInteger"]
    elif isinstance(holder.get("valueQuantity"), Mapping):
        quantity = holder["valueQuantity"]
        value = quantity.get("value")
        for key in ("code", "unit"):
            if not _score_unit(quantity.get(key)):
                return f"unit {quantity[key]!r} is not a 0-10 score"
        if quantity.get("comparator"):
            return f"value has a comparator {quantity['comparator']!r}, not an exact score"
    elif "dataAbsentReason" in holder:
        return f"no value (dataAbsentReason {_code_label(holder['dataAbsentReason'])})"
    else:
        kinds = [key for key in holder if key.startswith("value")]
        return f"no numeric value ({kinds[0]})" if kinds else "no value"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"value {value!r} is not a number"
    return score_problem(value) or float(value)


def _effective(obs: Mapping[str, Any], zone: ZoneInfo | None) -> tuple[date, str | None] | str:
    """Local (date, "HH:MM:SS" or None) of effectiveDateTime / Instant / Period.start."""
    period = obs.get("effectivePeriod")
    text = (
        obs.get("effectiveDateTime")
        or obs.get("effectiveInstant")
        or (period.get("start") if isinstance(period, Mapping) else None)
    )
    if not text:
        return "no effective date (effectiveDateTime or effectivePeriod.start)"
    match = _FHIR_DATETIME.match(str(text).strip())
    if not match:
        return f"unreadable effective date {text!r}"
    year, month, day, hour, minute, second, offset = match.groups()
    if day is None:
        return f"effective date {text!r} has no day"
    try:
        if hour is None:
            return date(int(year), int(month), int(day)), None
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
        if offset is not None and zone is not None:
            written = datetime.fromisoformat(f"{moment.isoformat()}{offset.replace('Z', '+00:00')}")
            moment = written.astimezone(zone)
    except ValueError as exc:
        return f"impossible effective date {text!r} ({exc})"
    return moment.date(), moment.strftime("%H:%M:%S")


def _subject_id(subject: Any) -> str | None:
    """'Patient/123', '.../Patient/123/_history/2' or 'urn:uuid:abc' -> the id."""
    if not isinstance(subject, Mapping):
        return None
    reference = str(subject.get("reference") or "")
    match = re.search(r"(?:^|/)Patient/([^/]+)", reference)
    if match:
        return match.group(1)
    if reference.startswith("urn:uuid:"):
        return reference.removeprefix("urn:uuid:")
    identifier = subject.get("identifier")
    if isinstance(identifier, Mapping) and identifier.get("value"):
        return str(identifier["value"])
    return None


# ------------------------------------------------------------------------- export


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
