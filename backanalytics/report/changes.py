"""Changes from baseline in words: the numbers shown agree with each other and with the verdict.

A report shows a baseline, a current value and the change between them. Rounded separately they
can contradict each other ("5.0 to 7.0 (+1.9 points)") or the clinical verdict beside them ("7.0
to 5.0" next to "less than the 2 points that count"). Here the change is always the difference
of the *displayed* values, and the values get more decimals (up to :data:`MAX_DIGITS`) when one
decimal would suggest another verdict than the exact numbers. Thresholds:
:data:`backanalytics.thresholds.THRESHOLDS` (pain MCID >= 2 points or >= 30 %, Farrar 2001 /
Ostelo 2008; flexibility 2 points; sit-and-reach smallest real difference 4 cm).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from backanalytics.report.words import num, present, signed
from backanalytics.thresholds import THRESHOLDS

#: The most decimals a change is shown with when one decimal would misstate its clinical verdict.
MAX_DIGITS = 3
#: Slack for "reaches the threshold" (floating-point noise in daily means), as the metrics use.
_TOLERANCE = 1e-9


def _reached(value: float, threshold: float) -> bool:
    """``value >= threshold``, forgiving floating-point noise (an exact 2.0 reaches 2)."""
    return bool(pd.notna(value) and value >= threshold - _TOLERANCE * max(1.0, abs(threshold)))


def _flag(row: pd.Series, col: str, fallback: bool) -> bool:
    """A boolean metric column of ``row`` when present, else ``fallback``."""
    return bool(row[col]) if col in row and pd.notna(row[col]) else fallback


@dataclass(frozen=True)
class ShownChange:
    """A change as a report shows it: both values and their difference, at the same precision.

    ``change`` is the difference of the *displayed* values (so "5.0 to 7.0" is "+2.0", never
    "+1.9"), and ``digits`` is the precision that makes a judgement on the displayed numbers
    (e.g. "a rise of 2 points or more") agree with the judgement on the exact values.
    """

    baseline: str
    current: str
    change: Decimal
    digits: int

    @property
    def signed(self) -> str:
        """The displayed change with its sign ('+2.0', '-0.5', '0.0')."""
        return signed(float(self.change), self.digits)

    @property
    def same(self) -> bool:
        """The two displayed values are equal."""
        return self.baseline == self.current


def shown_change(base: float, cur: float, verdict: Callable[[Decimal, int], object], exact: object,
                 digits: int = 1) -> ShownChange:
    """Format a baseline and current value so that their displayed difference tells the truth.

    Parameters
    ----------
    base, cur
        The exact baseline and current values.
    verdict
        ``verdict(displayed_change, digits)``: the clinical judgement a reader would make from the
        displayed numbers (e.g. "important rise" / "not important").
    exact
        The judgement on the exact values (from the metric tables).
    digits
        Decimals to start with; one more is added (up to :data:`MAX_DIGITS`) while the displayed
        judgement differs from ``exact``.

    Returns
    -------
    ShownChange

    Examples
    --------
    A rise from 5.04 to 6.96 is 1.92, under a 2-point threshold; at one decimal it would read
    "5.0 to 7.0", a rise of 2.0, so two decimals are used:

    >>> important = lambda change, digits: change >= 2
    >>> s = shown_change(5.04, 6.96, important, exact=False)
    >>> s.baseline, s.current, s.signed
    ('5.04', '6.96', '+1.92')
    >>> shown_change(-2.34, 1.81, lambda c, d: c >= 4, exact=True).signed  # -2.3 to 1.8
    '+4.1'
    """
    for d in range(digits, MAX_DIGITS + 1):
        b, c = num(base, d), num(cur, d)
        change = Decimal(c) - Decimal(b)
        if verdict(change, d) == exact or d == MAX_DIGITS:
            return ShownChange(b, c, change, d)
    raise AssertionError("unreachable")  # pragma: no cover


def pain_display(row: pd.Series) -> tuple[ShownChange, str, str] | None:
    """Pain baseline, current, change and percent change as shown, and the verdict.

    The verdict is ``"improved"`` (the MCID: a fall of >= 2 points or >= 30 %, Farrar 2001; the
    metric's ``pain_mcid_reached``), ``"worse"`` (a rise of >= 2 points) or ``"neither"``; the
    displayed points and percent are precise enough to show the same verdict.
    """
    if not present(row, "pain_baseline", "pain_current"):
        return None
    points, share = THRESHOLDS["pain_mcid_points"], THRESHOLDS["pain_mcid_pct"]
    base, cur = row["pain_baseline"], row["pain_current"]
    pct_change = row["pain_pct_change"] if "pain_pct_change" in row else float("nan")
    change = cur - base
    exact = ("improved" if _flag(row, "pain_mcid_reached", _reached(-change, points) or _reached(-pct_change, share))
             else "worse" if _reached(change, points) else "neither")

    def pct_text(d: int) -> str:
        return "" if pd.isna(pct_change) else f"{signed(pct_change, d - 1)} %"

    def verdict(shown: Decimal, d: int) -> str:
        text = pct_text(d)
        shown_pct = Decimal(text[:-2]) if text else Decimal("NaN")
        if -shown >= Decimal(str(points)) or (text and -shown_pct >= Decimal(str(share))):
            return "improved"
        return "worse" if shown >= Decimal(str(points)) else "neither"

    shown = shown_change(base, cur, verdict, exact)
    return shown, pct_text(shown.digits), exact


def pain_sentence(row: pd.Series) -> str | None:
    """Pain at baseline and now, against the MCID (>= 2 points or >= 30 %, Farrar 2001)."""
    display = pain_display(row)
    if display is None:
        return None
    shown, pct_text, verdict = display
    rule = (f"≥ {THRESHOLDS['pain_mcid_points']:g} points or ≥ {THRESHOLDS['pain_mcid_pct']:g} %, "
            "Farrar 2001")
    change = f"{shown.signed} points" + (f", {pct_text}" if pct_text else "")
    if shown.same:
        text = f"Your pain stayed at {shown.current} out of 10" + (f" ({change})" if verdict != "neither" else "")
    else:
        verb = "fell" if shown.change < 0 else "rose"
        text = f"Your pain {verb} from {shown.baseline} to {shown.current} ({change})"
    if verdict == "improved":
        return f"{text}, a clinically important improvement ({rule})."
    if verdict == "worse":
        return f"{text}, a clinically important worsening: please talk to your physical therapist."
    if not shown.same and shown.change < 0:
        return f"{text}: less than the change that counts as clinically important ({rule})."
    return f"{text}."


def _importance(threshold: float) -> Callable[[Decimal, int], str]:
    """Verdict of a displayed change against a symmetric threshold: 'up', 'down' or 'small'."""
    limit = Decimal(str(threshold))
    return lambda change, _d: "up" if change >= limit else "down" if -change >= limit else "small"


def _symmetric_display(row: pd.Series, score: str, threshold: float,
                       reached_col: str) -> tuple[ShownChange, str] | None:
    """A score's change shown against a threshold either way: the display and 'up' / 'down' / 'small'."""
    if not present(row, f"{score}_baseline", f"{score}_current"):
        return None
    base, cur = row[f"{score}_baseline"], row[f"{score}_current"]
    exact = ("up" if _flag(row, reached_col, _reached(cur - base, threshold))
             else "down" if _reached(base - cur, threshold) else "small")
    return shown_change(base, cur, _importance(threshold), exact), exact


def flexibility_display(row: pd.Series) -> tuple[ShownChange, str] | None:
    """Self-rated flexibility as shown, and the verdict against the 2-point rule ('up' / 'down' / 'small')."""
    return _symmetric_display(row, "flexibility", THRESHOLDS["flexibility_mcid_points"], "flexibility_mcid_reached")


def reach_display(row: pd.Series) -> tuple[ShownChange, str] | None:
    """Sit-and-reach as shown, and the verdict against the 4 cm smallest real difference."""
    return _symmetric_display(row, "reach_cm", THRESHOLDS["reach_cm_mdc"], "reach_cm_mdc_reached")


def flexibility_sentence(row: pd.Series) -> str | None:
    """Self-rated flexibility (0-10) against the 2-point rule."""
    display = flexibility_display(row)
    if display is None:
        return None
    shown, exact = display
    mcid = THRESHOLDS["flexibility_mcid_points"]
    if shown.same and exact == "small":
        return f"Your flexibility rating stayed at {shown.current} out of 10."
    verb = "rose" if shown.change > 0 else "fell"
    text = (f"Your flexibility rating {verb} from {shown.baseline} to {shown.current} "
            f"({shown.signed} points)")
    if exact == "up":
        return f"{text}, an important improvement (≥ {mcid:g} points)."
    if exact == "down":
        return f"{text}, an important fall (≥ {mcid:g} points): please talk to your physical therapist."
    if shown.change > 0:
        return f"{text}; a rise of {mcid:g} points or more counts as important."
    return f"{text}."


def reach_sentence(row: pd.Series) -> str | None:
    """Sit-and-reach (cm) against the 4 cm smallest real difference."""
    display = reach_display(row)
    if display is None:
        return None
    shown, exact = display
    mdc = THRESHOLDS["reach_cm_mdc"]
    text = f"Your sit-and-reach went from {shown.baseline} cm to {shown.current} cm ({shown.signed} cm)"
    if exact == "up":
        return f"{text}, a real improvement (at least the {mdc:g} cm measurement error)."
    if exact == "down":
        return f"{text}, a real decline (at least the {mdc:g} cm measurement error)."
    return f"{text}, within measurement error (changes under {mdc:g} cm are not reliable)."
