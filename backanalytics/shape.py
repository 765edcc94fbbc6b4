"""Shape: the layouts people keep -> the one long table validation knows.

Between reading a file and matching its headers. Four layouts are recognised, each said in
:attr:`Shaped.notes` and never guessed silently:

- **client from the file or sheet**: no client column -> the ``client=`` given, else each file's
  name (``sam.csv`` -> ``sam``), else, for a workbook with several log sheets, each sheet's name;
- **wide grid**: a column whose header names a catalog stretch (``Cobra``, ``Cobra (min)``,
  ``Child's pose reps``, ``Hamstrings (s)``) holding checkmarks or amounts -> one row per (line,
  stretch done); the unit hint says what an amount is;
- **list cells**: ``Cat-Cow; Child's Pose, Cobra`` in the stretch column -> one row per stretch;
- a checkbox-like column that is no stretch is not read, with a warning saying how to map it.

Rows keep their ``source_line`` (and ``source_file``), so every problem names the file's line.
Conservation: a line yields one row per stretch it records (a grid line with nothing ticked and
nothing else to record yields none, with a warning); validation's ``valid + rejected`` adds up to
the rows shaped (``rows_read``), and :attr:`Shaped.lines_read` counts the lines read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.cells.amounts import split_dose
from backanalytics.cells.parse import distinct, present_text
from backanalytics.headers import target_of

#: Mapping values of the shape step: drop a column, or read its header as a stretch.
IGNORE, STRETCH_COLUMN = "ignore", "stretch"
_TICKED = {"true", "yes", "y", "x", "✓", "✔", "☑", "1", "1.0", "done"}
_UNTICKED = {"false", "no", "n", "0", "0.0", "☐", "✗"}
@dataclass
class Shaped:
    """The result of :func:`shape`: one long table and what was done to get it."""

    frame: pd.DataFrame
    lines_read: int
    warnings: list[tuple[str, str, str]] = field(default_factory=list)
    row_warnings: list[tuple[object, str, str | None, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Columns this step already warned about (kept in the table, so rejected rows show them as read).
    explained: set[str] = field(default_factory=set)


def shape(raw: pd.DataFrame, name: str = "log", client: str | None = None,
          mapping: Mapping[str, str] | None = None) -> Shaped:
    """Turn a raw table of any supported layout into the long layout, one row per stretch.

    Parameters
    ----------
    raw
        The raw table with ``source_line`` (and ``source_file`` / ``sheet`` for several inputs).
    name
        The file's name: a one-person log without client column is the client of this name's stem.
    client
        The client of a one-person log (wins over the file name; a client column wins over both).
    mapping
        The user's header mapping; values ``"ignore"`` and ``"stretch"`` are this step's.

    Examples
    --------
    >>> raw = pd.DataFrame({"Date": ["2026-11-02", "2026-11-03"], "Cobra (min)": ["1", ""],
    ...                     "Cat-Cow": ["TRUE", "TRUE"], "source_line": [2, 3]})
    >>> s = shape(raw, "sam.csv")
    >>> s.frame[["client_id", "stretch", "hold_s", "source_line"]].values.tolist()
    [['sam', 'Cobra Stretch', 60.0, 2], ['sam', 'Cat-Cow', nan, 2], ['sam', 'Cat-Cow', nan, 3]]
    """
    user = {C.normalise_header(k): v for k, v in (mapping or {}).items()}
    out = Shaped(raw, lines_read=len(raw))
    names = {str(c) for c in raw.columns}
    grid: list[tuple[object, str, str | None]] = []
    dropped: list[object] = []
    candidates = []
    for col in raw.columns:
        if col in C.RESERVED:
            continue
        asked = user.get(C.normalise_header(col))
        if asked == IGNORE:
            dropped.append(col)
            out.warnings.append((str(col), None, "ignored, as the mapping asks"))
        elif asked == STRETCH_COLUMN or target_of(col, names, user) is None:
            candidates.append(col)
    kinds = _cell_kinds(raw, candidates)
    for col in candidates:
        stretch, unit = catalog.stretch_header(col)
        checkbox, numeric = kinds[col]
        if user.get(C.normalise_header(col)) == STRETCH_COLUMN and (checkbox or numeric):
            grid.append((col, stretch or str(col).strip(), unit))
        elif stretch is not None and (checkbox or numeric):
            grid.append((col, stretch, unit))
        elif checkbox and not numeric:  # a column of 1s and 0s is left to the headers' warning
            dropped.append(col)
            out.warnings.append((str(col), None, f"holds checkmarks but names no stretch of the catalog; ignored. "
                                                 f"Map it: --map \"{col}=stretch\" (a stretch) or "
                                                 f"--map \"{col}=ignore\" (not one)"))
    out.explained = {str(c) for c in dropped}
    if grid:
        _explode_grid(out, grid, names, user)
    _explode_lists(out, names, user)
    _split_doses(out, names, user)
    _client_from_source(out, name, client, names, user)
    return out


_AMOUNT = r"[0-9]+(?:[.,][0-9]+)?\s*(?:s|sec|secs|seconds|min|mins|minutes|reps)?|[0-9]{1,2}:[0-5][0-9]"


def _cell_kinds(raw: pd.DataFrame, columns: list[object]) -> dict[object, tuple[bool, bool]]:
    """Per column, (checkbox-like, amount-like): every present cell a checkmark / an empty box, or
    every present cell a number or a duration (and at least one present). Judged on the distinct
    cells of all the columns at once."""
    if not columns:
        return {}
    cells = [pd.unique(raw[c].to_numpy(dtype=object)) for c in columns]
    owner = np.repeat(np.arange(len(columns)), [len(c) for c in cells])
    text, present = present_text(pd.Series(np.concatenate(cells), dtype=object))
    lower = text.str.lower()
    boolean = pd.Series([v is True or v is False or isinstance(v, np.bool_) for v in np.concatenate(cells)])
    tick = (lower.isin(_TICKED | _UNTICKED).fillna(False) | boolean).astype(bool)
    amount = lower.str.fullmatch(_AMOUNT).fillna(False).astype(bool) & ~boolean
    table = pd.DataFrame({"owner": owner, "present": present.to_numpy(), "tick": tick.to_numpy() | ~present.to_numpy(),
                          "amount": amount.to_numpy() | ~present.to_numpy()})
    found = table.groupby("owner")[["present", "tick", "amount"]].agg(
        {"present": "any", "tick": "all", "amount": "all"}).reindex(range(len(columns)), fill_value=False)
    return {c: (bool(f.present and f.tick), bool(f.present and f.amount))
            for c, f in zip(columns, found.itertuples(index=False), strict=True)}


def _explode_grid(out: Shaped, grid: list[tuple[object, str, str | None]], names: set[str],
                  user: Mapping[str, str]) -> None:
    """One row per (line, stretch done) of the grid columns; a line with nothing ticked and nothing
    else to record yields no row (with a warning)."""
    frame = out.frame
    base = frame.drop(columns=[c for c, _, _ in grid])
    parts, kept = [], np.zeros(len(frame), dtype=bool)
    unhinted = []
    for order, (col, stretch, unit) in enumerate(grid):
        text, present = present_text(frame[col])
        lower = text.str.lower()
        if pd.api.types.is_bool_dtype(frame[col]):
            done, amount = frame[col].fillna(False).astype(bool), pd.Series(np.nan, index=frame.index)
        else:
            amount = pd.to_numeric(text.str.replace(",", "."), errors="coerce")
            ticks = _TICKED - {"1", "1.0"} if unit else _TICKED  # "1" in a "Cobra (min)" column is 1 minute
            ticked = lower.isin(ticks).fillna(False).astype(bool)
            done = present & ~lower.isin(_UNTICKED).fillna(False).astype(bool)
            amount = amount.where(~ticked)
            done = done & ~(amount == 0).fillna(False)
        done = done.to_numpy(dtype=bool)
        kept |= done
        rows = base[done].assign(**{C.STRETCH: stretch, "_order": order})
        amounts = amount[done]
        written = text[done]
        if unit == "reps":
            rows[C.REPS] = amounts.to_numpy()
        elif unit in ("s", "min"):
            rows[C.HOLD_S] = (amounts * (60.0 if unit == "min" else 1.0)).astype(object).where(
                amounts.notna(), written.where(~lower[done].isin(ticks).fillna(False))).to_numpy()
        elif amounts.notna().any():
            unhinted.append(str(col))
        parts.append(rows)
    others = []  # contract columns that record something on their own (a score, a stretch...)
    for c in base.columns:
        found = None if c in C.RESERVED else target_of(c, names, user)
        if found is not None and found[0] in C.CANONICAL and found[0] not in {C.CLIENT_ID, C.DATE, C.TIME, C.NOTES}:
            others.append(c)
    has_other = np.zeros(len(frame), dtype=bool)
    for c in others:
        has_other |= present_text(frame[c])[1].to_numpy(dtype=bool)
    parts.append(base[~kept & has_other].assign(_order=-1))
    for i in np.flatnonzero(~kept & ~has_other):
        out.row_warnings.append((frame[C.SOURCE_LINE].iloc[i], C.STRETCH, None,
                                 "no stretch ticked and nothing else on this line; no row recorded"))
    long = pd.concat(parts).rename_axis("_line").reset_index()
    long = long.sort_values(["_line", "_order"], kind="stable").drop(columns=["_line", "_order"])
    out.frame = long.reset_index(drop=True)
    out.notes.append(f"a grid: {len(grid)} stretch column{'s' if len(grid) > 1 else ''} "
                     f"({', '.join(s for _, s, _ in grid[:4])}{', ...' if len(grid) > 4 else ''}) read as "
                     f"one row per stretch done ({len(out.frame)} rows from {out.lines_read} lines)")
    for col in unhinted:
        out.warnings.append((col, None, "amounts without a unit: each counts the stretch as done, the amount "
                                        f"is not read (name the unit: '{col} (s)', '{col} (min)' or "
                                        f"'{col} reps')"))


_LIST = r"[;,|+]|\s/\s"


def _explode_lists(out: Shaped, names: set[str], user: Mapping[str, str]) -> None:
    """One row per stretch of a cell listing several (``Cat-Cow; Child's Pose, Cobra``)."""
    frame = out.frame
    cols = [c for c in frame.columns if c not in C.RESERVED and (target_of(c, names, user) or ("",))[0] == C.STRETCH]
    if len(cols) != 1 or frame[cols[0]].dtype == bool:
        return
    col = cols[0]
    if not _any_match(frame[col], _LIST):
        return
    codes, cells = distinct(frame[col])  # judged once per distinct cell: a big log has few names
    text, present = present_text(cells)
    split = {}
    for i in np.flatnonzero((present & text.str.contains(_LIST, regex=True).fillna(False)).to_numpy(dtype=bool)):
        parts = [p.strip() for p in re.split(_LIST, text[i]) if p.strip()]
        if len(parts) > 1 and catalog.canonical_name(text[i]) is None and any(
                catalog.canonical_name(p) is not None for p in parts):
            split[i] = parts
    if not split:
        return
    flagged = np.zeros(len(cells), dtype=bool)
    flagged[list(split)] = True
    listed = pd.Series(flagged[codes], index=frame.index)
    exploded = frame[listed].assign(**{col: [split[c] for c in codes[listed.to_numpy()]]}).explode(col)
    long = pd.concat([frame[~listed], exploded]).rename_axis("_line").reset_index()
    out.frame = long.sort_values("_line", kind="stable").drop(columns="_line").reset_index(drop=True)
    lines = int(listed.sum())
    out.notes.append(f"lists of stretches in one cell on {lines} line{'s' if lines > 1 else ''}, one row per stretch")


_DOSE_HINT = r"[x×*]|rep|times"


def _any_match(column: pd.Series, pattern: str) -> bool:
    """True when some cell matches ``pattern`` (case-insensitive), judged on the distinct cells:
    a canonical log (no lists, no doses) pays one hash pass of Arrow's ``unique`` per column."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    if isinstance(column.dtype, pd.StringDtype) and hasattr(column.array, "_pa_array"):
        cells = pd.Series(pc.unique(column.array._pa_array).to_pylist(), dtype=object)
    else:
        cells = pd.Series(pd.unique(column.to_numpy(dtype=object)), dtype=object)
    text, present = present_text(cells)
    return bool((present & text.str.contains(pattern, case=False, regex=True).fillna(False)).any())


#: Headers of a column holding a whole dose (``3x30s``).
DOSE_HEADERS = {"dose", "sets_x_reps", "reps_x_hold", "sets_x_hold", "reps_x_seconds", "sets_reps", "volume"}


def _split_doses(out: Shaped, names: set[str], user: Mapping[str, str]) -> None:
    """Reps and hold written in one cell (``3x30s``, ``30s x 3``, ``10 reps``) -> the reps and hold
    columns; a reps or hold cell of its own is never overwritten. A column named exactly as the
    contract (``hold_s``, ``reps``) holds one amount per cell: a dose there is a rejected cell."""
    frame = out.frame
    targets = {}
    for c in frame.columns:
        found = None if c in C.RESERVED else target_of(c, names, user)
        if found is not None and found[0] in (C.HOLD_S, C.REPS):
            targets.setdefault(found[0], c)
    doses = [c for c in frame.columns if c not in C.RESERVED and C.normalise_header(c) in DOSE_HEADERS]
    for col in [*doses, *targets.values()]:
        if not _any_match(frame[col], _DOSE_HINT):
            continue
        codes, cells = distinct(frame[col])  # judged once per distinct cell
        cell_text, cell_present = present_text(cells)
        maybe_cell = (cell_present & cell_text.str.contains(_DOSE_HINT, case=False, regex=True)
                      .fillna(False)).to_numpy(dtype=bool)
        if not maybe_cell.any():
            continue
        text = present_text(frame[col])[0]
        maybe = pd.Series(maybe_cell[codes], index=frame.index)
        split = split_dose(text[maybe])
        read = split["reps"].notna()
        if not read.any():
            continue
        rows = split.index[read]
        for target, part in ((C.REPS, "reps"), (C.HOLD_S, "hold")):
            dest = targets.get(target)
            if dest is None:
                dest = targets[target] = target
                frame[dest] = pd.Series(None, index=frame.index, dtype=object)
            values = split.loc[rows, part]
            if dest == col:
                frame[dest] = frame[dest].astype(object)
                frame.loc[rows, dest] = values.astype(object).where(values.notna(), None)
            else:
                empty = ~present_text(frame.loc[rows, dest])[1]
                frame[dest] = frame[dest].astype(object)
                frame.loc[rows[empty.to_numpy()], dest] = values[empty.to_numpy()].astype(object)
        if col in doses:
            out.explained.add(str(col))
        out.notes.append(f"doses in one cell ({col}: {len(rows)} cells like {text[rows[0]]!r}) read as reps x hold")


def _client_from_source(out: Shaped, name: str, client: str | None, names: set[str],
                        user: Mapping[str, str]) -> None:
    """A log with no client column is one client per file (or per sheet of a workbook)."""
    frame = out.frame
    cols = [c for c in frame.columns if c not in C.RESERVED and (target_of(c, names, user) or ("",))[0] == C.CLIENT_ID]
    if cols:
        if C.SOURCE_FILE in frame:  # several files: one without a client column is its file's client
            held = present_text(frame[cols[0]])[1]
            files = frame[C.SOURCE_FILE].astype(str)
            empty = ~held.groupby(files).transform("any").astype(bool)
            if empty.any():
                frame.loc[empty, cols[0]] = files[empty].map(lambda f: PurePath(f).stem)
                out.notes.append(f"client from the file name for {files[empty].nunique()} file(s) without client "
                                 "column")
        return
    if C.SOURCE_FILE in frame and (frame[C.SOURCE_FILE].nunique() > 1 or client is None):
        frame[C.CLIENT_ID] = frame[C.SOURCE_FILE].astype(str).map(lambda f: PurePath(f).stem)
        how = "each file's name"
        count = frame[C.SOURCE_FILE].nunique()
        out.notes.insert(0, f"{count} file{'s' if count > 1 else ''}, client from each file's name")
    elif C.SHEET in frame and frame[C.SHEET].nunique() > 1:
        frame[C.CLIENT_ID] = frame[C.SHEET].astype(str)
        how = "each sheet's name"
        out.notes.insert(0, f"one sheet per client ({frame[C.SHEET].nunique()} sheets), client from each "
                            "sheet's name")
    elif client is not None or name != "log":
        who = client if client is not None else PurePath(name).stem
        frame[C.CLIENT_ID] = who
        how = "--client (client=)" if client is not None else "the file name"
        out.notes.insert(0, f"one person's log, client {who!r} from {how}")
    else:
        return
    out.warnings.append((C.CLIENT_ID, None, f"no client column: client from {how}"))
