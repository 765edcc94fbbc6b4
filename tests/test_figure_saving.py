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
    assert shared == here  # same headings, captions, alt texts and PNG bytes, in report order


def one_axes_charts(metrics, client: str) -> dict:
    """The report's one-axes charts of a client that are placed from their text (not the calendar)."""
    from backanalytics.report import figures

    return {key: make() for key, _, _, make in figures._client_charts(metrics, client)
            if key in ("weekly", "relief", "phases") or key.startswith("function-")}


def test_one_axes_report_charts_are_placed_from_their_text_inside_the_figure():
    import backanalytics as ba
    from backanalytics.plots.placement import EDGE
    from backanalytics.report.content import compute_metrics
    from tests.conftest import SAMPLE
    from tests.test_plots import assert_texts_inside

    scores = ba.validate_assessments(SAMPLE.parent / "sample_assessments.csv").valid
    metrics = compute_metrics(ba.validate(SAMPLE).valid, assessments=scores)
    seen = set()
    for client in metrics.clients:
        for key, fig in one_axes_charts(metrics, client).items():
            seen.add(key.split("-")[0])
            assert fig.get_layout_engine() is None, key  # no layout engine: placed when drawn
            fig.draw_without_rendering()
            assert_texts_inside(fig)
            ax = fig.axes[0]
            frame, px = ax.get_window_extent(), fig.dpi / 72
            assert ax.title.get_window_extent().y0 >= frame.y1, (client, key)  # the title above the data
            # The y label starts EDGE points from the figure's left edge: the margin is what the text needs.
            assert abs(ax.yaxis.label.get_window_extent().x0 - EDGE * px) < 1.5, (client, key)
            legend = ax.get_legend()
            if legend is not None and legend.get_window_extent().x0 >= frame.x1:  # beside the axes
                assert fig.bbox.x1 - EDGE * px - 1.5 <= legend.get_window_extent().x1 <= fig.bbox.x1, (client, key)
            for note in ax.texts:  # the A/B chart's effect sizes beside the data, in a box
                if note.get_bbox_patch() is not None and note.get_position()[0] >= 1:
                    assert note.get_bbox_patch().get_window_extent().x1 <= fig.bbox.x1 - EDGE * px + 1.5, (client, key)
    assert seen == {"weekly", "relief", "phases", "function"}


def test_a_boxed_note_beside_the_axes_ends_with_its_box_edge_points_from_the_figure_edge():
    # The A/B chart's effect sizes: a note right of the axes in a box with padding. Placed from the
    # text alone, the box reached the figure's edge and the chart was saved the slow way.
    from backanalytics.plots.placement import EDGE, place_single
    from backanalytics.report import figures

    fig = figures.new_figure((6.0, 3.0), layout="none")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 10])
    note = ax.text(1.02, 0.0, "Tau 0.06 (95% CI -0.46 to 0.54)", transform=ax.transAxes, ha="left", va="bottom",
                   fontsize=8.5, bbox=dict(boxstyle="round,pad=0.4", facecolor="white", edgecolor="grey"))
    place_single(fig, ax)
    fig.draw_without_rendering()
    edge = fig.bbox.x1 - EDGE * fig.dpi / 72
    assert edge - 1.5 <= note.get_bbox_patch().get_window_extent().x1 <= edge + 1.5
    assert png_image(figures.to_data_uri(fig)).mode == "RGB"  # drawn once, cropped: not the tight save


def test_a_text_that_runs_off_the_figure_across_a_gap_between_words_is_saved_whole():
    # The figure's edge falls in the spaces between two words: the edge pixels are white, so the
    # text's measured extent, not the pixels, tells the chart runs past the figure.
    from backanalytics.report import figures

    fig = figures.new_figure((3.0, 2.0), layout="none")
    fig.add_axes((0.3, 0.3, 0.4, 0.4)).plot([0, 1], [0, 1])  # well inside: only the note reaches an edge
    note = fig.text(0.5, 0.5, "start" + " " * 60 + "end")
    fig.draw_without_rendering()
    start = fig.text(0.5, 0.5, "start").get_window_extent()
    end_x = note.get_window_extent().x1
    assert start.x1 < fig.bbox.x1 - 10 and end_x > fig.bbox.x1 + 30  # "start" inside, "end" past the edge
    fig.texts.pop()  # (the measuring copy)
    width, _ = png_size(figures.to_data_uri(fig))
    assert width > 3.0 * figures.DPI + 30  # "end" is in the PNG


