"""Reading one FHIR Observation: is it a 0-10 pain score, its value, when, and whose.

One rule for the value serves import and export alike: :func:`score_problem`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

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
# FHIR dateTime: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss)(Z|+hh:mm)
_FHIR_DATETIME = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)



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
