"""The data contract: one pandera schema for the canonical log, and validation against it.

Validation has two steps. Parsing turns each raw cell into its canonical type (numbers with decimal
commas, ISO 8601 dates with optional time and offset, catalog stretch names) and records every cell
it cannot parse. The pandera schema then checks every rule on the parsed table in one lazy pass.
Every problem is reported with the file's line number; a row with any problem is rejected whole,
every other row is kept. ``len(valid) + len(rejected) == rows_read`` always holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from backanalytics import catalog
from backanalytics import columns as C
from backanalytics.io import EXTRA_FIELDS, LogReadError, read_table
from backanalytics.parse import parse_bool, parse_dates, parse_numbers, parse_side

FAILURE_COLUMNS = [C.SOURCE_LINE, "column", "value", "rule"]
WARNING_COLUMNS = [C.SOURCE_LINE, "column", "value", "warning"]
EARLIEST = pd.Timestamp("1990-01-01")
REACH_RANGE = (-50.0, 100.0)  # cm; sit-and-reach can be negative, fingertip-to-floor positive


def log_schema(today: pd.Timestamp | None = None) -> pa.DataFrameSchema:
    """The canonical log schema: one column per field of the contract, rules named as sentences.

    Examples
    --------
    >>> sorted(log_schema().columns)[:3]
    ['client_id', 'date', 'flexibility']
    """
    today = pd.Timestamp(today if today is not None else dt.date.today()).normalize()

    def rating(name: str) -> pa.Column:
        return pa.Column(float, pa.Check.in_range(0, 10, error=f"{name} must be between 0 and 10"),
                         nullable=True)

    return pa.DataFrameSchema(
        {
            C.CLIENT_ID: pa.Column(
                str, pa.Check.str_length(1, 64, error="client_id must be 1 to 64 characters"), nullable=False),
            C.DATE: pa.Column("datetime64[ns]", [
                pa.Check.ge(EARLIEST, error="date must not be before 1990-01-01"),
                pa.Check.le(today, error=f"date must not be in the future (after {today.date()})"),
            ], nullable=False),
            C.TIME: pa.Column(str, nullable=True),
            C.STRETCH: pa.Column(
                str, pa.Check.str_length(1, 200, error="stretch name must be at most 200 characters"), nullable=True),
            C.HOLD_S: pa.Column(float, [
                pa.Check.gt(0, error="hold_s must be more than 0 seconds"),
                pa.Check.le(600, error="hold_s must be at most 600 seconds"),
            ], nullable=True),
            C.REPS: pa.Column(
                "Int64", pa.Check.in_range(1, 100, error="reps must be between 1 and 100"), nullable=True),
            C.SIDE: pa.Column(pd.CategoricalDtype(C.SIDES), nullable=True),
            C.PAIN: rating(C.PAIN),
            C.PAIN_AFTER: rating(C.PAIN_AFTER),
            C.FLEXIBILITY: rating(C.FLEXIBILITY),
            C.REACH_CM: pa.Column(
                float, pa.Check.in_range(*REACH_RANGE, error="reach_cm must be between -50 and 100 cm"), nullable=True),
            C.NOTES: pa.Column(str, nullable=True),
            C.PLANNED_REST: pa.Column(bool, nullable=False),
        },
        strict=True,
        ordered=True,
        name="canonical stretching log",
    )


class LogValidationError(ValueError):
    """Rows of a log break the contract. ``failures`` holds one row per problem."""

    def __init__(self, failures: pd.DataFrame, rows_read: int, source: str = "log"):
        self.failures = failures
        n_rows = failures[C.SOURCE_LINE].nunique()
        lines = [f"{source}: {n_rows} of {rows_read} rows rejected ({len(failures)} problems)"]
        lines += [describe_failure(r) for r in failures.itertuples(index=False)]
        super().__init__("\n".join(lines))


def describe_failure(row: tuple) -> str:
    """One readable line for a failure row: line, column, value, rule."""
    line, column, value, rule = row[0], row[1], row[2], row[3]
    shown = "" if value is None or value is pd.NA else repr(str(value)[:60])
    return f"  line {line}: {column} {shown}: {rule}".replace("  :", ":")


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`.

    Attributes
    ----------
    valid : canonical, typed log of every row that passed.
    rejected : the offending input rows as read, with ``source_line`` and ``problems``.
    failures : one row per problem (source_line, column, value, rule).
    warnings : one row per warning (source_line, column, value, warning).
    rows_read : number of data rows in the input.
    """

    valid: pd.DataFrame
    rejected: pd.DataFrame
    failures: pd.DataFrame
    warnings: pd.DataFrame
    rows_read: int
    source: str = "log"

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return self.rejected.empty

    def summary(self) -> str:
        """One line: rows read, kept, rejected, warnings."""
        return (f"{self.source}: {self.rows_read} rows read, {len(self.valid)} valid, "
                f"{len(self.rejected)} rejected, {len(self.warnings)} warnings")

    def raise_for_rejected(self) -> pd.DataFrame:
        """Return the valid table, or raise :class:`LogValidationError` if any row was rejected."""
        if not self.ok:
            raise LogValidationError(self.failures, self.rows_read, self.source)
        return self.valid


