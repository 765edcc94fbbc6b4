"""Headers: match the input's column names to the contract (aliases, units, the user's mapping).

Columns that read as the same canonical column are merged; a column not understood is never
dropped without a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.cells.parse import parse_numbers, present_text
from backanalytics.io import LogReadError
from backanalytics.problems import PROBLEM_COLUMNS, concat


@dataclass
class Renamed:
    """Input columns matched to the contract (the result of :func:`rename_columns`).

    Attributes
    ----------
    frame : the canonical columns found (as read) and ``source_line``, one row per input row.
    factors : unit multiplier per canonical column (``hold_min`` -> 60).
    ignored : (input column, warning) for every column not read, or read as a duplicate.
    conflicts : one problem per row where two columns read as the same canonical column disagree
        (columns ``row, column, value, rule``).
    """

    frame: pd.DataFrame
    factors: dict[str, float]
    ignored: list[tuple[str, str]] = field(default_factory=list)
    conflicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))



#: pandas' name for the second "date" of a header ("date.1").
_MANGLED = re.compile(r"^(?P<base>.*)\.(?P<k>[1-9]\d*)$")


def rename_columns(raw: pd.DataFrame, mapping: Mapping[str, str] | None = None) -> Renamed:
    """Map input headers to canonical names (user mapping, then aliases, case-insensitive).

    A column the user mapping names wins over alias matches for the same canonical column (they
    are ignored with a warning). Other columns that read as the same canonical column (a header
    with ``client_id`` twice, or ``pain`` and ``nprs``) are merged: an empty cell takes the other
    column's value, and a row where both hold different values is rejected (see
    :attr:`Renamed.conflicts`).

    Raises
    ------
    LogReadError
        When a required column is missing.
    """
    user = {C.normalise_header(k): v for k, v in (mapping or {}).items()}
    groups: dict[str, list[tuple[object, float, bool]]] = {}
    ignored: list[tuple[str, str]] = []
    names = {str(c) for c in raw.columns}
    for col in raw.columns:
        if col in C.RESERVED:
            continue
        found = target_of(col, names, user)
        if found is None:
            ignored.append((_short(col), "column not in the contract; ignored"))
        elif found[0] not in C.CANONICAL:
            ignored.append((_short(col), f"mapped to {found[0]!r}, which is not a column of the contract; "
                                         "ignored"))
        else:
            groups.setdefault(found[0], []).append((col, found[1], found[2]))
    missing = [c for c in C.REQUIRED if c not in groups]
    if missing:
        raise LogReadError(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {shown_headers(raw.columns.drop(list(C.RESERVED), errors='ignore'))})"
        )
    out = pd.DataFrame(index=raw.index)
    factors: dict[str, float] = {}
    conflicts: list[pd.DataFrame] = []
    for target, members in groups.items():
        if any(by_user for _, _, by_user in members):
            chosen = [m for m in members if m[2]]
            ignored += [(_short(c), f"not used: the mapping reads {target} from {_short(chosen[0][0])!r}")
                        for c, _, by_user in members if not by_user]
            members = chosen
        (first, factor, _), others = members[0], members[1:]
        out[target], factors[target] = raw[first], factor
        for col, other_factor, _ in others:
            ignored.append((_short(col), f"read as {target} too, like {_short(first)!r}; rows where the two "
                                         "disagree are rejected"))
            merged, problems = _merge_duplicate(out[target], raw[col], factor, other_factor,
                                                _label(first, raw.columns), _label(col, raw.columns))
            out[target] = merged
            conflicts.append(problems.assign(column=target))
    out[C.SOURCE_LINE] = raw[C.SOURCE_LINE]
    if C.SOURCE_FILE in raw:  # several files: cells read per file (e.g. each file's date order)
        out[C.SOURCE_FILE] = raw[C.SOURCE_FILE]
    return Renamed(out, factors, ignored, concat(conflicts, PROBLEM_COLUMNS))


def target_of(col: object, names: set[str], user: Mapping[str, str]) -> tuple[str, float, bool] | None:
    """(canonical name, unit factor, named by the user mapping) for one input header, or None.

    A header pandas renamed to keep names unique (the second ``date`` becomes ``date.1``) is
    matched as the header it was.
    """
    key = C.normalise_header(col)
    mangled = _MANGLED.match(str(col))
    if key not in user and key not in C.ALIASES and key not in C.UNIT_ALIASES and mangled and \
            mangled["base"] in names:
        key = C.normalise_header(mangled["base"])
    if key in user:
        return user[key], 1.0, True
    if key in C.ALIASES:
        return C.ALIASES[key], 1.0, False
    if key in C.UNIT_ALIASES:
        target, factor = C.UNIT_ALIASES[key]
        return target, factor, False
    return None


def _short(name: object, limit: int = 80) -> str:
    """A header as text, shortened for messages."""
    text = str(name)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _label(col: object, columns: pd.Index) -> str:
    """'date' (column 4): a header as the user wrote it, with its position in the file."""
    mangled = _MANGLED.match(str(col))
    name = mangled["base"] if mangled and mangled["base"] in set(map(str, columns)) else str(col)
    return f"{_short(name, 40)!r} (column {columns.get_loc(col) + 1})"


def _merge_duplicate(first: pd.Series, other: pd.Series, factor: float, other_factor: float,
                     first_label: str, other_label: str) -> tuple[pd.Series, pd.DataFrame]:
    """Fill ``first``'s empty cells from ``other``; problems where both hold different values.

    Cells are compared as stripped text, or as numbers in the canonical unit when the two
    columns carry different units (``hold_s`` and ``hold_min``).
    """
    text_a, has_a = present_text(first)
    text_b, has_b = present_text(other)
    if factor == other_factor:
        differ = has_a & has_b & text_a.ne(text_b).fillna(True).astype(bool)
        fill = other
    else:
        a = parse_numbers(first)[0] * factor
        b = parse_numbers(other)[0] * other_factor
        differ = has_a & has_b & ~pd.Series(np.isclose(a, b, rtol=1e-9, atol=0), index=a.index)
        fill = (b / factor).where(b.notna(), other)
    take = ~has_a & has_b
    merged = first.astype(object).where(~take, fill.astype(object)) if take.any() else first
    rows = np.flatnonzero(differ.to_numpy())
    rules = [f"{first_label} and {other_label} disagree (the other holds {str(v)[:40]!r})"
             for v in other.iloc[rows]]
    problems = pd.DataFrame({"row": rows, "column": "", "value": first.iloc[rows].astype(object).to_numpy(),
                             "rule": rules})
    return merged, problems


def shown_headers(headers: pd.Index, limit: int = 8) -> str:
    """Headers for a one-line message: printable, each shortened, at most ``limit`` of them."""
    def show(h: object) -> str:
        text = "".join(ch if ch.isprintable() else "?" for ch in str(h))
        return text if len(text) <= 30 else text[:29] + "..."
    shown = ", ".join(show(h) for h in headers[:limit])
    more = f" and {len(headers) - limit} more" if len(headers) > limit else ""
    return (shown + more) or "none"

