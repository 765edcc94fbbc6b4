"""The report charts' canvas remembers text between charts and draws exactly what matplotlib draws:
every report chart and a figure of awkward text (rotated, other scripts, no antialiasing, math,
off the edge, at fractions of a pixel) compared byte for byte with matplotlib's own canvas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

text_canvas = pytest.importorskip("backanalytics.report.text_canvas")


@pytest.fixture
def fresh_cache():
    text_canvas.clear()
    yield
    text_canvas.clear()


def awkward_text(fig) -> None:
    """Texts that take every branch of matplotlib's text drawing."""
    words = ["Sessions per week", "مرحبا بالعالم", "שלום", "Ünïcödé ﬁ ffl", "日本", "x", ""]
    for i, word in enumerate(words):
        for j, angle in enumerate((0, 30, 90, 135, 270)):
            # Positions at odd fractions of a pixel, some starting left of or below the figure.
            fig.text(-0.02 + 0.2 * j + 0.0137 * i, -0.01 + 0.14 * i + 0.003 * j, word,
                     rotation=angle, fontsize=6.5 + i)
    fig.text(0.5, 0.5, "no antialiasing", antialiased=False)
    fig.text(0.5, 0.6, "no antialiasing, turned", antialiased=False, rotation=45)
    fig.text(0.3, 0.7, r"$\sqrt{x^2} \geq 0$ and text")
    fig.text(0.2, 0.8, "serif, bold", family="serif", weight="bold")
    fig.text(0.6, 0.85, "features", fontfeatures=["-kern", "+liga"], language="en")
    ax = fig.add_axes((0.55, 0.1, 0.4, 0.3))
    ax.plot([0.5, 2.25, 3], [1, 4, 2], label="pain")
    ax.set_title("Pain (0-10)")
    ax.legend()


def pixels(canvas_class, draw) -> np.ndarray:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.3, 3.1), dpi=150)
    canvas_class(fig)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs missing from the default font (CJK)
        draw(fig)
        fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


needs_311 = pytest.mark.skipif(not text_canvas.SUPPORTED, reason="the remembered text is for matplotlib 3.11 only")


@needs_311
def test_awkward_text_is_drawn_the_same_from_the_cache_as_by_matplotlib(fresh_cache):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    plain = pixels(FigureCanvasAgg, awkward_text)
    first = pixels(text_canvas.TextCachingCanvas, awkward_text)
    layouts, glyphs = len(text_canvas._layouts), len(text_canvas._glyphs)
    again = pixels(text_canvas.TextCachingCanvas, awkward_text)  # every text and glyph from the cache
    assert layouts > 12 and glyphs > 200
    assert (len(text_canvas._layouts), len(text_canvas._glyphs)) == (layouts, glyphs)
    assert (plain[..., :3] < 128).sum() > 5000  # there is text to compare
    np.testing.assert_array_equal(first, plain)
    np.testing.assert_array_equal(again, plain)


@needs_311
def test_text_moved_by_whole_and_by_part_pixels_or_turned_is_drawn_as_matplotlib_draws_it(fresh_cache):
    """A glyph's bitmap is reused at another whole-pixel position, never at another fraction of a
    pixel, another angle or without antialiasing: the same word on rows whole pixels apart, shifted by parts of a pixel,
    the same word from one point at several angles (its first glyph at that very point), and once
    more whole pixels above, not antialiased."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def shifted(fig):
        width, height = fig.bbox.width, fig.bbox.height
        for k, dx in enumerate((0, 1, 2, 1 / 64, 0.5, 17 + 3 / 64)):  # in pixels
            fig.text((20 + dx) / width, (30 + 40 * k) / height, "Cat-Cow 0 1 2 | 30 s", transform=fig.transFigure)
        for angle in (0, 45, 90, 180, 270):
            fig.text(450 / width, 300 / height, "Wk 12", rotation=angle, rotation_mode="anchor")
        fig.text(450 / width, 340 / height, "Wk 12", antialiased=False)  # 40 pixels above the first

    np.testing.assert_array_equal(pixels(text_canvas.TextCachingCanvas, shifted), pixels(FigureCanvasAgg, shifted))


@needs_311
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # Hebrew in DejaVu Serif
def test_measured_text_is_the_size_matplotlib_measures(fresh_cache):
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    ours, theirs = text_canvas.TextCachingRenderer(300, 200, 150), RendererAgg(300, 200, 150)
    for prop in (FontProperties(size=7), FontProperties(size=11.5, weight="bold"), FontProperties(family="serif")):
        for s in ("Weekly sessions", "שלום", "g", "", "$x^2$"):
            ismath = s.startswith("$")
            expected = theirs.get_text_width_height_descent(s, prop, ismath)
            assert ours.get_text_width_height_descent(s, prop, ismath) == expected
            ours.draw_text(ours.new_gc(), 10.3, 50.7, "something else", prop, 30)  # the font's state moves on
            assert ours.get_text_width_height_descent(s, prop, ismath) == expected  # from the cache


@needs_311
def test_the_glyph_cache_is_emptied_when_it_grows_past_its_bound(fresh_cache, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    monkeypatch.setattr(text_canvas, "MOST_GLYPHS", 40)
    bounded = pixels(text_canvas.TextCachingCanvas, awkward_text)
    # Emptied before a text when over the bound: at most the bound plus one text's glyphs.
    assert 0 < len(text_canvas._glyphs) <= 40 + 20
    np.testing.assert_array_equal(bounded, pixels(FigureCanvasAgg, awkward_text))


def test_report_figures_use_the_remembering_canvas_where_matplotlib_allows_it():
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from backanalytics.report import figures

    canvas = figures.new_figure((2.0, 1.0)).canvas
    assert isinstance(canvas, FigureCanvasAgg)
    assert isinstance(canvas, text_canvas.TextCachingCanvas) == text_canvas.SUPPORTED
    assert text_canvas.SUPPORTED == matplotlib.__version__.startswith("3.11.")
    if text_canvas.SUPPORTED:
        assert isinstance(canvas.get_renderer(), text_canvas.TextCachingRenderer)


@needs_311
def test_every_report_chart_is_the_same_png_with_remembered_text(fresh_cache, monkeypatch):
    """anna, then hugo (with his questionnaires) partly from what anna's charts left, then anna again
    entirely from the cache, then the caseload's charts: the same bytes as matplotlib's canvas."""
    import hashlib

    import backanalytics as ba
    from backanalytics.report import figures
    from backanalytics.report.content import compute_metrics
    from tests.conftest import SAMPLE

    assessments = ba.load_assessments(SAMPLE.parent / "sample_assessments.csv")
    metrics = compute_metrics(ba.validate(SAMPLE).valid, assessments=assessments)

    def charts(clients: list[str]) -> list[tuple[str, str]]:
        made = [(f"{c}: {f.key}", f.src) for c in clients for f in figures.client_figures(metrics, c)]
        made += [(f.key, f.src) for f in figures.caseload_figures(metrics)]
        return [(key, hashlib.sha256(src.encode()).hexdigest()) for key, src in made]

    remembered = charts(["anna", "hugo", "anna"])
    assert len(text_canvas._glyphs) > 500
    monkeypatch.setattr(text_canvas, "SUPPORTED", False)
    plain = charts(["anna", "hugo", "anna"])
    assert not isinstance(figures.new_figure((1.0, 1.0)).canvas, text_canvas.TextCachingCanvas)
    assert len(plain) >= 20 and any(key.startswith("hugo: function") for key, _ in plain)
    assert remembered == plain