def rename_columns(raw: pd.DataFrame, mapping: Mapping[str, str] | None = None
                   ) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """Map input headers to canonical names (user mapping, then aliases, case-insensitive).

    Returns the renamed frame (canonical + source_line columns only), the unit multipliers to
    apply per canonical column, and the list of input columns that were ignored.
    """
    user = {C.normalise_header(k): v for k, v in (mapping or {}).items()}
    chosen: dict[str, str] = {}
    factors: dict[str, float] = {}
    ignored: list[str] = []
    for col in raw.columns:
        if col in (C.SOURCE_LINE, EXTRA_FIELDS):
            continue
        key = C.normalise_header(col)
        factor = 1.0
        target = user.get(key) or C.ALIASES.get(key)
        if target is None and key in C.UNIT_ALIASES:
            target, factor = C.UNIT_ALIASES[key]
        if target is None or target in chosen.values():
            ignored.append(str(col))
            continue
        chosen[col] = target
        factors[target] = factor
    missing = [c for c in C.REQUIRED if c not in chosen.values()]
    if missing:
        raise LogReadError(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {_shown_headers(raw.columns.drop([C.SOURCE_LINE, EXTRA_FIELDS], errors='ignore'))})"
        )
    out = raw[[*chosen, C.SOURCE_LINE]].rename(columns=chosen)
    return out, factors, ignored


def _shown_headers(headers: pd.Index, limit: int = 8) -> str:
    """Headers for a one-line message: printable, each shortened, at most ``limit`` of them."""
    def show(h: object) -> str:
        text = "".join(ch if ch.isprintable() else "?" for ch in str(h))
        return text if len(text) <= 30 else text[:29] + "..."
    shown = ", ".join(show(h) for h in headers[:limit])
    more = f" and {len(headers) - limit} more" if len(headers) > limit else ""
    return (shown + more) or "none"


def _problems(mask: pd.Series, column: str, values: pd.Series, rule: str) -> pd.DataFrame:
    idx = mask[mask].index
    return pd.DataFrame({"row": idx, "column": column,
                         "value": values.loc[idx].astype(object), "rule": rule})


