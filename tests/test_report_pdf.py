"""The PDF renderer loads the report's own charts and nothing else: no local file, no network, and
text that only looks like a chart stays text."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

pdfium = pytest.importorskip("pypdfium2")
pdfium_c = pytest.importorskip("pypdfium2.raw")
pytest.importorskip("weasyprint")

from backanalytics.report.pdf import pdf_bytes  # noqa: E402


def png(colour: str, size: tuple[int, int] = (40, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def images_and_text(pdf: bytes) -> tuple[list[tuple[int, int, int]], str]:
    """Each image's size and first pixel, and the text, of a one-page PDF."""
    page = pdfium.PdfDocument(pdf)[0]
    found = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        bitmap = obj.get_bitmap().to_pil().convert("RGB")
        found.append((bitmap.width, bitmap.height, bitmap.getpixel((0, 0))))
    return found, page.get_textpage().get_text_range()


def test_charts_are_in_the_pdf_in_order_with_their_own_pixels():
    red, blue = base64.b64encode(png("red")).decode(), base64.b64encode(png("blue", (30, 10))).decode()
    html = f'<img src="data:image/png;base64,{red}"><p>between</p><img src="data:image/png;base64,{blue}">'
    found, text = images_and_text(pdf_bytes(html))
    assert found == [(40, 20, (255, 0, 0)), (30, 10, (0, 0, 255))]
    assert "between" in text


def test_local_files_and_urls_are_not_loaded_but_other_data_uris_are(tmp_path):
    red = base64.b64encode(png("red")).decode()
    local = tmp_path / "secret.png"
    local.write_bytes(png("green"))
    gif = io.BytesIO()
    Image.new("RGB", (12, 12), "yellow").save(gif, format="GIF")
    html = (f'<img src="{local.as_uri()}"><img src="{local}"><img src="http://127.0.0.1:9/x.png">'
            f'<img src="chart:0"><img src="data:image/gif;base64,{base64.b64encode(gif.getvalue()).decode()}">'
            f'<img src="data:image/png;base64,{red}">')
    found, _ = images_and_text(pdf_bytes(html))
    assert found == [(12, 12, (255, 255, 0)), (40, 20, (255, 0, 0))]  # the GIF and the chart only


def test_escaped_text_that_looks_like_a_chart_stays_text():
    red = base64.b64encode(png("red")).decode()
    note = f'&lt;img src="data:image/png;base64,{red[:12]}"&gt;'  # as the templates escape a note
    found, text = images_and_text(pdf_bytes(f"<p>{note}</p><img src=\"data:image/png;base64,{red}\">"))
    assert found == [(40, 20, (255, 0, 0))]
    assert f'<img src="data:image/png;base64,{red[:12]}">' in text.replace("\r", "").replace("\n", "")


def test_a_pool_renders_the_pdf_and_this_process_writes_it(tmp_path):
    from concurrent.futures import Executor, Future

    from backanalytics.report.batch import write_document
    from backanalytics.report.pdf import pdf_bytes

    class Recorder(Executor):
        def __init__(self):
            self.calls = []

        def submit(self, fn, /, *args, **kwargs):
            self.calls.append((fn, args))
            done: Future = Future()
            done.set_result(b"%PDF-from the worker")
            return done

    pool = Recorder()
    path = write_document("<p>Hi</p>", tmp_path / "r.pdf", "pdf", pool)
    assert pool.calls == [(pdf_bytes, ("<p>Hi</p>",))]
    assert path.read_bytes() == b"%PDF-from the worker"
    assert write_document("<p>Hi</p>", tmp_path / "r.html", "html", pool).read_text() == "<p>Hi</p>"
    assert len(pool.calls) == 1  # HTML is written here


def noisy_png(size: tuple[int, int] = (61, 23), **save: object) -> tuple[Image.Image, bytes]:
    """An RGB picture of random pixels (every PNG row filter gets used) and its PNG."""
    import numpy as np

    picture = Image.fromarray(np.random.default_rng(7).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    buf = io.BytesIO()
    picture.save(buf, format="PNG", **save)
    return picture, buf.getvalue()


def pixels_in_pdf(pdf: bytes) -> list[Image.Image]:
    page = pdfium.PdfDocument(pdf)[0]
    return [obj.get_bitmap().to_pil().convert("RGB") for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])]


