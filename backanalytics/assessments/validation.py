"""Read, check and score an assessments table: every problem named, no row lost.

Each row is one completed questionnaire. A row with any problem (an unknown instrument, an item
outside its range, a total that disagrees with its items, too few answers to score ...) is
rejected whole with its reasons; ``len(valid) + len(rejected)`` always equals the rows read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from backanalytics import columns as C
from backanalytics.assessments.headers import (
    ACTIVITIES,
    INSTRUMENT,
    ITEMS_ANSWERED,
    SCORE,
    SCORE_COLUMNS,
    Headers,
    activity_column,
    item_column,
    log_totals,
    match_headers,
    merged,
)
from backanalytics.assessments.scoring import score_items
from backanalytics.cells.parse import distinct, parse_dates, parse_numbers, present_text
from backanalytics.instruments import INSTRUMENTS, MAX_ITEMS, instrument_name
from backanalytics.io import LogReadError
from backanalytics.problems import rejected_rows
from backanalytics.schema import ValidationReport
from backanalytics.sources import read_sources, source_name

EARLIEST = pd.Timestamp("1990-01-01")
_YES_NO = {"yes": 1.0, "y": 1.0, "true": 1.0, "1": 1.0, "1.0": 1.0, "x": 1.0,
           "no": 0.0, "n": 0.0, "false": 0.0, "0": 0.0, "0.0": 0.0}


def validate_assessments(source: str | Path | pd.DataFrame, mapping: Mapping[str, str] | None = None,
                         today: dt.date | pd.Timestamp | None = None) -> ValidationReport:
    """Read, validate and score questionnaires (ODI, RMDQ, PSFS), finding every problem in one pass.

    Parameters
    ----------
    source
        A path (CSV, Excel, Parquet, JSON) or a DataFrame: one row per questionnaire with
        ``client_id``, ``date``, ``instrument`` and the item answers (``item_1`` ...) and/or a
        ``score``. A log with ``odi`` / ``rmdq`` / ``psfs`` columns (and no ``instrument``) is read
        as one questionnaire per filled cell; then "rows read" counts those cells.
    mapping
        Extra header mapping, input name -> canonical name (``{"Fragebogen": "instrument"}``).
    today
        The date after which dates are "in the future" (default: the real today).

    Returns
    -------
    ValidationReport
        ``valid``: the scores table (``client_id, date, instrument, score, items_answered,
        activities``); ``rejected``: the input rows with their ``problems``; ``failures``: one row
        per problem (source_line, column, value, rule); ``warnings``.

    Raises
    ------
    LogReadError
        When the input cannot be used (missing file, unknown format, no client_id / date /
        instrument column, neither items nor a score).

    Examples
    --------
    >>> raw = pd.DataFrame({"client": ["ana", "ana", "ben"], "date": ["2026-01-05"] * 3,
    ...     "instrument": ["Oswestry", "PSFS", "SF-36"], "score": ["32", "11", "40"]})
    >>> report = validate_assessments(raw, today="2026-02-01")
    >>> report.valid[["client_id", "instrument", "score"]].to_dict("records")
    [{'client_id': 'ana', 'instrument': 'ODI', 'score': 32.0}]
    >>> report.failures["rule"].tolist()
    ['PSFS score must be between 0 and 10', 'unknown instrument: use ODI, RMDQ or PSFS']
    """
    name = Path(source).name if isinstance(source, (str, Path)) else "assessments"
    raw, read_warnings = read_sources(source, mapping)
    if raw.empty:
        raise LogReadError(f"{source_name(source) if not isinstance(source, pd.DataFrame) else 'assessments'}: "
                           "the file has a header but no rows")
    headers = match_headers(raw.columns, mapping)
    missing = [c for c in (C.CLIENT_ID, C.DATE) if c not in headers.targets]
    if not headers.log_mode and INSTRUMENT not in headers.targets:
        missing.append(INSTRUMENT + " (or log columns odi / rmdq / psfs)")
    if missing:
        raise LogReadError(f"{name}: missing column(s) {', '.join(missing)}; an assessments table needs "
                           "client_id, date, instrument and the item answers (item_1 ...) or a score")
    if headers.log_mode:
        raw = log_totals(raw, headers)
        headers = match_headers(pd.Index([C.CLIENT_ID, C.DATE, INSTRUMENT, SCORE]))
    elif SCORE not in headers.targets and not any(k.startswith("item_") for k in headers.targets):
        raise LogReadError(f"{name}: no item columns (item_1 ...) and no score column; "
                           "give the answers or the total of each questionnaire")
    problems: list[pd.DataFrame] = []
    table = _parse(raw, headers, problems, today)
    problems_table = pd.concat(problems, ignore_index=True) if problems else _empty_problems()
    bad = np.unique(problems_table["row"].to_numpy(dtype=np.intp))
    good = np.setdiff1d(np.arange(len(raw)), bad)
    lines = raw[C.SOURCE_LINE].to_numpy()
    failures = problems_table.assign(**{C.SOURCE_LINE: lines[problems_table["row"].to_numpy(dtype=np.intp)]})
    failures = failures.sort_values([C.SOURCE_LINE, "column"], kind="stable")[
        [C.SOURCE_LINE, "column", "value", "rule"]].reset_index(drop=True)
    valid = table.iloc[good][SCORE_COLUMNS].reset_index(drop=True)
    warnings = _warnings(table, good, lines, headers.ignored, read_warnings)
    rejected = rejected_rows(raw.drop(columns=["_clash"], errors="ignore"), problems_table, bad)
    return ValidationReport(valid=valid, rejected=rejected, failures=failures,
                            warnings=warnings, rows_read=len(raw), source=name)


def load_assessments(source: str | Path | pd.DataFrame, mapping: Mapping[str, str] | None = None,
                     today: dt.date | pd.Timestamp | None = None) -> pd.DataFrame:
    """The scores table (one row per scored questionnaire), or an error listing every problem.

    Raises ``LogValidationError`` (from :mod:`backanalytics.schema`) when any row is rejected.

    Examples
    --------
    >>> raw = pd.DataFrame({"client_id": ["ana"], "date": ["2026-01-05"], "instrument": ["RMDQ"],
    ...                     **{f"item_{k}": ["yes" if k <= 7 else "no"] for k in range(1, 25)}})
    >>> load_assessments(raw, today="2026-02-01")[["instrument", "score", "items_answered"]].to_dict("records")
    [{'instrument': 'RMDQ', 'score': 7.0, 'items_answered': 24}]
    """
    return validate_assessments(source, mapping=mapping, today=today).raise_for_rejected()


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype=np.intp), "column": pd.Series(dtype=object),
                         "value": pd.Series(dtype=object), "rule": pd.Series(dtype=object)})


def _add(problems: list[pd.DataFrame], mask: np.ndarray | pd.Series, column: str, cells: pd.Series | None,
         rule: str | np.ndarray | pd.Series) -> None:
    """Record ``rule`` for every row in ``mask``, showing the cell as written."""
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(rows):
        return
    values = cells.iloc[rows].astype(object).to_numpy() if cells is not None else [None] * len(rows)
    rules = np.asarray(rule, dtype=object)[rows] if not isinstance(rule, str) else rule
    problems.append(pd.DataFrame({"row": rows, "column": column, "value": values, "rule": rules}))


def _cells(raw: pd.DataFrame, headers: Headers, target: str, problems: list[pd.DataFrame]) -> pd.Series | None:
    names = headers.targets.get(target)
    if not names:
        return None
    cells, clash = merged(raw, names)
    _add(problems, clash, target, cells, f"columns {' and '.join(map(repr, names))} both mean {target} "
                                         "and disagree")
    return cells


def _parse(raw: pd.DataFrame, headers: Headers, problems: list[pd.DataFrame],
           today: dt.date | pd.Timestamp | None) -> pd.DataFrame:
    """The typed, scored table (one row per input row); problems appended to ``problems``."""
    n = len(raw)
    if "_clash" in raw:  # a log with two total columns for one instrument that disagree
        clash = raw["_clash"].astype(str).to_numpy()
        _add(problems, clash != "", SCORE, raw[SCORE],
             np.array([f"columns {c} both hold this total and disagree" for c in clash], dtype=object))
    client_cells = _cells(raw, headers, C.CLIENT_ID, problems)
    client, has_client = present_text(client_cells)
    _add(problems, ~has_client, C.CLIENT_ID, client_cells, "client_id is required")
    date_cells = _cells(raw, headers, C.DATE, problems)
    dates, _, bad_date = parse_dates(date_cells)
    _, has_date = present_text(date_cells)
    _add(problems, ~has_date, C.DATE, date_cells, "date is required")
    _add(problems, bad_date, C.DATE, date_cells, "date is not a date (write YYYY-MM-DD)")
    inst_cells = _cells(raw, headers, INSTRUMENT, problems)
    inst_text, has_inst = present_text(inst_cells)
    codes, uniques = pd.factorize(inst_text.astype(object).where(has_inst, None))
    found = np.array([instrument_name(u) for u in uniques] + [None], dtype=object)  # code -1: empty
    instrument = pd.Series(found[codes], dtype=object)
    _add(problems, ~has_inst, INSTRUMENT, inst_cells, "instrument is required (ODI, RMDQ or PSFS)")
    _add(problems, has_inst & instrument.isna(), INSTRUMENT, inst_cells, "unknown instrument: use ODI, RMDQ or PSFS")
    names = instrument.fillna("").to_numpy(dtype=object)
    masks = {name: (names == name) for name in INSTRUMENTS}  # compared once, not once per item column
    items = np.full((n, MAX_ITEMS), np.nan)
    for k in range(1, MAX_ITEMS + 1):
        cells = _cells(raw, headers, item_column(k), problems)
        if cells is not None:
            items[:, k - 1] = _item(cells, k, masks, problems)
    score, answered, reason = score_items(names, items)
    has_items = answered > 0
    item_bad = np.zeros(n, dtype=bool)  # a row with a bad answer is not scored again, nor compared
    for part in problems:
        if part["column"].iloc[0].startswith("item_"):
            item_bad[part["row"].to_numpy(dtype=np.intp)] = True
    score_cells = _cells(raw, headers, SCORE, problems)
    written = pd.Series(np.nan, index=range(n))
    if score_cells is not None:
        written, bad_score = parse_numbers(score_cells.reset_index(drop=True))
        _add(problems, bad_score, SCORE, score_cells, "score must be a number")
    known = instrument.notna().to_numpy()
    no_score = np.ones(n, dtype=bool) if score_cells is None else ~present_text(score_cells)[1].to_numpy()
    _add(problems, known & ~has_items & no_score, SCORE, score_cells,
         "a questionnaire needs its item answers or a score")
    _add(problems, known & (reason != "") & ~item_bad, "items", None, reason)
    tolerance = np.select(list(masks.values()), [spec.score_tolerance for spec in INSTRUMENTS.values()], 0.0)
    both = has_items & ~item_bad & ~np.isnan(score) & written.notna().to_numpy()
    disagree = both & (np.abs(written.to_numpy() - score) > tolerance + 1e-9)
    rules = np.full(n, "", dtype=object)
    rules[disagree] = [f"score disagrees with its items (they give {s:.1f})" for s in score[disagree]]
    _add(problems, disagree, SCORE, score_cells, rules)
    final = np.where(has_items, score, written.to_numpy())
    table = pd.DataFrame({C.CLIENT_ID: client.astype(object).where(has_client, None).to_numpy(),
                          C.DATE: dates.to_numpy(), INSTRUMENT: names, SCORE: final,
                          ITEMS_ANSWERED: pd.array(np.where(has_items, answered, 0), dtype="Int64"),
                          ACTIVITIES: _activities(raw, headers, problems)})
    table[ITEMS_ANSWERED] = table[ITEMS_ANSWERED].where(has_items, pd.NA)
    _schema_problems(table, problems, today)
    return table


def _item(cells: pd.Series, k: int, masks: dict[str, np.ndarray], problems: list[pd.DataFrame]) -> np.ndarray:
    """One item column's answers, checked against each row's instrument."""
    cells = cells.reset_index(drop=True)
    codes, unique = distinct(cells)  # an item column holds a handful of distinct answers: parse those
    text, present_u = present_text(unique)
    numbers, bad_u = parse_numbers(unique)
    yes_no = text.str.lower().map(_YES_NO).astype(float).to_numpy()[codes]
    bad_number = bad_u.to_numpy()[codes]
    column = item_column(k)
    values = np.where(masks["RMDQ"], yes_no, numbers.to_numpy()[codes])
    present = present_u.to_numpy()[codes]
    for name, spec in INSTRUMENTS.items():
        rows = masks[name] & present
        if k > spec.items:
            _add(problems, rows, column, cells, f"{name} has {spec.items} items; {column} must be empty")
            continue
        lo, hi = spec.item_range
        if name == "RMDQ":
            _add(problems, rows & np.isnan(values), column, cells, "RMDQ answers are yes / no (or 1 / 0)")
            continue
        _add(problems, rows & bad_number, column, cells, f"{name} answers must be numbers")
        v = values
        out = rows & ~bad_number & ((v < lo) | (v > hi) | (spec.whole_items & (v % 1 != 0)))
        rule = (f"{name} answers must be whole numbers from {lo:g} to {hi:g}" if spec.whole_items
                else f"{name} ratings must be between {lo:g} and {hi:g}")
        _add(problems, out, column, cells, rule)
    known = np.logical_or.reduce(list(masks.values()))
    return np.where(present & known, values, np.nan)


def _activities(raw: pd.DataFrame, headers: Headers, problems: list[pd.DataFrame]) -> np.ndarray:
    """PSFS activity texts joined with "; " (None when the row names none)."""
    texts = []
    for k in range(1, 6):
        cells = _cells(raw, headers, activity_column(k), problems)
        if cells is not None:
            text, present = present_text(cells)
            texts.append(text.where(present))
    if not texts:
        return np.full(len(raw), None, dtype=object)
    joined = texts[0].fillna("")
    for text in texts[1:]:  # column by column, not row by row
        text = text.fillna("")
        joined = joined.where(text == "", joined.where(joined == "", joined + "; ") + text)
    return joined.astype(object).where(joined != "", None).to_numpy(dtype=object)


def _schema(today: pd.Timestamp) -> pa.DataFrameSchema:
    return pa.DataFrameSchema({
        C.CLIENT_ID: pa.Column(str, pa.Check.str_length(1, 64, error="client_id must be 1 to 64 characters")),
        C.DATE: pa.Column("datetime64[ns]", [
            pa.Check.ge(EARLIEST, error="date must not be before 1990-01-01"),
            pa.Check.le(today, error=f"date must not be in the future (after {today.date()})")]),
    }, name="assessments")


def _score_schema(name: str) -> pa.DataFrameSchema:
    spec = INSTRUMENTS[name]
    lo, hi = spec.score_range
    checks = [pa.Check.in_range(lo, hi, error=f"{name} score must be between {lo:g} and {hi:g}")]
    if name == "RMDQ":
        checks.append(pa.Check(lambda s: s % 1 == 0, element_wise=False,
                               error="RMDQ score must be a whole number (a count of yes answers)"))
    return pa.DataFrameSchema({SCORE: pa.Column(float, checks, nullable=True)}, name=f"{name} scores")


def _schema_problems(table: pd.DataFrame, problems: list[pd.DataFrame],
                     today: dt.date | pd.Timestamp | None) -> None:
    """pandera's checks (lazy: every failure) on the rows whose cells parsed."""
    day = pd.Timestamp(today if today is not None else dt.date.today()).normalize()
    seen = pd.concat(problems, ignore_index=True) if problems else _empty_problems()
    reported = set(zip(seen["row"], seen["column"], strict=True))
    checks = [(_schema(day), table[[C.CLIENT_ID, C.DATE]].dropna())]
    checks += [(_score_schema(n), table.loc[table[INSTRUMENT] == n, [SCORE]]) for n in INSTRUMENTS]
    for schema, part in checks:
        try:
            schema.validate(part, lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases.dropna(subset=["index"])
            rows = cases["index"].to_numpy(dtype=np.intp)
            keep = [(r, c) not in reported for r, c in zip(rows, cases["column"], strict=True)]
            problems.append(pd.DataFrame({"row": rows[keep], "column": cases["column"].to_numpy()[keep],
                                          "value": cases["failure_case"].astype(object).to_numpy()[keep],
                                          "rule": cases["check"].to_numpy()[keep]}))


def _warnings(table: pd.DataFrame, good: np.ndarray, lines: np.ndarray, ignored: list[str],
              read_warnings: list[tuple[str, str, str]]) -> pd.DataFrame:
    valid = table.iloc[good]
    repeated = valid.duplicated([C.CLIENT_ID, C.DATE, INSTRUMENT], keep="first").to_numpy()
    rows = good[repeated]
    parts = [pd.DataFrame({C.SOURCE_LINE: pd.array(lines[rows], dtype="Int64"), "column": "row",
                           "value": table[C.CLIENT_ID].to_numpy()[rows],
                           "warning": "another questionnaire of the same instrument on the same day for this "
                                      "client; both kept (the day's scores are averaged in the outcomes)"}),
             pd.DataFrame({C.SOURCE_LINE: pd.array([pd.NA] * len(ignored), dtype="Int64"), "column": ignored,
                           "value": None, "warning": "column not understood; ignored (use mapping= to name it)"}),
             pd.DataFrame({C.SOURCE_LINE: pd.array([pd.NA] * len(read_warnings), dtype="Int64"),
                           "column": [c for c, _, _ in read_warnings], "value": [v for _, v, _ in read_warnings],
                           "warning": [w for _, _, w in read_warnings]})]
    return pd.concat([p for p in parts if len(p)] or [parts[0]], ignore_index=True)
