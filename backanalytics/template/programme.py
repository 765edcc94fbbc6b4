"""What a fill-in log holds: its options, its column headers, the guide's rules, the programme sheet.

The template (:mod:`backanalytics.template.workbook`, :mod:`backanalytics.template.paper`) writes
a log people fill in by hand; :func:`read_programme` reads its programme sheet back as the
prescription table the consistency metrics take. Names, kinds, target areas and dose guidance all
come from :mod:`backanalytics.catalog`; nothing here repeats them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from backanalytics import catalog
from backanalytics import columns as C

#: Sheet names of the workbook (the log sheets are named after the clients, or :data:`DEFAULT_SHEET`).
PROGRAMME_SHEET, HOWTO_SHEET = C.TEMPLATE_SHEETS
DEFAULT_SHEET = "Log"

#: The log sheet's header: the text a person reads, and the canonical column it maps to through
#: the alias table of :mod:`backanalytics.columns` (tested, so the two cannot drift apart).
LOG_HEADER: tuple[tuple[str, str], ...] = (
    ("Date", C.DATE), ("Stretch", C.STRETCH), ("Hold (s)", C.HOLD_S), ("Reps", C.REPS), ("Side", C.SIDE),
    ("Pain before", C.PAIN), ("Pain after", C.PAIN_AFTER), ("Flexibility", C.FLEXIBILITY), ("Notes", C.NOTES),
)

#: Programme sheet layout. Its headers name no log column ("Prescribed stretch", not "Stretch"), so
#: a log reader never mistakes it for a log sheet.
PROGRAMME_TITLE = "Stretching programme"
SESSIONS_CELL = "B2"
START_CELL = "B3"
PROGRAMME_HEADER_ROW = 5
PROGRAMME_HEADER = ("Prescribed stretch", "Kind", "Target areas", "Dose guidance")
#: Rows for prescribed stretches (the therapist may add stretches up to this many).
PROGRAMME_SLOTS = 30

#: The guide's pre-stretch rules, quoted ("The Best Back Stretches", Pre-Stretch Guidelines and
#: Incorporating Stretches into Daily Routine; shared/seed/back-stretches-guide.txt).
GUIDE_RULES: tuple[tuple[str, str], ...] = (
    ("Warm-Up", "Engage in a light warm-up to increase blood flow to the muscles. This could be a brisk "
     "walk or a few minutes of gentle jogging in place."),
    ("Gentle Approach", "Start with gentle stretches, gradually increasing intensity. Avoid bouncing or "
     "jerky movements to prevent muscle strain."),
    ("Listen to Your Body", "Pay attention to your body’s signals. Stretching should cause a feeling of "
     "mild tension, not pain. If a stretch hurts, ease up."),
    ("Consistency Over Intensity", "Regular, moderate stretching is more beneficial than infrequent, "
     "intense sessions."),
    ("Breathing", "Maintain normal, steady breathing during stretches. Holding your breath can increase "
     "tension in your muscles."),
    ("Consulting Professionals", "If you have a history of chronic back pain, injuries, or other health "
     "conditions, consult a healthcare professional like a physical therapist before starting a new "
     "stretching routine."),
    ("Track Progress", "Keep a log of your stretching routine to monitor progress and stay motivated."),
)
#: The rules printed at the foot of every paper page: the safety ones.
SAFETY_RULES = ("Listen to Your Body", "Gentle Approach", "Breathing", "Consulting Professionals")

#: Characters Excel refuses in a sheet name, and its length limit.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31
PAPER_SIZES = ("a4", "letter")


class TemplateError(ValueError):
    """Options a template cannot be made from, or a programme sheet that cannot be read (one line)."""


@dataclass(frozen=True)
class TemplateSpec:
    """Everything a fill-in log is made from (see :func:`make_spec`, which checks it).

    Attributes
    ----------
    clients
        Client ids, a log sheet (and a set of paper pages) each; empty for one unnamed log.
    stretches
        Prescribed stretches, catalog names.
    weeks, start
        Paper pages: ``weeks`` weeks from ``start``.
    paper
        ``"a4"`` or ``"letter"``.
    sessions_per_week
        Prescribed session days a week (the programme sheet's, read back as the prescription).
    """

    clients: tuple[str, ...] = ()
    stretches: tuple[str, ...] = tuple(s.name for s in catalog.STRETCHES)
    weeks: int = 4
    start: dt.date = field(default_factory=dt.date.today)
    paper: str = "a4"
    sessions_per_week: float = catalog.FREQUENCY_GUIDANCE["best"]

    @property
    def sheets(self) -> tuple[str, ...]:
        """The log sheets: one per client, or one sheet :data:`DEFAULT_SHEET`."""
        return self.clients or (DEFAULT_SHEET,)


def make_spec(clients: Sequence[str] = (), stretches: str | Sequence[str] | None = None, weeks: int = 4,
              start: str | dt.date | None = None, paper: str = "a4",
              sessions_per_week: float = catalog.FREQUENCY_GUIDANCE["best"]) -> TemplateSpec:
    """Check a template's options and return them as a :class:`TemplateSpec`.

    Parameters
    ----------
    clients
        Client ids; each gets a log sheet named after it (Excel's sheet-name rules apply: at most
        31 characters, none of ``[ ] : * ? / \\``). Empty: one sheet named ``Log``.
    stretches
        Prescribed stretches, any catalog name or alias, as a list or one text separated by commas
        or semicolons (default: the guide's 15, in the guide's order).
    weeks
        Weeks of paper log (1-52), one page each.
    start
        First day of the programme (default: today).
    paper
        ``"a4"`` or ``"letter"``.
    sessions_per_week
        Prescribed session days a week, more than 0 and at most 7.

    Raises
    ------
    TemplateError
        Naming the option and the value, and what to write instead.

    Examples
    --------
    >>> spec = make_spec(["anna"], "childs pose; cobra", weeks=2, start="2026-01-05")
    >>> spec.stretches, spec.sheets, spec.start
    (("Child's Pose", 'Cobra Stretch'), ('anna',), datetime.date(2026, 1, 5))
    >>> make_spec(stretches="handstand")
    Traceback (most recent call last):
    ...
    backanalytics.template.programme.TemplateError: --stretches: 'handstand' is not a catalog stretch; use names from: Cat-Cow, Child's Pose, Knee-to-Chest, Pelvic Tilts, Seated Spinal Twist, Sphinx Pose, Piriformis Stretch, Butterfly Stretch, Forward Bend, Supine Twist, Bridge Pose, Cobra Stretch, Downward-Facing Dog, Hip Flexor Stretch, Hamstring Stretch
    """  # noqa: E501
    names = _stretches(stretches)
    ids = (clients,) if isinstance(clients, str) else tuple(str(c) for c in clients)
    for client in ids:
        problem = sheet_name_problem(client)
        if problem:
            raise TemplateError(f"--client {client!r}: {problem}")
    folded = [c.casefold() for c in ids]
    reserved = {PROGRAMME_SHEET.casefold(), HOWTO_SHEET.casefold()}
    for client, key in zip(ids, folded, strict=True):
        if folded.count(key) > 1:
            raise TemplateError(f"--client {client!r} is given twice (sheet names ignore case)")
        if key in reserved:
            raise TemplateError(f"--client {client!r}: the workbook has a sheet of that name already; "
                                "use another id")
    if not 1 <= int(weeks) <= 52 or int(weeks) != weeks:
        raise TemplateError(f"--weeks {weeks}: write a whole number of weeks from 1 to 52")
    if paper.lower() not in PAPER_SIZES:
        raise TemplateError(f"--paper {paper!r}: use a4 or letter")
    if not 0 < float(sessions_per_week) <= 7:
        raise TemplateError(f"--sessions-per-week {sessions_per_week}: write more than 0 and at most 7 "
                            "session days a week (daily = 7)")
    try:
        day = dt.date.today() if start is None else pd.Timestamp(start).date()
    except (ValueError, TypeError):
        raise TemplateError(f"--start {start!r} is not a date (use YYYY-MM-DD)") from None
    return TemplateSpec(ids, names, int(weeks), day, paper.lower(), float(sessions_per_week))


def _stretches(stretches: str | Sequence[str] | None) -> tuple[str, ...]:
    if stretches is None:
        return tuple(s.name for s in catalog.STRETCHES)
    given = re.split(r"[;,]", stretches) if isinstance(stretches, str) else list(stretches)
    names: list[str] = []
    for text in (str(g).strip() for g in given):
        if not text:
            continue
        name = catalog.canonical_name(text)
        if name is None:
            known = ", ".join(s.name for s in catalog.STRETCHES)
            raise TemplateError(f"--stretches: {text!r} is not a catalog stretch; use names from: {known}")
        if name not in names:
            names.append(name)
    if not names:
        raise TemplateError("--stretches names no stretch")
    if len(names) > PROGRAMME_SLOTS:
        raise TemplateError(f"--stretches: at most {PROGRAMME_SLOTS} stretches")
    return tuple(names)


def sheet_name_problem(name: str) -> str | None:
    """Why Excel would refuse ``name`` as a sheet name (None when it is fine).

    Examples
    --------
    >>> sheet_name_problem("anna") is None
    True
    >>> print(sheet_name_problem("a/b"))
    a sheet name cannot hold any of [ ] : * ? / \\; choose an id without them
    """
    if not name.strip():
        return "a sheet name cannot be blank"
    if len(name) > SHEET_NAME_MAX:
        return f"a sheet name holds at most {SHEET_NAME_MAX} characters ({len(name)} given)"
    if _SHEET_FORBIDDEN.search(name):
        return "a sheet name cannot hold any of [ ] : * ? / \\; choose an id without them"
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) < 0xE000 or ord(ch) in (0x7F, 0xFFFE, 0xFFFF) for ch in name):
        return "a sheet name cannot hold control characters (tabs, line breaks ...)"
    if name.startswith("'") or name.endswith("'") or name.casefold() == "history":
        return "Excel refuses this sheet name (a quote at either end, or 'History')"
    return None


def dose_hint(name: str) -> str:
    """The catalog's dose guidance for a stretch, in a few words (hold per rep, reps).

    Examples
    --------
    >>> dose_hint("Cobra Stretch"), dose_hint("Cat-Cow"), dose_hint("Bridge Pose")
    ('hold 10-30 s, 2-4 reps', '5-15 reps', '8-15 reps')
    """
    kind = catalog.kind_of(name)
    if kind is None:
        return ""
    g = catalog.DOSE_GUIDANCE[kind]
    reps = f"{g['reps_min']:g}-{g['reps_max']:g} reps"
    if g["hold_min"] is None or g["hold_max"] is None:
        return reps
    return f"hold {g['hold_min']:g}-{g['hold_max']:g} s, {reps}"


def read_programme(path: str | Path, clients: Sequence[str] | None = None) -> pd.DataFrame | None:
    """A template workbook's programme sheet as the prescription table (None without one).

    The programme applies to every log sheet of its workbook: one row per client with
    ``client_id``, ``sessions_per_week``, ``start`` (NaT when blank) and ``stretches`` (catalog
    names joined by ``;``), the shape ``consistency(prescription=...)`` takes.

    Parameters
    ----------
    path
        The ``.xlsx`` written by ``backanalytics template`` (and filled in).
    clients
        The clients it applies to, e.g. those the log reader found (default: the workbook's log
        sheets, i.e. every sheet but the programme and the instructions).

    Raises
    ------
    TemplateError
        When the programme sheet exists but a cell cannot be read (naming the cell and the value).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from backanalytics.template import make_spec, write_workbook
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.xlsx"
    >>> write_workbook(make_spec(["anna", "ben"], "Cat-Cow,Cobra", start="2026-01-05"), path)
    >>> read_programme(path).to_dict("records")[0]
    {'client_id': 'anna', 'sessions_per_week': 7.0, 'start': Timestamp('2026-01-05 00:00:00'), 'stretches': 'Cat-Cow;Cobra Stretch'}
    """  # noqa: E501
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TemplateError(f"{Path(path).name}: not a readable workbook ({type(exc).__name__})") from None
    try:
        if PROGRAMME_SHEET not in book.sheetnames:
            return None
        sheet = book[PROGRAMME_SHEET]
        where = f"{Path(path).name}, sheet {PROGRAMME_SHEET!r}"
        header = sheet.cell(PROGRAMME_HEADER_ROW, 1).value
        if header != PROGRAMME_HEADER[0]:
            return None  # a sheet of that name, but not a template's programme
        spw = _sessions(sheet[SESSIONS_CELL].value, f"{where}, cell {SESSIONS_CELL}")
        start = _start(sheet[START_CELL].value, f"{where}, cell {START_CELL}")
        names: list[str] = []
        first = PROGRAMME_HEADER_ROW + 1
        for (value,) in sheet.iter_rows(min_row=first, max_row=first + PROGRAMME_SLOTS - 1, max_col=1,
                                        values_only=True):
            text = "" if value is None else str(value).strip()
            if text:
                name = catalog.canonical_name(text) or text
                if name not in names:
                    names.append(name)
        if clients is None:
            clients = [s for s in book.sheetnames if s not in (PROGRAMME_SHEET, HOWTO_SHEET)]
    finally:
        book.close()
    return pd.DataFrame({C.CLIENT_ID: pd.Series(list(clients), dtype=object),
                         "sessions_per_week": spw, "start": start,
                         "stretches": ";".join(names) if names else None})


def _sessions(value: object, where: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return catalog.FREQUENCY_GUIDANCE["best"]
    try:
        number = float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not 0 < number <= 7:
        raise TemplateError(f"{where}: sessions per week {value!r} is not a number more than 0 and at most 7; "
                            "write the prescribed session days a week (daily = 7)")
    return number


def _start(value: object, where: str) -> pd.Timestamp:
    if value is None or (isinstance(value, str) and not value.strip()):
        return pd.NaT
    if isinstance(value, dt.datetime | dt.date):
        return pd.Timestamp(value).normalize()
    try:
        return pd.Timestamp(str(value).strip()).normalize()
    except (TypeError, ValueError):
        raise TemplateError(f"{where}: programme start {value!r} is not a date; write it as YYYY-MM-DD "
                            "or leave it blank") from None
