"""Fuzz ``backanalytics.validate`` with mutated copies of the sample CSV.

Each input is a random slice of ``data/sample_logs.csv`` (the header plus 5-150 lines) damaged by
1-8 random mutations: byte flips, inserted delimiters / quotes / newlines / NUL bytes, cells
replaced by edge values (9999-12-31, 1e20, 25:61, an unquoted comma...), deleted or duplicated
lines, truncation, random unicode, a changed encoding or line ending, digits of other scripts
(``٣``, ``３``), column floods (thousands of delimiters in the header or a row) and encoding
splices (one line in Windows-1252 inside UTF-8). ``validate`` must either return a report or raise
:class:`backanalytics.io.LogReadError` (an input it cannot use). One input in ten (``--excel``) is
instead written as a workbook whose random cells are Excel error cells (``#DIV/0!``...) or formulas
without a saved value: each such row must carry its text in ``cell_errors``, no other row may.

Counted per input:

* crash: any other exception (a bug: the user would see a traceback);
* conservation violation (or a silent Excel blank): ``len(valid) + len(rejected) != rows_read``, a source
  line rejected twice (unless it was shaped into several rows), a failure on a line that was not rejected, or
  ``lines_read`` differing from the number of
  non-blank records Python's csv module reads with the same delimiter (a silently dropped or
  invented row).

Run: ``make fuzz`` or ``python benchmarks/fuzz_validate.py --n 2000 --seed 1``; exits 1 when
anything was found, printing the first few failing inputs (saved under ``--save`` if given).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backanalytics.io import LogReadError  # noqa: E402
from backanalytics.io.read_csv import _field_limit  # noqa: E402
from backanalytics.io.text import decode, sep_line, sniff_delimiter  # noqa: E402
from backanalytics.schema import validate  # noqa: E402

SAMPLE = ROOT / "data" / "sample_logs.csv"
INSERTS = [b",", b";", b"\t", b'"', b'""', b"\n", b"\r", b"\r\n", b"\x00", b",,,", b'"\n"', b"\\",
           b"\xef\xbb\xbf", b"\xff\xfe", b"nan", b"inf", b"-", b"=1+1", b"9999-12-31", b"1e400"]
UNICODE = ["é", "ß", "日本", "🙂", "\u2028", "\u200b", "\ufeff", "\x85", "Ω", "\u202e"]
#: Whole-cell replacements: values at the edges of every rule and of the parsers.
CELLS = [b"", b" ", b"9999-12-31", b"0001-01-01", b"2262-04-12", b"1e20", b"-1e20", b"1e400", b"inf",
         b"NaN", b"n/a", b"-", b"7,5", b"0", b"-0", b"601", b"2.5", b"2026-01-05T25:00", b"2026-02-30",
         b"2026-01-05T08:00:00+99:99", b"5 Jan 2026", b"05.01.2026", b"20260105", b'"a,b"', b"a,b",
         b'"unclosed', b'"x\ny"', b"=1+1", b"\tx", b"L", b"both sides", b"true", b"yes", b"x" * 300,
         b"\xc3\xa9", b"\xe9", b"12:00", b"25:61", b"8:05"]
#: Digits of other scripts (Arabic-Indic, fullwidth, Bengali, NKo, mathematical bold).
DIGITS = ["\u0663", "\uff13", "\u09e9", "\u07c3", "\U0001d7d1"]
#: Excel error cells and formulas written without a saved value.
EXCEL_PROBLEMS = ["#DIV/0!", "#VALUE!", "#N/A", "#REF!", "#NAME?", "#NUM!", "=1+2", "=A1", "=SUM(B2:B3)"]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """Apply 1-8 random mutations; return the bytes and the names of the mutations."""
    out = bytearray(data)
    names = []
    for _ in range(rng.randint(1, 8)):
        kind = rng.choice(["flip", "insert", "delete_line", "duplicate_line", "truncate", "unicode",
                           "encoding", "line_ends", "swap_header", "unicode_digit", "column_flood",
                           "encoding_splice", *["cell"] * 6])
        names.append(kind)
        pos = rng.randrange(len(out) + 1) if out else 0
        if kind == "flip" and out:
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
        elif kind == "insert":
            out[pos:pos] = rng.choice(INSERTS)
        elif kind in ("delete_line", "duplicate_line"):
            lines = bytes(out).split(b"\n")
            i = rng.randrange(len(lines))
            if kind == "delete_line":
                del lines[i]
            else:
                lines.insert(i, lines[i])
            out = bytearray(b"\n".join(lines))
        elif kind == "truncate":
            del out[pos:]
        elif kind == "unicode":
            out[pos:pos] = rng.choice(UNICODE).encode("utf-8")
        elif kind == "encoding":
            text = bytes(out).decode("utf-8", errors="replace")
            out = bytearray(text.encode(rng.choice(["utf-16", "utf-16-le", "latin-1", "utf-8-sig"]),
                                        errors="replace"))
        elif kind == "line_ends":
            out = bytearray(bytes(out).replace(b"\n", rng.choice([b"\r\n", b"\r"])))
        elif kind == "cell":
            lines = bytes(out).split(b"\n")
            i = rng.randrange(len(lines))
            cells = lines[i].split(b",")
            cells[rng.randrange(len(cells))] = rng.choice(CELLS)
            lines[i] = b",".join(cells)
            out = bytearray(b"\n".join(lines))
        elif kind == "unicode_digit":
            digits = [i for i, b in enumerate(out) if 48 <= b <= 57]
            if digits:
                i = rng.choice(digits)
                out[i:i + 1] = rng.choice(DIGITS).encode("utf-8")
        elif kind == "column_flood":
            lines = bytes(out).split(b"\n")
            i = 0 if rng.random() < 0.5 else rng.randrange(len(lines))
            lines[i] += rng.choice([b",", b";", b"\t"]) * rng.choice([50, 3000, 17000])
            out = bytearray(b"\n".join(lines))
        elif kind == "encoding_splice":
            lines = bytes(out).split(b"\n")
            i = rng.randrange(len(lines))
            text = lines[i].decode("utf-8", errors="replace").replace("\ufffd", "?")
            lines[i] = (text + ",Jos\u00e9 Ren\u00e9e").encode("cp1252", errors="replace")
            out = bytearray(b"\n".join(lines))
        elif kind == "swap_header":
            lines = bytes(out).split(b"\n", 1)
            cells = lines[0].split(b",")
            rng.shuffle(cells)
            out = bytearray(b",".join(cells) + (b"\n" + lines[1] if len(lines) > 1 else b""))
    return bytes(out), names


def csv_record_count(data: bytes) -> int | None:
    """Non-blank data records per Python's csv module (None when it cannot tell)."""
    try:
        text, sep = sep_line(decode(data, "fuzz")[0].replace("\r\n", "\n").replace("\r", "\n"))
        with _field_limit(len(text)):  # as the reader does: fields may exceed the csv default
            records = list(csv.reader(io.StringIO(text), delimiter=sep or sniff_delimiter(text), strict=True))
    except (LogReadError, csv.Error):
        return None
    blank = [not r or (len(r) == 1 and r[0] != "" and not r[0].strip(" \t")) for r in records]
    kept = [r for r, b in zip(records, blank, strict=True) if not b]
    return max(len(kept) - 1, 0)


