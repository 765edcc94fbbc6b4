"""Dates written in a phone's language ("8 Apr 2026, 16:50", "5 Mai 2026, 07:34", "23rd Jul 2020").

Hevy writes ``start_time`` in the phone's language and Bearable writes English day-month-year
dates with ordinals. Month names come from the Unicode CLDR through babel (``babel.Locale``
month names, abbreviated and wide, format and stand-alone forms) for the languages in
:data:`LANGUAGES`; a word that is a month in none of them is an error that names it.
Abbreviations are matched with case, accents and a trailing dot ignored ("Fev", "fev.", "févr."),
and an unambiguous start of a full name is accepted too ("Sept", "Juil").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import lru_cache

#: CLDR languages whose month names are understood.
LANGUAGES = ("en", "pt", "es", "fr", "de", "it")
LANGUAGE_NAMES = "English, Portuguese, Spanish, French, German or Italian"

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_MERIDIEM = re.compile(r"\b([ap])\.?\s?m\b\.?", re.IGNORECASE)
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
#: Words that may sit between the parts of a localised date ("5 de mai. de 2026", "5. Mai 2026 um
#: 07:34", "23rd Jul"): prepositions and English ordinal suffixes.
_FILLERS = {"de", "del", "di", "um", "at", "a", "à", "às", "as", "alle", "ore", "le", "el", "o", "h",
            "st", "nd", "rd", "th"}


def _fold(word: str) -> str:
    text = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return text.casefold().strip().rstrip(".")


@lru_cache(maxsize=1)
def month_names() -> tuple[dict[str, int], dict[str, int]]:
    """(abbreviated and full names -> month, full names -> month), folded, for :data:`LANGUAGES`.

    Raises ``RuntimeError`` when two languages use one name for different months (none do).

    Examples
    --------
    >>> exact, wide = month_names()
    >>> exact["fev"], exact["mag"], exact["okt"], wide["setembro"]
    (2, 5, 10, 9)
    """
    from babel import Locale

    exact: dict[str, int] = {}
    wide: dict[str, int] = {}
    for language in LANGUAGES:
        months = Locale.parse(language).months
        for context in ("format", "stand-alone"):
            for width in ("abbreviated", "wide"):
                for month, name in months[context][width].items():
                    key = _fold(name)
                    if exact.setdefault(key, month) != month:
                        raise RuntimeError(f"month name {name!r} is ambiguous across {LANGUAGES}")
                    if width == "wide":
                        wide[key] = month
    return exact, wide


def month_number(word: str) -> int | None:
    """The month (1-12) a month name means in any of :data:`LANGUAGES`, else None.

    Examples
    --------
    >>> [month_number(w) for w in ("Apr", "Mai", "Ago", "Dez", "févr.", "März", "Sept", "dic", "Xyz")]
    [4, 5, 8, 12, 2, 3, 9, 12, None]
    """
    exact, wide = month_names()
    key = _fold(word)
    if key in exact:
        return exact[key]
    if len(key) >= 3:
        found = {month for name, month in wide.items() if name.startswith(key)}
        if len(found) == 1:
            return found.pop()
    return None


def parse_local_datetime(text: str) -> datetime:
    """A day-month-year date with an optional clock time, month named in one of :data:`LANGUAGES`.

    Day before or after the month ("8 Apr 2026, 16:50", "Jul 28, 2026, 6:49 PM"), ordinals
    ("23rd Jul 2020"), "a. m." / "p. m.", or ISO ("2026-04-08 16:50"). No time gives midnight.

    Raises
    ------
    ValueError
        Naming the word that is not a month, or what is missing.

    Examples
    --------
    >>> parse_local_datetime("8 Apr 2026, 16:50")
    datetime.datetime(2026, 4, 8, 16, 50)
    >>> parse_local_datetime("Jul 28, 2026, 6:49 PM")
    datetime.datetime(2026, 7, 28, 18, 49)
    >>> parse_local_datetime("5 Mai 2026, 07:34")
    datetime.datetime(2026, 5, 5, 7, 34)
    >>> parse_local_datetime("23rd Jul 2020")
    datetime.datetime(2020, 7, 23, 0, 0)
    >>> parse_local_datetime("8 Kwi 2026, 16:50")
    Traceback (most recent call last):
    ...
    ValueError: 'Kwi' is not a month name in English, Portuguese, Spanish, French, German or Italian
    """
    iso = _ISO.match(text)
    if iso:
        parts = [int(p) if p else 0 for p in iso.groups()]
        return datetime(*parts)  # type: ignore[arg-type, misc]
    hour = minute = second = 0
    clock = _CLOCK.search(text)
    rest = text
    if clock:
        hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        rest = text[:clock.start()] + " " + text[clock.end():]
        meridiem = _MERIDIEM.search(rest)
        if meridiem:
            if not 1 <= hour <= 12:
                raise ValueError(f"hour {hour} with {meridiem[0].strip()!r}")
            hour = hour % 12 + (12 if meridiem[1].lower() == "p" else 0)
            rest = rest[:meridiem.start()] + " " + rest[meridiem.end():]
    day = year = month = None
    for token in _TOKEN.findall(rest):
        if token.isdigit():
            if len(token) == 4 and year is None:
                year = int(token)
            elif len(token) <= 2 and day is None:
                day = int(token)
            else:
                raise ValueError(f"unexpected number {token!r}")
        elif _fold(token) in _FILLERS:
            continue
        elif month is None and (found := month_number(token)) is not None:
            month = found
        else:
            raise ValueError(f"{token!r} is not a month name in {LANGUAGE_NAMES}")
    if month is None:
        raise ValueError("no month name")
    if day is None or year is None:
        raise ValueError("no day" if day is None else "no year")
    return datetime(year, month, day, hour, minute, second)
