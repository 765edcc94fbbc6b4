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


def pixels_in_pdf(pdf: bytes) -> list[Image.Image]:
    """Each image of a one-page PDF, as its pixels."""
    page = pdfium.PdfDocument(pdf)[0]
    return [obj.get_bitmap().to_pil().convert("RGB") for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])]


def images_and_text(pdf: bytes) -> tuple[list[tuple[int, int, tuple[int, int, int]]], str]:
    """Each image's size and first pixel, and the text, of a one-page PDF."""
    found = [(image.width, image.height, image.getpixel((0, 0))) for image in pixels_in_pdf(pdf)]
    return found, pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()


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


def chunks_of(png: bytes) -> list[tuple[bytes, bytes]]:
    """A PNG's chunks in order: (kind, data)."""
    import struct

    found, at = [], 8
    while at < len(png):
        length, kind = struct.unpack_from(">I4s", png, at)
        found.append((kind, png[at + 8:at + 8 + length]))
        at += 12 + length
    return found


def png_of(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(kind, data) for kind, data in chunks)


def same_page_both_ways(html: str) -> bytes:
    """Our PDF, after checking that its page is, pixel for pixel, WeasyPrint's own (which decodes
    each image and compresses it again)."""
    import weasyprint

    ours, theirs = pdf_bytes(html), weasyprint.HTML(string=html).write_pdf()
    render = [pdfium.PdfDocument(pdf)[0].render(scale=2).to_pil().tobytes() for pdf in (ours, theirs)]
    assert render[0] == render[1]
    return ours


def test_an_rgb_chart_goes_into_the_pdf_as_it_is_with_the_same_pixels():
    from backanalytics.report.pdf_charts import png_pixels

    picture, data = noisy_png(compress_level=1)
    # Its rows in three chunks and an empty one, as a chart over 64 KiB is written.
    header = next(d for k, d in chunks_of(data) if k == b"IHDR")
    rows = b"".join(d for k, d in chunks_of(data) if k == b"IDAT")
    split = png_of([(b"IHDR", header), (b"tEXt", b"Software\x00test"), (b"IDAT", rows[:100]), (b"IDAT", b""),
                    (b"IDAT", rows[100:250]), (b"IDAT", rows[250:]), (b"IEND", b"")])
    for png in (data, split):
        assert png_pixels(png) == (*picture.size, rows)
        ours = same_page_both_ways(f'<p>chart</p><img src="data:image/png;base64,{base64.b64encode(png).decode()}">')
        assert rows in ours  # the PNG's own compressed rows, not compressed again
        (found,) = pixels_in_pdf(ours)
        assert found.tobytes() == picture.tobytes()


def test_every_chart_of_a_report_takes_the_fast_way():
    import backanalytics as ba
    from backanalytics.report import figures
    from backanalytics.report.content import compute_metrics
    from backanalytics.report.pdf_charts import png_pixels
    from tests.conftest import SAMPLE

    charts = figures.client_figures(compute_metrics(ba.validate(SAMPLE).valid), "hugo")
    pngs = [base64.b64decode(chart.src.split(",", 1)[1]) for chart in charts]
    assert len(pngs) == 6 and all(png_pixels(png) is not None for png in pngs)
    pdf = pdf_bytes("".join(f'<img src="{chart.src}">' for chart in charts[:2]))
    assert all(png_pixels(png)[2] in pdf for png in pngs[:2])


def test_a_chart_is_unpacked_to_be_checked_only_when_it_is_drawn(monkeypatch):
    import backanalytics.report.pdf_charts as pdf_charts

    checked = []
    real = pdf_charts._rows_are_whole
    monkeypatch.setattr(pdf_charts, "_rows_are_whole", lambda *a: checked.append(a[:2]) or real(*a))
    shown, hidden = noisy_png((30, 10))[1], noisy_png((50, 20))[1]
    html = (f'<img src="data:image/png;base64,{base64.b64encode(shown).decode()}">'
            f'<div style="display: none"><img src="data:image/png;base64,{base64.b64encode(hidden).decode()}"></div>')
    assert [image.size for image in pixels_in_pdf(pdf_bytes(html))] == [(30, 10)]
    assert checked == [(30, 10)]


def test_an_orientation_is_left_to_weasyprint():
    # A PNG that says it is upside down (eXIf), or a style that turns the images: WeasyPrint turns them.
    from backanalytics.report.pdf_charts import png_pixels

    picture, data = noisy_png()
    exif = Image.Exif()
    exif[0x0112] = 3  # orientation: turned 180 degrees
    buf = io.BytesIO()
    picture.save(buf, format="PNG", exif=exif)
    assert png_pixels(buf.getvalue()) is None
    turned = same_page_both_ways(f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">')
    assert pixels_in_pdf(turned)[0].tobytes() == picture.rotate(180).tobytes()
    styled = (f'<style>img {{ image-orientation: 90deg }}</style>'
              f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}">')
    assert png_pixels(data)[2] not in same_page_both_ways(styled)


def test_a_png_pillow_cannot_open_is_left_out_of_the_pdf_not_the_end_of_it():
    from backanalytics.report.pdf_charts import png_pixels

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
                                  "rows in two runs", "a second header", "an animation", "not a png"])
def test_other_pngs_are_left_to_weasyprint_and_keep_their_pixels(case, monkeypatch):
    import struct
    import zlib

    from backanalytics.report.pdf_charts import png_pixels

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
        monkeypatch.setattr("backanalytics.report.pdf_charts.zlib.decompressobj", lambda: pytest.fail("unpacked"))
    elif case in ("rows in two runs", "a second header", "an animation"):  # Pillow would read fewer rows
        chunks = chunks_of(data)
        rows = chunks[1][1]
        chunks = {"rows in two runs": [chunks[0], (b"IDAT", rows[:50]), (b"tEXt", b"a\x00b"), (b"IDAT", rows[50:])],
                  "a second header": [chunks[0], (b"IHDR", struct.pack(">IIBBBBB", 10, 10, 8, 2, 0, 0, 0)), chunks[1]],
                  "an animation": [chunks[0], (b"acTL", struct.pack(">II", 1, 0)),
                                   (b"fcTL", struct.pack(">IIIIIHHBB", 0, 10, 10, 0, 0, 1, 1, 0, 0)), chunks[1]],
                  }[case]
        data = png_of([*chunks, (b"IEND", b"")])
    else:
        data = b"GIF89a" + data[6:]
    assert png_pixels(data) is None
    if case in ("rgba", "palette", "grey", "transparent colour"):  # pictures WeasyPrint can read: all there
        html = f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}">'
        (found,) = pixels_in_pdf(pdf_bytes(html))
        assert found.tobytes() == picture.convert("RGB").tobytes()
