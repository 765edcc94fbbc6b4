"""Loop export file access: an unzipped folder or a zip read member by member, with bomb guards."""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

_SQLITE_MAGIC = b"SQLite format 3\x00"


class _DirFiles:
    """An unzipped export folder (Habits.csv at its top or one folder down)."""

    def __init__(self, root: Path) -> None:
        if (root / "Habits.csv").is_file():
            self.root = root
        else:
            inner = [p for p in root.iterdir() if p.is_dir() and (p / "Habits.csv").is_file()]
            if len(inner) != 1:
                raise ValueError(f"no Habits.csv found in {root} (is this a Loop CSV export?)")
            self.root = inner[0]
        self.label = self.root.name

    def folders(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and (p / "Checkmarks.csv").is_file())

    def read_text(self, relative: str) -> str:
        return (self.root / relative).read_bytes().decode("utf-8-sig", errors="replace")


class _ZipFiles:
    """A zipped export, read member by member into memory; never extracted to disk."""

    def __init__(self, path: Path, *, max_bytes: int, max_members: int) -> None:
        self.label = path.name
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"cannot open zip {path.name}: {exc}") from exc
        try:
            infos = self.zip.infolist()
            if len(infos) > max_members:
                raise ValueError(f"unsafe zip {path.name}: {len(infos)} members (limit "
                                 f"{max_members})")
            declared = 0
            for info in infos:
                _check_member_name(info.filename, path.name)
                declared += info.file_size
            # Declared sizes are checked up front so a bomb is refused before any inflation;
            # reads are metered too in case the headers lie.
            if declared > max_bytes:
                raise ValueError(f"unsafe zip {path.name}: {declared} bytes uncompressed (limit "
                                 f"{max_bytes})")
        except BaseException:
            self.zip.close()
            raise
        self.budget = max_bytes
        self.names = {PurePosixPath(i.filename): i for i in infos if not i.is_dir()}
        tops = [n for n in self.names if n.name == "Habits.csv"]
        if not tops:
            self.zip.close()
            raise ValueError(f"no Habits.csv in {path.name} (is this a Loop CSV export?)")
        self.root = min(tops, key=lambda n: len(n.parts)).parent

    def __enter__(self) -> _ZipFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def folders(self) -> list[str]:
        depth = len(self.root.parts)
        out = {n.parts[depth] for n in self.names
               if len(n.parts) == depth + 2 and n.parent.parent == self.root
               and n.name == "Checkmarks.csv"}
        return sorted(out)

    def read_text(self, relative: str) -> str:
        info = self.names[self.root / relative]
        chunks = []
        try:
            with self.zip.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    self.budget -= len(chunk)
                    if self.budget < 0:
                        raise ValueError(f"unsafe zip {self.label}: inflates past the size limit")
                    chunks.append(chunk)
        except (RuntimeError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            # Encrypted members, bad CRCs and unsupported compression all end here.
            raise ValueError(f"cannot read {info.filename} from {self.label}: {exc}") from exc
        return b"".join(chunks).decode("utf-8-sig", errors="replace")


def _check_member_name(name: str, label: str) -> None:
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise ValueError(f"unsafe zip {label}: absolute member path {name!r}")
    if ".." in parts or "\x00" in name:
        raise ValueError(f"unsafe zip {label}: member path escapes the archive {name!r}")


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
