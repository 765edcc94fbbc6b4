"""Turn the bytes of a text log into text: encodings, binary garbage, Excel's ``sep=`` line."""

from __future__ import annotations

import unicodedata

from backanalytics.io.common import LogReadError, ReadWarning

#: Warnings listed one by one for lines in another encoding; the rest are counted in one more.
MAX_LINE_WARNINGS = 20


def decode(data: bytes, name: str) -> tuple[str, list[ReadWarning]]:
    """Decode text: UTF-8 (with or without BOM), UTF-16 (BOM or not), else Windows-1252 / Latin-1.

    A UTF-8 file with a few lines in Windows-1252 (a line pasted from an old program) keeps its
    UTF-8 lines as UTF-8: only the lines that are not UTF-8 are decoded on their own, each named
    in a warning. Raises :class:`LogReadError` for binary content (many control characters,
    NUL bytes included, in the first 4 kB), so garbage is named as such instead of failing later
    as "no header"; a single NUL inside a note is a character like any other, wherever it sits.

    Examples
    --------
    >>> decode("José,1\\n".encode() + "José,2\\n".encode("cp1252"), "log.csv")[0]
    'José,1\\nJosé,2\\n'
    >>> decode("José,1\\n".encode() + "José,2\\n".encode("cp1252"), "log.csv")[1][0][:2]
    ('encoding', 'line 2')
    """
    head = data[:4096]
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_bom(head)
    warnings: list[ReadWarning] = []
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise LogReadError(f"{name}: broken UTF-16 text ({exc.reason})") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text, warnings = _decode_mixed(data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    sample = text[:4096]
    controls = sum(1 for ch in sample if ch not in "\t\n\r" and unicodedata.category(ch) == "Cc")
    if controls > max(4, 0.05 * len(sample)):
        raise LogReadError(f"{name}: this is a binary file, not a CSV text file")
    return text, warnings


def _legacy(data: bytes) -> str:
    """Windows-1252, which spreadsheet programs on Windows still write; Latin-1 for its 5 holes."""
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _decode_mixed(data: bytes) -> tuple[str, list[ReadWarning]]:
    """Text that is not all UTF-8: each line that is not UTF-8 decoded on its own as Windows-1252.

    When no line holds UTF-8 beyond ASCII, the file is simply a Windows-1252 file (no warning).
    Each failing line costs one partial decode, so the work stays linear in the file's size.
    """
    view = memoryview(data)
    parts: list[str] = []
    bad: list[tuple[int, str]] = []  # (line number, the line as read)
    utf8_beyond_ascii = False
    pos, line_no = 0, 1
    while pos < len(data):
        try:
            part = str(view[pos:], "utf-8")
        except UnicodeDecodeError as exc:
            at = pos + exc.start
            start = data.rfind(b"\n", pos, at) + 1 or pos
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            part = str(view[pos:start], "utf-8")
            line_no += data.count(b"\n", pos, start)
            legacy = _legacy(data[start:end])
            bad.append((line_no, legacy))
            parts += [part, legacy]
            line_no += data.count(b"\n", start, end)
            pos = end
        else:
            parts.append(part)
            pos = len(data)
        utf8_beyond_ascii = utf8_beyond_ascii or not part.isascii()
    if not utf8_beyond_ascii:
        return _legacy(data), []
    warnings = [("encoding", f"line {n}", "not UTF-8 like the rest of the file: this line was read as "
                 f"Windows-1252 (cp1252): {line.strip()[:80]!r}; check its names and notes")
                for n, line in bad[:MAX_LINE_WARNINGS]]
    if len(bad) > MAX_LINE_WARNINGS:
        warnings.append(("encoding", f"{len(bad) - MAX_LINE_WARNINGS} more lines",
                         "not UTF-8 like the rest of the file: read as Windows-1252 (cp1252)"))
    return "".join(parts), warnings


def _utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" when the bytes look like BOM-less UTF-16 text (ASCII mostly)."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4 or b"\x00" not in head:
        return None
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter from the header line: the most frequent of , ; tab |.

    Examples
    --------
    >>> sniff_delimiter("client_id;date;pain\\n"), sniff_delimiter("a\\tb\\n")
    (';', '\\t')
    """
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in [",", ";", "\t", "|"]}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def sep_line(text: str) -> tuple[str, str | None]:
    """Split off Excel's ``sep=;`` first line: (the text after it, the delimiter it names).

    Examples
    --------
    >>> sep_line("sep=;\\nclient_id;date\\n")
    ('client_id;date\\n', ';')
    >>> sep_line("client_id,date\\n")
    ('client_id,date\\n', None)
    """
    first, newline, rest = text.partition("\n")
    first = first.rstrip("\r")
    if len(first) == 5 and first[:4].lower() == "sep=" and newline:
        return rest, first[4]
    return text, None
