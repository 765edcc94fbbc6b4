"""What every reader shares: the error type, the limits, and the names it gives columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from backanalytics.columns import ALIASES, CANONICAL, RESERVED, normalise_header

#: A warning about part of an input left out or read specially: (column, value, warning).
ReadWarning = tuple[str, str, str]

#: Most columns a log may have: Excel's own limit (column XFD). A wider header is refused before
#: it is parsed, so a file of delimiters cannot take minutes and gigabytes.
MAX_COLUMNS = 16_384
#: Longest physical line of a text log (8 MiB). A 200,000-character note is far inside it.
MAX_LINE_BYTES = 8 * 1024 * 1024
#: Largest JSON log (its parsed objects take about ten times the text); bigger logs: CSV or Parquet.
MAX_JSON_BYTES = 256 * 1024 * 1024


class LogReadError(ValueError):
    """The input cannot be read at all (missing, unknown format, garbage, no header...)."""


def check_columns(n: int, name: str, where: str = "the header") -> None:
    """Refuse ``n`` columns beyond :data:`MAX_COLUMNS`, with one line that says what to do.

    Examples
    --------
    >>> check_columns(3, "log.csv")
    >>> try:
    ...     check_columns(20_000, "log.csv")
    ... except LogReadError as exc:
    ...     print(str(exc)[:46])
    log.csv: the header has 20,000 columns; a log
    """
    if n > MAX_COLUMNS:
        raise LogReadError(f"{name}: {where} has {n:,} columns; a log may have at most {MAX_COLUMNS:,} "
                           "(Excel's own limit): is this a log file?")


def reserve_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename input columns that clash with :data:`RESERVED` to ``"<name> (input)"``."""
    clashes = [c for c in frame.columns if c in RESERVED]
    if not clashes:
        return frame
    taken = {str(c) for c in frame.columns}
    renames = {}
    for c in clashes:
        new = f"{c} (input)"
        while new in taken:
            new += "'"
        taken.add(new)
        renames[c] = new
    return frame.rename(columns=renames)


def unique_names(header: Iterable[object]) -> list[str]:
    """Header names made unique the way pandas does it (``date``, ``date.1``, ...).

    Examples
    --------
    >>> unique_names(["date", "date", None, "pain"])
    ['date', 'date.1', 'Unnamed: 2', 'pain']
    """
    names: list[str] = []
    taken: set[str] = set()
    for i, cell in enumerate(header):
        raw = "" if cell is None or (isinstance(cell, float) and cell != cell) else str(cell)
        base = raw if raw.strip() else f"Unnamed: {i}"
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}.{k}"
        taken.add(name)
        names.append(name)
    return names


def alignment(mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Normalised header -> canonical name, for headers that mean a canonical column as they are.

    Headers with a unit (``hold_min``) are left out: renamed, they would lose their factor.
    """
    names = {k: v for k, v in ALIASES.items() if v in CANONICAL}
    names.update({normalise_header(k): v for k, v in (mapping or {}).items() if v in CANONICAL})
    return names


def align_headers(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Rename headers to their canonical names ("patient" in one file or sheet, "client_id" in
    another), so that putting several tables one after another does not split a column; a name
    already taken in the table is left as it is.

    Examples
    --------
    >>> frame = pd.DataFrame(columns=["Patient", "Day", "hold_min"])
    >>> list(align_headers(frame, alignment(None)).columns)
    ['client_id', 'date', 'hold_min']
    """
    header = [str(c) for c in frame.columns]
    renames: dict[str, str] = {}
    for c in header:
        target = names.get(normalise_header(c))
        if target and c != target and target not in header and target not in renames.values():
            renames[c] = target
    return frame.rename(columns=renames)
