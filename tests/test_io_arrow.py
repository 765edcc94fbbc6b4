"""The pyarrow fast path for large CSV files gives exactly what the careful pandas path gives."""

import numpy as np
import pandas as pd
import pytest

from backanalytics.columns import SOURCE_LINE
from backanalytics.io import read_csv as bio

HEADER = "client_id,date,stretch,pain,notes\n"

CASES = {
    "plain": HEADER + "a,2026-01-05,Cobra,5,\nb,2026-01-06,Cat-Cow,,hi\n",
    "no final newline": HEADER + "a,2026-01-05,Cobra,5,\nb,2026-01-06,Cat-Cow,,hi",
    "crlf": (HEADER + "a,2026-01-05,Cobra,5,\nb,2026-01-06,Cat-Cow,,hi\n").replace("\n", "\r\n"),
    "old mac cr": (HEADER + "a,2026-01-05,Cobra,5,\n").replace("\n", "\r"),
    "utf-8 bom": "\ufeff" + HEADER + "a,2026-01-05,Cobra,5,\n",
    "quoted delimiter": HEADER + 'a,2026-01-05,Cobra,5,"tight, then loose"\n',
    "quoted quote": HEADER + 'a,2026-01-05,Cobra,5,"a ""click"""\n',
    "quoted newline": HEADER + 'a,2026-01-05,Cobra,5,"two\nlines"\nb,2026-01-06,Cobra,4,\n',
    "blank line": HEADER + "a,2026-01-05,Cobra,5,\n\nb,2026-01-06,Cobra,4,\n",
    "spaces-only line": HEADER + "a,2026-01-05,Cobra,5,\n   \nb,2026-01-06,Cobra,4,\n",
    "row too long": HEADER + "a,2026-01-05,Cobra,5,x,y\nb,2026-01-06,Cobra,4,\n",
    "row too short": HEADER + "a,2026-01-05,Cobra\nb,2026-01-06,Cobra,4,\n",
    "semicolons": HEADER.replace(",", ";") + "a;2026-01-05;Cobra;7,5;\n",
    "tabs": HEADER.replace(",", "\t") + "a\t2026-01-05\tCobra\t5\t\n",
    "duplicate header": "client_id,date,date,pain\na,2026-01-05,2026-01-06,5\n",
    "empty header name": "client_id,date,,pain\na,2026-01-05,x,5\n",
    "leading zeros and spaces kept": HEADER + "007, 2026-01-05 ,Cobra,05.50,  \n",
    "empty quoted cells": HEADER + 'a,2026-01-05,"","",""\n',
    "only delimiters": HEADER + ",,,,\n",
}


def _both(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, pd.DataFrame]:
    monkeypatch.setattr(bio, "ARROW_MIN_BYTES", 0)
    fast = bio.read_csv_text(data)
    monkeypatch.setattr(bio, "ARROW_MIN_BYTES", 1 << 62)
    careful = bio.read_csv_text(data)
    return fast, careful


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_equals_careful_path(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, careful = _both(CASES[case].encode("utf-8"), monkeypatch)
    pd.testing.assert_frame_equal(fast, careful)


def test_fast_path_equals_careful_path_for_cp1252(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, careful = _both((HEADER + "José,2026-01-05,Cobra,5,\n").encode("cp1252"), monkeypatch)
    pd.testing.assert_frame_equal(fast, careful)
    assert fast.loc[0, "client_id"] == "José"


def test_fast_path_equals_careful_path_for_utf16(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, careful = _both((HEADER + "a,2026-01-05,Cobra,5,\n").encode("utf-16"), monkeypatch)
    pd.testing.assert_frame_equal(fast, careful)


def test_fast_path_keeps_exact_line_numbers_on_a_generated_log(monkeypatch: pytest.MonkeyPatch) -> None:
    from backanalytics.sample import generate_log

    log = generate_log(n_clients=30, days=30, seed=3)
    data = log.to_csv(index=False).encode("utf-8")
    fast, careful = _both(data, monkeypatch)
    pd.testing.assert_frame_equal(fast, careful)
    assert fast[SOURCE_LINE].tolist() == list(range(2, len(log) + 2))


def test_fast_path_is_taken_for_large_plain_files() -> None:
    rows = "".join(f"c{i},2026-01-05,Cobra,5,\n" for i in range(60_000))
    data = (HEADER + rows).encode("utf-8")
    assert len(data) >= bio.ARROW_MIN_BYTES
    assert bio._read_csv_arrow(data) is not None
    assert len(bio.read_csv_text(data)) == 60_000


@pytest.mark.parametrize("layout", ["chunks", "slice", "sliced chunks"])
def test_blanking_text_cells_shares_the_buffers_and_equals_mask(layout):
    # The valid table blanks empty text cells by a new validity bitmap over the same buffers;
    # chunk offsets (slices) and nulls already present must come out as Series.mask would.
    import pyarrow as pa

    from backanalytics.schema import _blank_out

    rng = np.random.default_rng(5)
    cells = [None if rng.random() < 0.1 else ("" if rng.random() < 0.3 else f"n{i}") for i in range(5000)]
    whole = pa.array(cells, pa.large_string())
    arrow = {"chunks": pa.chunked_array([whole.slice(0, 1500), whole.slice(1500)]),
             "slice": pa.chunked_array([whole.slice(1234, 3000)]),
             "sliced chunks": pa.chunked_array([whole.slice(7, 100), whole.slice(107, 2893)])}[layout]
    column = pd.Series(pd.array(arrow, dtype=pd.StringDtype(na_value=np.nan)))
    missing = rng.random(len(column)) < 0.2
    got = _blank_out(column, missing)
    pd.testing.assert_series_equal(got, column.mask(missing))
    assert got.array._pa_array.chunk(0).buffers()[2].address == arrow.chunk(0).buffers()[2].address
