"""Repeated entries: found on the typed values, kept with a warning (never merged)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.cells.column import Parsed
from backanalytics.cells.log import ParsedLog
from backanalytics.problems import concat, objects

#: Duplicate keys: a stretch row repeats when all of these match; a score-only row (no stretch)
#: when client, date and time match.
DUPLICATE_KEYS = [C.CLIENT_ID, C.DATE, C.TIME, C.STRETCH, C.SIDE]
SCORE_DUPLICATE_KEYS = [C.CLIENT_ID, C.DATE, C.TIME]


def _duplicates(parsed: ParsedLog, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(repeated stretch rows, repeated score-only rows) among ``rows`` (default: all rows).

    Every repeat after the first is returned. Both kinds are found in one pass: a score-only row
    has no stretch, so it never matches a stretch row, and its side is left out of its key.
    """
    stretch = parsed.columns[C.STRETCH]
    has_stretch = stretch.values.notna().to_numpy()[stretch.codes if rows is None else stretch.codes[rows]]
    keys = []
    for name in DUPLICATE_KEYS:
        codes, size = _value_codes(parsed.columns[name], rows, in_order=name != C.CLIENT_ID)
        if name == C.SIDE:
            codes *= has_stretch
        keys.append((codes, size))
    repeated = _repeated(keys)
    positions = np.arange(len(has_stretch)) if rows is None else rows
    return positions[repeated & has_stretch], positions[repeated & ~has_stretch]


def _value_codes(parsed: Parsed, rows: np.ndarray | None, in_order: bool) -> tuple[np.ndarray, int]:
    """Per row, a code >= 0 for its typed value (equal values, equal codes; 0 for a missing one).

    With ``in_order`` codes follow the values' order, else their first appearance: either way a
    log sorted by client (in any order) and then date and time gets increasing keys.
    """
    codes, uniques = pd.factorize(parsed.values, sort=in_order, use_na_sentinel=True)
    table = (codes + 1).astype(np.min_scalar_type(len(uniques) + 1))  # small codes: less memory to fill
    return table[parsed.codes if rows is None else parsed.codes[rows]], len(uniques) + 1


def _repeated(keys: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Mask of the rows whose key columns all equal those of an earlier row (``duplicated``).

    The keys are combined into one integer and sorted (stably, so the first of equal keys is
    the earliest row); a log already in key order, the usual case, needs no sort at all.
    """
    combined, span = keys[0][0].astype(np.int64), keys[0][1]
    for codes, size in keys[1:]:
        if span * size >= 2**62:  # too many combinations for one integer: let pandas combine them
            return pd.DataFrame({i: c for i, (c, _) in enumerate(keys)}).duplicated(keep="first").to_numpy()
        combined *= size
        combined += codes
        span *= size
    repeated = np.zeros(len(combined), dtype=bool)
    if len(combined) < 2:
        return repeated
    if (combined[1:] >= combined[:-1]).all():
        repeated[1:] = combined[1:] == combined[:-1]
        return repeated
    order = np.argsort(combined, kind="stable")
    ordered = combined[order]
    repeated[order[1:][ordered[1:] == ordered[:-1]]] = True
    return repeated



def duplicate_warnings(parsed: ParsedLog, rows: np.ndarray | None) -> pd.DataFrame:
    """Warnings for valid ``rows`` (None: all) that repeat an earlier valid row (kept, never merged)."""
    client = parsed.columns[C.CLIENT_ID]
    parts = []
    for found, text in zip(_duplicates(parsed, rows), [
            "duplicate entry (same client, date, time, stretch, side); kept",
            "duplicate score-only entry (same client, date, time); kept"], strict=True):
        parts.append(pd.DataFrame({"row": found, "column": "row",
                                   "value": objects(client.rows(found)), "warning": text}))
    return concat(parts, ["row", "column", "value", "warning"]).sort_values("row", kind="stable")

