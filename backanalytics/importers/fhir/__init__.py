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

import gzip
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import pandas as pd

from backanalytics import columns as col
from backanalytics.importers import ORIGIN, SKIPPED_COLUMNS, ImportResult, canonical_frame, origin_frame
from backanalytics.importers.fhir.export import export_fhir_bundle, write_fhir_bundle
from backanalytics.importers.fhir.fields import (
    LOINC,
    PAIN_CODES,
    SNOMED,
    UCUM,
    _code_label,
    _effective,
    _label,
    _pain_value,
    _subject_id,
    _value_holder,
    score_problem,
)

__all__ = ["LOINC", "PAIN_CODES", "SNOMED", "UCUM", "export_fhir_bundle", "import_fhir", "score_problem",
           "write_fhir_bundle"]

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
