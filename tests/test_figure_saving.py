"""Report charts are laid out once and drawn once: the PNG has the size of what is drawn (no label
cut off at the figure's edge), cropped to what is drawn; a worker process draws the same charts."""

from __future__ import annotations

import base64
import struct


def png_size(src: str) -> tuple[int, int]:
    png = base64.b64decode(src.split(",", 1)[1])
    return struct.unpack(">II", png[16:24])


def test_a_chart_whose_labels_overflow_the_figure_is_saved_whole():
    from matplotlib.figure import Figure

    from backanalytics.report import figures

    fig = figures.new_figure((3.0, 2.0))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    # A figure text running off the right edge: the layout does not move it, the saved box must hold it.
    fig.text(0.9, 0.5, "a label far wider than this small figure")
    width, _ = png_size(figures.to_data_uri(fig))
    assert width > 3.0 * figures.DPI + 100  # the text runs about 3 inches past the axes
    plain = Figure(figsize=(3.0, 2.0), dpi=figures.DPI)
    plain.add_subplot().plot([0, 1], [0, 1])
    # A figure without a layout engine is cropped to what is drawn too.
    assert png_size(figures.to_data_uri(plain))[0] <= 3.0 * figures.DPI


def png_image(src: str):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))


def test_a_chart_is_cropped_to_what_is_drawn_plus_the_save_padding():
    import numpy as np

    from backanalytics.report import figures

    fig = figures.new_figure((6.0, 3.0))
    ax = fig.add_subplot()
    ax.imshow(np.arange(4).reshape(2, 2))  # square pixels: the axes is far narrower than the figure
    image = png_image(figures.to_data_uri(fig))
    assert image.mode == "RGB"  # no alpha: the page is white
    width, height = image.size
    assert width < 6.0 * figures.DPI - 200  # the empty sides are cropped, as a tight save crops them
    pixels = np.asarray(image)
    ink = (pixels != 255).any(axis=2)
    pad = round(0.1 * figures.DPI)  # savefig.pad_inches
    cols, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
    assert (cols[0], rows[0]) == (pad, pad)
    assert (width - 1 - cols[-1], height - 1 - rows[-1]) == (pad, pad)


def test_a_worker_process_draws_the_same_charts_as_this_one():
    import backanalytics as ba
    from backanalytics.report import figures
    from backanalytics.report.chart_worker import start_chart_worker
    from backanalytics.report.content import compute_metrics
    from tests.conftest import SAMPLE

    metrics = compute_metrics(ba.validate(SAMPLE).valid)
    here = figures.client_figures(metrics, "hugo")
    pool = start_chart_worker(cpus=2)
    try:
        shared = figures.client_figures(metrics, "hugo", pool=pool)
    finally:
        pool.shutdown()
    assert [f.key for f in shared] == [f.key for f in here]
    assert set(figures.AWAY) <= {f.key for f in shared}
    assert shared == here  # same headings, captions, alt texts and PNG bytes, in report order
