"""Output safety for untrusted text: spreadsheet formulas, file names, atomic writes.

References: OWASP "CSV Injection" (cells starting with = + - @ tab or carriage return are
interpreted as formulas by spreadsheet programs; prefix them with a single quote).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from backanalytics.interrupt import check as check_interrupt
from backanalytics.interrupt import sigint_deferred

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with a single quote.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("fine"), neutralise(-3)
    ('\\'=HYPERLINK("http://x")', 'fine', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe_cell(value: object) -> object:
    """:func:`neutralise`, then carriage returns as line feeds.

    pandas' CSV writer quotes cells holding ``\n`` but not a bare ``\r``, which spreadsheet
    programs read as a row break: ``"x\r=1+1"`` would start a new row with a live formula.
    """
    value = neutralise(value)
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Neutralise formulas in every text cell (and text column header) of a table."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].astype(object).map(_safe_cell)
    out.columns = [_safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    if isinstance(out.index, pd.Index) and (out.index.dtype == object
                                            or pd.api.types.is_string_dtype(out.index)):
        out.index = out.index.map(_safe_cell)
    return out


def safe_filename(client_id: str, suffix: str = "") -> str:
    """A file name built from an untrusted client id that cannot leave its folder.

    Keeps letters, digits, ``-`` and ``_``; anything else becomes ``_``; a short hash of the
    original id is appended when characters were replaced, so distinct ids stay distinct.

    Examples
    --------
    >>> safe_filename("anna", ".html")
    'anna.html'
    >>> safe_filename("../../etc/x", ".html").startswith("etc_x-")
    True
    """
    text = unicodedata.normalize("NFKD", str(client_id)).encode("ascii", "ignore").decode()
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_-")[:60]
    # Upper case gets a hash too: "Anna" and "anna" must not share a file on macOS / Windows,
    # whose file systems ignore case; so do Windows device names ("con", "nul", "com1" ...).
    if (clean != str(client_id) or not clean or clean != clean.lower()
            or clean.upper() in _WINDOWS_DEVICES):
        digest = hashlib.sha256(str(client_id).encode("utf-8")).hexdigest()[:8]
        clean = f"{clean or 'client'}-{digest}"
    return clean + suffix


#: Names Windows reserves for devices, with or without an extension.
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10))}


def inside(folder: Path, name: str) -> Path:
    """Join a sanitised name to a folder, refusing anything that would resolve outside it."""
    folder = Path(folder).resolve()
    target = (folder / name).resolve()
    if folder not in target.parents:
        raise ValueError(f"refusing to write outside {folder}: {name!r}")
    return target


def current_umask() -> int:
    """The process's file-mode creation mask, read without changing it where the OS allows.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by setting and restoring it
    (the only portable way), which is momentary.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _final_mode(path: Path) -> int:
    """The permissions ``open(path, "w")`` would leave: an existing file's own, else 0666 & ~umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds.

    An interrupted or failing write never leaves a half-written file at ``path``. The temporary
    file is private while it is written (``mkstemp``: mode 0600); before the rename it gets the
    permissions a plain ``open(path, "w")`` would give: those of the file it replaces, or
    ``0666 & ~umask`` for a new one (so a report is as readable as any other file the user writes).
    A Ctrl-C recorded by :mod:`backanalytics.interrupt` while the block ran, even one swallowed on
    the way, discards the file instead of renaming it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        with sigint_deferred():  # a Ctrl-C between creating and naming the file would leave it behind
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
            os.close(fd)
        yield Path(tmp)
        check_interrupt()  # a Ctrl-C swallowed while writing (e.g. in a __del__) stops here, not after
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
