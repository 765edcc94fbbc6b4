"""Report charts are laid out once and drawn once: the PNG has the size of what is drawn (no label
cut off at the figure's edge), and a figure not made by ``new_figure`` keeps matplotlib's own save."""

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
    # A figure not made by new_figure (no layout engine) takes matplotlib's own tight save.
    assert png_size(figures.to_data_uri(plain))[0] <= 3.0 * figures.DPI
