"""Amounts as people write them: durations (``30 sec``, ``1:30``, ``PT30S``), scores (``4/10``),
a whole dose in one cell (``3x30s``, ``10 reps``), and numbers with a comma (``1,000`` / ``7,5``).

These read only the distinct cells the plain-number fast path of
:func:`backanalytics.cells.parse.parse_numbers` leaves, so a canonical log never reaches them.
Each returns values and, per cell, the rule it broke (NA when read or missing).
"""

from __future__ import annotations

import pandas as pd

from backanalytics.cells.dates import excel_time_seconds

#: Units pandas does not know, spelled as people write them -> the unit pandas knows.
_UNIT_WORDS = {r"\bsecs?\b": "s", r"\bmins\b": "min", r"\bminutes?\b": "min", r"\bhrs?\b": "h"}
#: A digit of another script (Arabic-Indic, fullwidth...): not read as a number anywhere.
FOREIGN_DIGIT = r"(?![0-9])\d"


def durations(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Seconds in duration cells that are not plain numbers; (seconds, rule per cell).

    ``m:ss`` (``1:30``) and ``h:mm:ss`` (``00:00:30``), a number with a unit (``30 sec``,
    ``1.5 min``, ``1m30s``), ISO 8601 (``PT30S``), Excel time cells and timedeltas.

    Examples
    --------
    >>> s, rule = durations(pd.Series(["1:30", "30 sec", "1.5 min", "1m30s", "PT30S", "00:00:30", "ten"]))
    >>> s.tolist()[:6], rule.isna().tolist()
    ([90.0, 30.0, 90.0, 90.0, 30.0, 30.0], [True, True, True, True, True, True, False])
    """
    cells = cells.reset_index(drop=True)
    seconds = pd.Series(cells.map(excel_time_seconds), dtype=float)
    text = cells.where(seconds.isna()).astype("string").str.strip().str.lower().str.replace(",", ".")
    minsec = text.str.extract(r"^(?P<m>[0-9]{1,3}):(?P<s>[0-5][0-9])$")
    seconds = seconds.fillna(minsec["m"].astype(float) * 60 + minsec["s"].astype(float))
    for pattern, unit in _UNIT_WORDS.items():
        text = text.str.replace(pattern, unit, regex=True)
    for i in seconds.index[seconds.isna() & text.notna()]:
        try:
            seconds[i] = pd.to_timedelta(text[i].upper() if text[i].startswith("p") else text[i]).total_seconds()
        except (ValueError, TypeError, OverflowError):
            continue
    rule = pd.Series(pd.NA, index=cells.index, dtype="string")
    rule[seconds.isna() & cells.notna()] = ("must be a duration: seconds (30), m:ss (1:30) or with a unit "
                                            "(30 sec, 1.5 min)")
    return seconds, rule


def scores(cells: pd.Series, name: str) -> tuple[pd.Series, pd.Series]:
    """Scores written out of 10 (``4/10``, ``4 / 10``, ``4 out of 10``); another scale is a rule.

    Examples
    --------
    >>> v, rule = scores(pd.Series(["4/10", "4 out of 10", "4/5"]), "pain")
    >>> v.tolist()[:2], rule.tolist()[2]
    ([4.0, 4.0], 'pain is written out of 5; the contract scores 0 to 10 (write it out of 10)')
    """
    cells = cells.reset_index(drop=True).astype("string").str.strip().str.lower()
    parts = cells.str.extract(r"^(?P<v>[0-9]+(?:[.,][0-9]+)?)\s*(?:/|out of|of)\s*(?P<of>[0-9]+)$")
    value = _floats(parts["v"].str.replace(",", "."))
    scale = _floats(parts["of"])
    rule = pd.Series(pd.NA, index=cells.index, dtype="string")
    other = scale.notna() & (scale != 10)
    rule[other] = (f"{name} is written out of " + parts["of"][other]
                   + "; the contract scores 0 to 10 (write it out of 10)")
    return value.where(scale == 10), rule


def _floats(text: pd.Series) -> pd.Series:
    """Text as float64 (NaN where not a number)."""
    return pd.Series(pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=float("nan")),
                     index=text.index)


#: ``1,000`` or ``12,500``: a thousands separator or a decimal comma, the cell alone cannot say.
AMBIGUOUS_COMMA = r"^[+-]?[0-9]{1,3},[0-9]{3}$"
_DECIMAL_COMMA = r"^[+-]?[0-9]+,[0-9]+$"
THOUSANDS = r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$"


def comma_reading(text: pd.Series) -> str | None:
    """How a column uses ``,`` in numbers: ``"thousands"``, ``"decimal"`` or None (no evidence).

    A cell like ``7,5`` or ``12,25`` can only be a decimal comma; ``1,234.5`` or ``1,000,000`` only
    thousands separators; ``1,000`` alone is either.

    Examples
    --------
    >>> comma_reading(pd.Series(["7,5", "1,000"])), comma_reading(pd.Series(["1,000.5"])), comma_reading(
    ...     pd.Series(["1,000"]))
    ('decimal', 'thousands', None)
    """
    text = text.astype("string").str.strip()
    ambiguous = text.str.fullmatch(AMBIGUOUS_COMMA).fillna(False)
    decimal = text.str.fullmatch(_DECIMAL_COMMA).fillna(False) & ~ambiguous
    thousands = text.str.fullmatch(THOUSANDS).fillna(False) & ~ambiguous
    if decimal.any() and not thousands.any():
        return "decimal"
    if thousands.any() and not decimal.any():
        return "thousands"
    return None


_DOSE = (r"^(?:(?P<r1>[0-9]+)\s*[x×*]\s*(?P<h1>[0-9.,]+\s*[a-z]*)"  # 3x30s: reps x hold
         r"|(?P<h2>[0-9.,]+\s*(?:s|sec|secs|seconds?|min|mins|minutes?))\s*[x×*]\s*(?P<r2>[0-9]+)"  # 30s x 3
         r"|(?P<r3>[0-9]+)\s*(?:reps?|repetitions?|times)|[x×*]\s*(?P<r4>[0-9]+))$")


def split_dose(cells: pd.Series) -> pd.DataFrame:
    """Reps and hold written in one cell; columns ``reps`` and ``hold`` (text), NA where absent.

    Examples
    --------
    >>> split_dose(pd.Series(["3x30s", "30s x 3", "2×45", "10 reps", "x10", "30"])).fillna("").values.tolist()
    [['3', '30s'], ['3', '30s'], ['2', '45'], ['10', ''], ['10', ''], ['', '']]
    """
    parts = cells.astype("string").str.strip().str.lower().str.extract(_DOSE)
    reps = parts["r1"].fillna(parts["r2"]).fillna(parts["r3"]).fillna(parts["r4"])
    hold = parts["h1"].fillna(parts["h2"]).str.strip()
    return pd.DataFrame({"reps": reps, "hold": hold})
