"""Which input column means what in an assessments table (or a log carrying totals).

An assessments table names ``client_id``, ``date``, ``instrument`` and the item answers
(``item_1`` ... ``item_24``, also ``q1``, ``question 1``, ``section_1``) and/or a ``score``. A log
may instead carry totals in columns ``odi``, ``rmdq`` and ``psfs`` beside the pain score: each
filled cell is then one questionnaire (see :func:`log_totals`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from backanalytics import columns as C
from backanalytics.cells.parse import present_text
from backanalytics.instruments import LOG_TOTAL_COLUMNS, MAX_ITEMS

INSTRUMENT = "instrument"
SCORE = "score"
ITEMS_ANSWERED = "items_answered"
ACTIVITIES = "activities"

#: The scores table: one row per scored questionnaire.
SCORE_COLUMNS = [C.CLIENT_ID, C.DATE, INSTRUMENT, SCORE, ITEMS_ANSWERED, ACTIVITIES]

_OWN: dict[str, str] = {
    **{k: INSTRUMENT for k in ("instrument", "questionnaire", "measure", "outcome_measure", "scale",
                               "tool", "form", "assessment", "test", "prom", "instrument_name")},
    **{k: SCORE for k in ("score", "total", "total_score", "sum", "result", "score_total", "raw_score")},
}
_ITEM = re.compile(r"^(?:item|q|question|section|statement|i|activity_score|rating)_?(\d{1,3})$")
_ACTIVITY = re.compile(r"^activity_?(\d)(?:_name|_text)?$")
_KEYS = {k for k, v in C.ALIASES.items() if v in (C.CLIENT_ID, C.DATE)}
#: The reader's name for the second of two equal headers ("score.1").
_MANGLED = re.compile(r"^(?P<base>.*)\.(?P<k>[1-9]\d*)$")


def item_column(k: int) -> str:
    """The canonical name of item ``k`` (1-based): ``item_k``."""
    return f"item_{k}"


def activity_column(k: int) -> str:
    """The canonical name of PSFS activity text ``k`` (1-based): ``activity_k``."""
    return f"activity_{k}"


@dataclass
class Headers:
    """Input columns grouped by what they mean."""

    targets: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    log_mode: bool = False


def match_headers(columns: pd.Index, mapping: Mapping[str, str] | None = None) -> Headers:
    """Group input columns by canonical name; note the ones not understood.

    Examples
    --------
    >>> h = match_headers(pd.Index(["Patient ID", "Date", "Questionnaire", "Q1", "Total", "colour"]))
    >>> h.targets, h.ignored, h.log_mode
    ({'client_id': ['Patient ID'], 'date': ['Date'], 'instrument': ['Questionnaire'], \
'item_1': ['Q1'], 'score': ['Total']}, ['colour'], False)
    """
    user = {C.normalise_header(k): v for k, v in (mapping or {}).items()}
    found: dict[str, list[str]] = {}
    totals: dict[str, list[str]] = {}
    other: list[str] = []
    names = {str(c) for c in columns}
    for col in columns:
        if col in C.RESERVED:
            continue
        key = C.normalise_header(col)
        target = user.get(key) or _target(key)
        mangled = _MANGLED.match(str(col))
        if target is None and key not in LOG_TOTAL_COLUMNS and mangled and mangled["base"] in names:
            # a header written twice ("score", "score.1" as read): the same column, merged
            key = C.normalise_header(mangled["base"])
            target = user.get(key) or _target(key)
        if target is None and key in LOG_TOTAL_COLUMNS:
            totals.setdefault("total:" + LOG_TOTAL_COLUMNS[key], []).append(str(col))
        elif target is None:
            other.append(str(col))
        else:
            found.setdefault(target, []).append(str(col))
    log_mode = INSTRUMENT not in found and bool(totals)
    if log_mode:
        # A log: its own columns (stretch, pain ...) belong to the log, not to the questionnaires.
        keep = {k: v for k, v in found.items() if k in (C.CLIENT_ID, C.DATE)}
        return Headers({**keep, **totals}, [], True)
    return Headers(found, other + [c for cols in totals.values() for c in cols], False)


def _target(key: str) -> str | None:
    if key in _KEYS:
        return C.ALIASES[key]
    if key in _OWN:
        return _OWN[key]
    if m := _ITEM.match(key):
        k = int(m.group(1))
        return item_column(k) if 1 <= k <= MAX_ITEMS else None
    if m := _ACTIVITY.match(key):
        k = int(m.group(1))
        return activity_column(k) if 1 <= k <= 5 else None
    return None


def merged(raw: pd.DataFrame, names: list[str]) -> tuple[pd.Series, pd.Series]:
    """One column from the input columns ``names`` meaning the same thing.

    Returns the cells (the first column's, an empty cell filled from the next) and a mask of
    rows where two of them hold different values.
    """
    cells = raw[names[0]].reset_index(drop=True)
    clash = pd.Series(False, index=cells.index)
    if len(names) == 1:
        return cells, clash
    text, present = present_text(cells)
    for name in names[1:]:
        other = raw[name].reset_index(drop=True)
        other_text, other_present = present_text(other)
        clash |= present & other_present & (text != other_text).fillna(True)
        cells = cells.where(present, other)
        text, present = text.where(present, other_text), present | other_present
    return cells, clash.astype(bool)


def log_totals(raw: pd.DataFrame, headers: Headers) -> pd.DataFrame:
    """A log's ``odi`` / ``rmdq`` / ``psfs`` cells as one questionnaire row each.

    Rows come out in the log's order (by line, then ODI, RMDQ, PSFS), each keeping its line.

    Examples
    --------
    >>> raw = pd.DataFrame({"client_id": ["a", "a"], "date": ["2026-01-05", "2026-01-06"],
    ...                     "pain": [5, 4], "ODI": ["32", ""], "source_line": [2, 3]})
    >>> log_totals(raw, match_headers(raw.columns))[["client_id", "instrument", "score", "source_line"]]
      client_id instrument score  source_line
    0         a        ODI    32            2
    """
    parts = []
    for key, names in headers.targets.items():
        if not key.startswith("total:"):
            continue
        cells, clash = merged(raw, names)
        _, present = present_text(cells)
        rows = (present | clash).to_numpy()
        part = pd.DataFrame({
            C.CLIENT_ID: _column(raw, headers, C.CLIENT_ID)[rows].to_numpy(),
            C.DATE: _column(raw, headers, C.DATE)[rows].to_numpy(),
            INSTRUMENT: key.removeprefix("total:"), SCORE: cells[rows].to_numpy(),
            C.SOURCE_LINE: raw[C.SOURCE_LINE].to_numpy()[rows],
            "_clash": [" and ".join(repr(n) for n in names)] * int(rows.sum()) if len(names) > 1 else "",
        })
        part["_clash"] = part["_clash"].where(clash[rows].to_numpy(), "")
        part["_order"] = ["ODI", "RMDQ", "PSFS"].index(key.removeprefix("total:"))
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values([C.SOURCE_LINE, "_order"], kind="stable").drop(columns="_order")
    return table.reset_index(drop=True)


def _column(raw: pd.DataFrame, headers: Headers, target: str) -> pd.Series:
    names = headers.targets.get(target)
    return merged(raw, names)[0] if names else pd.Series([None] * len(raw), dtype=object)