def test_an_rgb_chart_goes_into_the_pdf_as_it_is_with_the_same_pixels():
    import zlib

    import weasyprint

    from backanalytics.report.pdf import png_pixels

    picture, data = noisy_png(compress_level=1)
    html = f'<p>chart</p><img src="data:image/png;base64,{base64.b64encode(data).decode()}">'
    ours = pdf_bytes(html)
    width, height, rows = png_pixels(data)
    assert (width, height) == picture.size
    assert zlib.decompress(rows) != zlib.decompress(zlib.compress(rows))  # (rows are compressed data)
    assert rows in ours  # the PNG's own compressed rows, not compressed again
    (found,) = pixels_in_pdf(ours)
    assert found.tobytes() == picture.tobytes()
    # WeasyPrint's own way (decode, compress again) gives the same page, pixel for pixel.
    theirs = weasyprint.HTML(string=html).write_pdf()
    assert rows not in theirs
    render = [pdfium.PdfDocument(pdf)[0].render(scale=2).to_pil().tobytes() for pdf in (ours, theirs)]
    assert render[0] == render[1]


def test_a_png_pillow_cannot_open_is_left_out_of_the_pdf_not_the_end_of_it():
    from backanalytics.report.pdf import png_pixels

    _, data = noisy_png()
    broken = data[:29] + bytes([data[29] ^ 0xFF]) + data[30:]  # the header's checksum
    assert png_pixels(broken) is not None  # its layout is fine: Pillow refuses it for the checksum
    red, bad = base64.b64encode(png("red")).decode(), base64.b64encode(broken).decode()
    html = f'<img src="data:image/png;base64,{bad}"><img src="data:image/png;base64,{red}">'
    found, _ = images_and_text(pdf_bytes(html))
    assert found == [(40, 20, (255, 0, 0))]


def _chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@pytest.mark.parametrize("case", ["rgba", "palette", "grey", "16-bit", "interlaced", "transparent colour",
                                  "rows cut short", "a row too many", "unknown row filter", "too many pixels",
                                  "not a png"])
def test_other_pngs_are_left_to_weasyprint_and_keep_their_pixels(case, monkeypatch):
    import struct
    import zlib

    from backanalytics.report.pdf import png_pixels

    picture, data = noisy_png()
    if case in ("rgba", "palette", "grey"):
        picture = picture.convert({"rgba": "RGBA", "palette": "P", "grey": "L"}[case])
        buf = io.BytesIO()
        picture.save(buf, format="PNG")
        data = buf.getvalue()
    elif case == "16-bit":
        data = data.replace(b"IHDR" + data[16:24] + b"\x08", b"IHDR" + data[16:24] + b"\x10", 1)
    elif case == "interlaced":
        header = struct.pack(">IIBBBBB", *picture.size, 8, 2, 0, 0, 1)
        data = data[:8] + _chunk(b"IHDR", header) + data[33:]
    elif case == "transparent colour":
        data = data[:33] + _chunk(b"tRNS", b"\x00\x00\x00\x00\x00\x00") + data[33:]
    elif case in ("rows cut short", "a row too many", "unknown row filter"):
        width, height = picture.size
        raw = bytearray(b"".join(b"\x00" + picture.tobytes()[y * 3 * width:(y + 1) * 3 * width] for y in range(height)))
        if case == "rows cut short":
            raw = raw[:-(3 * width + 1)]
        elif case == "a row too many":
            raw += raw[:3 * width + 1]
        else:
            raw[0] = 9
        data = data[:33] + _chunk(b"IDAT", zlib.compress(bytes(raw))) + _chunk(b"IEND", b"")
    elif case == "too many pixels":  # 40,000 x 40,000 declared: 4.8 GB unpacked; refused before unpacking
        header = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0)
        data = data[:8] + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(1000))) + _chunk(b"IEND", b"")
        monkeypatch.setattr("backanalytics.report.pdf.zlib.decompressobj", lambda: pytest.fail("unpacked"))
    else:
        data = b"GIF89a" + data[6:]
    assert png_pixels(data) is None
    if case in ("rgba", "palette", "grey", "transparent colour"):  # pictures WeasyPrint can read: all there
        html = f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}">'
        (found,) = pixels_in_pdf(pdf_bytes(html))
        assert found.tobytes() == picture.convert("RGB").tobytes()
