"""Report charts' PNGs (:mod:`backanalytics.report.png`): read back by Pillow and by the PDF's check
with the pixels they were given, the same pixels Pillow's own writer gives a real chart."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from backanalytics.report.png import rgb_png


def read(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    image.verify()  # every chunk's CRC and the IEND
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGB" and "transparency" not in image.info
    return np.asarray(image)


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("pad", [0, 1, 15])
def test_pixels_come_back_with_white_padding_and_no_alpha(channels, pad):
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (37, 53, channels), dtype=np.uint8)
    got = read(rgb_png(pixels, pad=pad))
    assert got.shape == (37 + 2 * pad, 53 + 2 * pad, 3)
    np.testing.assert_array_equal(got[pad:pad + 37, pad:pad + 53], pixels[..., :3])
    inside = np.zeros(got.shape[:2], bool)
    inside[pad:pad + 37, pad:pad + 53] = True
    assert (got[~inside] == 255).all()


def test_a_strided_view_is_written_as_the_pixels_it_shows():
    rng = np.random.default_rng(3)
    rgba = rng.integers(0, 256, (60, 80, 4), dtype=np.uint8)
    view = rgba[5:50, 7:71]  # what to_data_uri hands over: a crop of the canvas, not contiguous
    np.testing.assert_array_equal(read(rgb_png(view, pad=2))[2:-2, 2:-2], view[..., :3])


def test_the_file_is_signature_header_rows_end_and_the_pdf_takes_its_rows_as_they_are():
    from backanalytics.report.pdf_charts import png_pixels

    pixels = np.full((4, 5, 3), 200, np.uint8)
    png = rgb_png(pixels, level=9)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR" and struct.unpack(">IIBBBBB", png[16:29]) == (5, 4, 8, 2, 0, 0, 0)
    assert png[-12:] == struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    width, height, rows = png_pixels(png)
    assert (width, height) == (5, 4)
    raw = zlib.decompress(rows)
    assert raw == (b"\x00" + bytes([200]) * 15) * 4  # each row: filter 0, then its pixels


@pytest.mark.parametrize("bad", [np.zeros((3, 4), np.uint8), np.zeros((3, 4, 2), np.uint8),
                                 np.zeros((3, 4, 3), np.float32), np.zeros((0, 4, 3), np.uint8)])
def test_anything_but_8_bit_rgb_or_rgba_pixels_is_refused(bad):
    with pytest.raises(ValueError, match=r"rgb_png wants|a PNG is"):
        rgb_png(bad)


def test_a_report_chart_has_the_pixels_pillows_writer_gives_it():
    """hugo's charts as the report crops them, written by Pillow (the way before) and by rgb_png."""
    import backanalytics as ba
    from backanalytics.report import figures
    from backanalytics.report.content import compute_metrics
    from tests.conftest import SAMPLE

    drawn = []
    find_box = figures._drawn_box

    def keep(rgba):
        box = find_box(rgba)
        drawn.append((rgba.copy(), box))
        return box

    figures._drawn_box = keep
    try:
        embedded = figures.client_figures(compute_metrics(ba.validate(SAMPLE).valid), "hugo")
    finally:
        figures._drawn_box = find_box
    assert len(drawn) == len(embedded) >= 5
    pad = 15  # savefig.pad_inches (0.1) at 150 dpi
    for (rgba, (top, bottom, left, right)), chart in zip(drawn, embedded, strict=True):
        image = Image.frombuffer("RGBA", rgba.shape[1::-1], rgba, "raw", "RGBA", 0, 1)
        pillow = Image.new("RGB", (right - left + 2 * pad, bottom - top + 2 * pad), "white")
        pillow.paste(image.crop((left, top, right, bottom)).convert("RGB"), (pad, pad))
        buf = io.BytesIO()
        pillow.save(buf, format="PNG")
        ours = rgb_png(rgba[top:bottom, left:right], pad=pad)
        np.testing.assert_array_equal(read(ours), read(buf.getvalue()))
        assert base64.b64decode(chart.src.split(",", 1)[1]) == ours  # what the report embeds