def check(data: bytes, folder: Path) -> str | None:
    """Validate one input; return None when it behaved, else what went wrong."""
    path = folder / "fuzz.csv"
    path.write_bytes(data)
    try:
        report = validate(path, today="2026-12-31")
    except LogReadError as exc:
        if "\n" in str(exc):
            return f"multi-line error message: {str(exc)[:200]!r}"
        return None
    except Exception:
        return "crash: " + traceback.format_exc(limit=-3)
    problems = []
    if len(report.valid) + len(report.rejected) != report.rows_read:
        problems.append(f"valid {len(report.valid)} + rejected {len(report.rejected)} != rows {report.rows_read}")
    lines = report.rejected["source_line"]
    if lines.duplicated().any() and report.lines_read == report.rows_read:  # a list cell: one row per stretch
        problems.append("a source line is rejected twice")
    if not set(report.failures["source_line"]) <= set(lines):
        problems.append("a failure names a line that was not rejected")
    expected = csv_record_count(data)
    if expected is not None and expected != report.lines_read:
        problems.append(f"csv module reads {expected} records, validate read {report.lines_read}")
    return "; ".join(problems) or None


def check_excel(chunk: bytes, folder: Path, rng: random.Random) -> str | None:
    """Write the clean slice as a workbook with random problem cells; each must be named on its row."""
    import openpyxl

    from backanalytics.io import read_table

    rows = list(csv.reader(io.StringIO(chunk.decode("utf-8"))))
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    hit: set[int] = set()
    for _ in range(rng.randint(1, 6)):
        r, c = rng.randrange(2, len(rows) + 1), rng.randrange(1, len(rows[0]) + 1)
        problem = rng.choice(EXCEL_PROBLEMS)
        cell = sheet.cell(row=r, column=c, value=problem)
        if problem.startswith("#"):
            cell.data_type = "e"
        hit.add(r)
    path = folder / "fuzz.xlsx"
    book.save(path)
    try:
        raw = read_table(path)
        report = validate(path, today="2026-12-31")
    except LogReadError as exc:
        return f"workbook refused: {exc}"
    except Exception:
        return "crash: " + traceback.format_exc(limit=-3)
    problems = []
    if len(raw) != len(rows) - 1 or report.rows_read != len(rows) - 1:
        problems.append(f"{len(rows) - 1} rows written, {len(raw)} read")
    named = set(raw.loc[raw.get("cell_errors", pd.Series("", index=raw.index)).ne(""), "source_line"])
    if named != hit:
        problems.append(f"problem cells on sheet rows {sorted(hit)}, cell_errors on {sorted(named)}")
    if len(report.valid) + len(report.rejected) != report.rows_read:
        problems.append(f"valid {len(report.valid)} + rejected {len(report.rejected)} != rows {report.rows_read}")
    return "; ".join(problems) or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="inputs to try (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", type=Path, help="folder to save failing inputs in")
    parser.add_argument("--excel", type=float, default=0.1, help="share of inputs written as workbooks")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    lines = SAMPLE.read_bytes().split(b"\n")
    header, body = lines[0], [line for line in lines[1:] if line]
    found: Counter[str] = Counter()
    examples: list[tuple[str, list[str], bytes]] = []
    outcomes: Counter[str] = Counter()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.n):
            first = rng.randrange(len(body))
            chunk = b"\n".join([header, *body[first:first + rng.randint(5, 150)]]) + b"\n"
            if rng.random() < args.excel:
                data, names = chunk, ["excel_problem_cells"]
                problem = check_excel(chunk, Path(tmp), rng)
            else:
                data, names = mutate(chunk, rng)
                problem = check(data, Path(tmp))
            if problem is None:
                outcomes["ok"] += 1
                continue
            kind = "crash" if problem.startswith("crash") else "conservation"
            found[kind] += 1
            if len(examples) < 5:
                examples.append((problem, names, data))
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"fuzz_{i:05d}.csv").write_bytes(data)
    seconds = time.perf_counter() - start
    print(f"inputs tried: {args.n} (seed {args.seed}) in {seconds:.0f} s")
    print(f"crashes (exceptions other than LogReadError): {found['crash']}")
    print(f"conservation violations / multi-line messages: {found['conservation']}")
    for problem, names, data in examples:
        print(f"\n--- {', '.join(names)}: {problem.strip()}\n{data[:300]!r}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