def _normalise_stretch_names(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`backanalytics.catalog.normalise_names` run once per distinct cell, then spread out.

    A log of millions of rows holds a few dozen distinct names; each row takes its name's result.
    """
    codes, uniques = pd.factorize(raw)
    names, unknown = catalog.normalise_names(pd.Series(uniques, dtype=object))
    names = pd.concat([names.reset_index(drop=True), pd.Series([pd.NA], dtype="string")], ignore_index=True)
    flags = np.append(unknown.to_numpy(dtype=bool), False)
    return (pd.Series(names.array.take(codes), index=raw.index),
            pd.Series(flags[codes], index=raw.index))


def parse_log(frame: pd.DataFrame, factors: Mapping[str, float] | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Parse renamed raw columns into canonical types.

    Returns (typed table with every canonical column, parse problems, warnings); problems and
    warnings are indexed by row position in a ``row`` column.
    """
    factors = factors or {}
    n = len(frame)
    out = pd.DataFrame(index=frame.index)
    problems: list[pd.DataFrame] = []
    warnings: list[pd.DataFrame] = []

    def col(name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series([pd.NA] * n, index=frame.index, dtype=object)

    cid = col(C.CLIENT_ID).astype("string").str.strip()
    out[C.CLIENT_ID] = cid.mask(cid == "").astype(str).where(cid.notna() & (cid != ""), None)
    problems.append(_problems(cid.isna() | (cid == ""), C.CLIENT_ID, col(C.CLIENT_ID),
                              "client_id is required"))

    dates, times, bad_date = parse_dates(col(C.DATE))
    out[C.DATE] = dates
    if C.TIME in frame:
        _, t_times, bad_time = parse_dates(col(C.TIME), time_only=True)
        times = t_times.fillna(times) if times is not None else t_times
        problems.append(_problems(bad_time, C.TIME, col(C.TIME), "time must be HH:MM or HH:MM:SS"))
    out[C.TIME] = times.astype(str).where(times.notna(), None) if times is not None else None
    problems.append(_problems(bad_date, C.DATE, col(C.DATE),
                              "date must be an ISO 8601 date (YYYY-MM-DD) or date-time"))

    stretch, unknown = _normalise_stretch_names(col(C.STRETCH))
    out[C.STRETCH] = stretch.astype(str).where(stretch.notna(), None)
    unknown_rows = unknown[unknown].index
    warnings.append(pd.DataFrame({"row": unknown_rows, "column": C.STRETCH,
                                  "value": stretch.loc[unknown_rows].astype(object),
                                  "warning": "stretch not in the catalog; kept as written"}))

    for name in [C.HOLD_S, C.PAIN, C.PAIN_AFTER, C.FLEXIBILITY, C.REACH_CM, C.REPS]:
        values, bad = parse_numbers(col(name))
        problems.append(_problems(bad, name, col(name), f"{name} must be a finite number"))
        values = values * factors.get(name, 1.0)
        if name == C.REPS:
            fractional = values.notna() & (values % 1 != 0)
            problems.append(_problems(fractional, name, col(name), "reps must be a whole number"))
            # Clamp absurd counts (1e20) so the cast cannot overflow; the range check rejects them.
            values = values.where(~fractional).round().clip(-1e9, 1e9).astype("Int64")
        out[name] = values

    side, bad_side = parse_side(col(C.SIDE))
    out[C.SIDE] = side
    problems.append(_problems(bad_side, C.SIDE, col(C.SIDE), "side must be left, right or both"))

    notes = col(C.NOTES).astype("string")
    out[C.NOTES] = notes.astype(str).where(notes.notna() & (notes != ""), None)

    rest, bad_rest = parse_bool(col(C.PLANNED_REST))
    out[C.PLANNED_REST] = rest
    problems.append(_problems(bad_rest, C.PLANNED_REST, col(C.PLANNED_REST),
                              "planned_rest must be true or false"))

    # A row must say something: a stretch, a score, or a planned rest day. A score that failed
    # to parse still counts as "said", so the row is reported for that score, not for this rule.
    said = out[C.STRETCH].notna() | out[C.PLANNED_REST]
    for name in [C.PAIN, C.PAIN_AFTER, C.FLEXIBILITY, C.REACH_CM]:
        said |= col(name).astype("string").str.strip().fillna("").ne("")
    problems.append(_problems(~said, C.STRETCH, col(C.STRETCH),
                              "row has neither a stretch nor any score"))

    return (out[C.CANONICAL], pd.concat(problems, ignore_index=True),
            pd.concat(warnings, ignore_index=True))


def _schema_failures(typed: pd.DataFrame, today: pd.Timestamp | None) -> pd.DataFrame:
    """Run the pandera schema lazily; return (row, column, value, rule) for every failed check."""
    try:
        log_schema(today).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna()]
        column = fc["column"].astype(str)
        # pandera names a missing value "not_nullable"; say it as a rule people read.
        rule = fc["check"].astype(str).mask(fc["check"].eq("not_nullable"), column + " is required")
        return pd.DataFrame({"row": fc["index"].astype(int).to_numpy(),
                             "column": column.to_numpy(),
                             "value": fc["failure_case"].astype(object).to_numpy(),
                             "rule": rule.to_numpy()})
    return pd.DataFrame(columns=["row", "column", "value", "rule"])


def _duplicates(valid: pd.DataFrame) -> pd.Series:
    keys = [C.CLIENT_ID, C.DATE, C.TIME, C.STRETCH, C.SIDE]
    has_stretch = valid[C.STRETCH].notna()
    dup = valid[has_stretch].duplicated(subset=keys, keep="first")
    return dup.reindex(valid.index, fill_value=False)


def validate(source: str | Path | pd.DataFrame, mapping: Mapping[str, str] | None = None,
             today: dt.date | pd.Timestamp | None = None) -> ValidationReport:
    """Read and validate a log into the canonical table, finding every problem in one pass.

    Parameters
    ----------
    source
        A path (CSV, Excel, Parquet, JSON) or a DataFrame.
    mapping
        Extra header mapping, input name -> canonical name (applied before the alias table).
    today
        The date after which dates are "in the future" (default: the real today).

    Returns
    -------
    ValidationReport
        ``valid`` + ``rejected`` always add up to the rows read.

    Raises
    ------
    LogReadError
        When the input cannot be used at all (missing file, unknown format, no required column).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Client": ["ana", "ana"], "Date": ["2026-01-05", "2026-01-06"],
    ...                     "Exercise": ["childs pose", "Cat-Cow"], "NPRS": ["5", "11"]})
    >>> report = validate(raw)
    >>> report.valid["stretch"].tolist(), report.failures["rule"].tolist()
    (["Child's Pose"], ['pain must be between 0 and 10'])
    """
    name = Path(source).name if isinstance(source, (str, Path)) else "log"
    if isinstance(source, pd.DataFrame):
        raw = source.reset_index(drop=True).copy()
        if C.SOURCE_LINE not in raw:
            raw[C.SOURCE_LINE] = raw.index + 1
    else:
        raw = read_table(source)
    if raw.empty:
        raise LogReadError(f"{name}: the file has a header but no rows")
    try:
        renamed, factors, ignored = rename_columns(raw, mapping)
    except LogReadError as exc:
        raise LogReadError(f"{name}: {exc}") from None
    renamed = renamed.reset_index(drop=True)
    typed, parse_problems, warnings = parse_log(renamed, factors)
    bad_rows = set(parse_problems["row"])
    # Cells that failed to parse are NaN now; pandera would report them again as "not nullable".
    schema_problems = _schema_failures(typed, pd.Timestamp(today) if today else None)
    seen = set(zip(parse_problems["row"], parse_problems["column"], strict=True))
    keep = np.array([(r, c) not in seen for r, c in zip(
        schema_problems["row"], schema_problems["column"], strict=True)], dtype=bool)
    schema_problems = schema_problems[keep].reset_index(drop=True)
    # Report the cell as the user wrote it, not as parsed ("11", not 11.0).
    schema_problems["value"] = [renamed.at[r, c] if c in renamed else v for r, c, v in zip(
        schema_problems["row"], schema_problems["column"], schema_problems["value"], strict=True)]
    if EXTRA_FIELDS in raw:
        extra = raw[EXTRA_FIELDS].astype(str).str.strip().ne("")
        schema_problems = pd.concat([schema_problems, _problems(
            extra.set_axis(renamed.index), "row", raw[EXTRA_FIELDS].set_axis(renamed.index),
            "row has more fields than the header (an unquoted delimiter, e.g. a comma in a note?)")],
            ignore_index=True)
    problems = pd.concat([parse_problems, schema_problems], ignore_index=True)
    bad_rows = np.unique(problems["row"].to_numpy(dtype=int))
    lines = renamed[C.SOURCE_LINE]

    is_bad = np.zeros(len(typed), dtype=bool)
    is_bad[bad_rows] = True
    valid = typed[~is_bad].reset_index(drop=True)
    valid = valid.astype({C.CLIENT_ID: "str", C.STRETCH: "str", C.NOTES: "str", C.TIME: "str"})

    dup = _duplicates(typed[~is_bad])
    dup_rows = dup[dup].index
    warnings = pd.concat([warnings[~warnings["row"].isin(bad_rows)], pd.DataFrame({
        "row": dup_rows, "column": "row",
        "value": typed.loc[dup_rows, C.CLIENT_ID].astype(object),
        "warning": "duplicate entry (same client, date, time, stretch, side); kept"})],
        ignore_index=True)
    warnings = _with_lines(warnings, lines, "warning")
    for col in ignored:
        warnings.loc[len(warnings)] = [None, col, None, "column not in the contract; ignored"]

    failures = _with_lines(problems, lines, "rule").sort_values(
        [C.SOURCE_LINE, "column"], kind="stable").reset_index(drop=True)
    rejected = raw.iloc[bad_rows].copy()
    joined = failures.assign(text=failures["column"] + ": " + failures["rule"]).groupby(
        C.SOURCE_LINE, sort=False)["text"].agg("; ".join)
    rejected["problems"] = rejected[C.SOURCE_LINE].map(joined)
    rejected = rejected.reset_index(drop=True)
    return ValidationReport(valid=valid, rejected=rejected, failures=failures,
                            warnings=warnings, rows_read=len(raw), source=name)


def _with_lines(table: pd.DataFrame, lines: pd.Series, last: str) -> pd.DataFrame:
    out = table.assign(**{C.SOURCE_LINE: lines.to_numpy()[table["row"].to_numpy(dtype=int)]})
    return out[[C.SOURCE_LINE, "column", "value", last]].reset_index(drop=True)


def load_log(source: str | Path | pd.DataFrame, mapping: Mapping[str, str] | None = None,
             today: dt.date | pd.Timestamp | None = None) -> pd.DataFrame:
    """Return the valid canonical log, or raise :class:`LogValidationError` listing every problem.

    Examples
    --------
    >>> import pandas as pd
    >>> log = load_log(pd.DataFrame({"client_id": ["c1"], "date": ["2026-01-05"],
    ...                              "stretch": ["cobra"], "hold_s": ["20"]}))
    >>> log.loc[0, "stretch"], float(log.loc[0, "hold_s"])
    ('Cobra Stretch', 20.0)
    """
    return validate(source, mapping=mapping, today=today).raise_for_rejected()