LONG_ID = "Margaret-Anne Fitzgerald-Worthington (referral 2026-117, Dr. O'Sullivan)"


def test_a_long_client_id_wraps_or_is_cut_short_and_no_report_chart_runs_off_its_figure():
    import backanalytics as ba
    from backanalytics import plots
    from backanalytics.plots.placement import titles
    from backanalytics.report import figures
    from backanalytics.report.content import compute_metrics
    from tests.conftest import SAMPLE
    from tests.test_plots import assert_texts_inside

    log = ba.validate(SAMPLE).valid
    log["client_id"] = log["client_id"].astype(str).replace({"hugo": LONG_ID})
    metrics = compute_metrics(log)
    for key, _, _, make in figures._client_charts(metrics, LONG_ID):
        fig = make()
        fig.draw_without_rendering()
        if key == "calendar":  # a title centred over a narrow calendar: the saved PNG grows to hold it
            continue
        assert_texts_inside(fig)
        if key == "mix":  # the left panel's title wraps before the right panel's starts
            left, right = (titles(ax)[0].get_window_extent() for ax in fig.axes[:2])
            assert left.x1 < right.x0
    overview = figures.caseload_figures(metrics)[0]
    assert png_size(overview.src)[0] <= figures.WIDE * figures.DPI  # not grown past the page
    fig = figures.new_figure((figures.WIDE, 7.5), layout="none")
    plots.caseload_chart(metrics.log, fig=fig, as_of=metrics.as_of, tables=metrics)
    fig.draw_without_rendering()
    assert_texts_inside(fig)
    panels = [ax.get_title("left") for ax in fig.axes[1:]]
    assert any(t.startswith("6. Marg") and t.endswith("… [warning]") for t in panels), panels
    label = next(t for t in fig.axes[0].texts if t.get_gid() == f"label:{LONG_ID}")
    assert label.get_text().startswith("Margaret-Anne F…")


def test_a_client_id_or_stretch_name_with_dollar_signs_is_drawn_as_text_not_math():
    # "$\foo$" is not valid mathtext: read as math it made matplotlib raise while drawing, and the
    # report of every client with it.
    import backanalytics as ba
    from backanalytics.plots.placement import titles
    from backanalytics.report import figures
    from backanalytics.report.content import compute_metrics
    from tests.conftest import SAMPLE

    odd = r"Jo $\foo$ {x}_1"
    log = ba.validate(SAMPLE).valid
    log["client_id"] = log["client_id"].astype(str).replace({"hugo": odd})
    log["stretch"] = log["stretch"].astype(str).replace({"Sphinx Pose": r"My $\bar$ pose"})
    metrics = compute_metrics(log)
    shown = []
    for *_, make in figures._client_charts(metrics, odd):
        fig = make()
        figures.to_data_uri(fig)  # drawn without an error
        shown += [t.get_text() for ax in fig.axes for t in [*titles(ax), *ax.get_yticklabels()]]
        shown += [t.get_text() for t in fig.texts]
    assert any(odd in text for text in shown)  # the id as written, dollar signs and all
    assert r"My $\bar$ pose" in shown  # the stretch mix's label
    assert len(figures.caseload_figures(metrics)) == 1


def test_a_negative_save_padding_crops_as_savefig_does():
    import matplotlib as mpl

    from backanalytics.report import figures

    def size(pad_inches: float) -> tuple[int, int]:
        with mpl.rc_context({"savefig.pad_inches": pad_inches}):
            fig = figures.new_figure((3.0, 2.0))
            fig.add_subplot().plot([0, 1], [0, 1])
            return png_size(figures.to_data_uri(fig))

    (w0, h0), (w_neg, h_neg) = size(0.0), size(-0.05)
    # 0.05 inch at 150 dpi (7.5 pixels) cut from each side by savefig's tight save, whose box is the
    # measured text's rather than the drawn pixels' (a few pixels apart)
    assert 10 <= w0 - w_neg <= 18 and 10 <= h0 - h_neg <= 18
