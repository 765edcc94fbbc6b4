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
    the same word from one point at several angles (its first glyph at that very point), and
    whole pixels above, once not antialiased and once smaller."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def shifted(fig):
        width, height = fig.bbox.width, fig.bbox.height
        for k, dx in enumerate((0, 1, 2, 1 / 64, 0.5, 17 + 3 / 64)):  # in pixels
            fig.text((20 + dx) / width, (30 + 40 * k) / height, "Cat-Cow 0 1 2 | 30 s", transform=fig.transFigure)
        for angle in (0, 45, 90, 180, 270):
            fig.text(450 / width, 300 / height, "Wk 12", rotation=angle, rotation_mode="anchor")
        fig.text(450 / width, 340 / height, "Wk 12", antialiased=False)  # 40 pixels above the first
        fig.text(450 / width, 380 / height, "Wk 12", fontsize=7)  # and 80 pixels above, smaller

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
def test_the_caches_are_emptied_when_they_grow_past_their_bounds(fresh_cache, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    plain = pixels(FigureCanvasAgg, awkward_text)
    monkeypatch.setattr(text_canvas, "MOST_GLYPHS", 40)
    bounded = pixels(text_canvas.TextCachingCanvas, awkward_text)
    assert 0 < len(text_canvas._glyphs) <= 40
    np.testing.assert_array_equal(bounded, plain)
    monkeypatch.setattr(text_canvas, "MOST_GLYPHS", 50_000)
    monkeypatch.setattr(text_canvas, "MOST_TEXTS", 5)
    bounded = pixels(text_canvas.TextCachingCanvas, awkward_text)
    assert 0 < len(text_canvas._sizes) + len(text_canvas._layouts) <= 5
    np.testing.assert_array_equal(bounded, plain)


@needs_311
def test_text_at_other_resolutions_hinting_and_font_features_is_drawn_as_matplotlib_draws_it(fresh_cache):
    """What the cached sizes, layouts and bitmaps depend on besides the string: the same texts (one
    at two font sizes, one with kerning and ligatures off) saved at 150, 300 and 77.7 dpi, then
    with other hinting and without antialiasing."""
    import io

    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def saved(canvas_class, dpi, **rc):
        fig = Figure(figsize=(3.0, 1.2), dpi=150)
        canvas_class(fig)
        # Centred, so that the measured size places them too; the same string at two sizes.
        fig.text(0.5, 0.75, "AVATAR Wk 12 ffi", fontsize=11, ha="center", va="center")
        fig.text(0.5, 0.45, "AVATAR Wk 12 ffi", fontsize=7, ha="center", va="center")
        fig.text(0.5, 0.2, "AVATAR Wk 12 ffi", fontsize=11, ha="center", va="center", fontfeatures=["-kern", "-liga"])
        with mpl.rc_context(rc):
            buf = io.BytesIO()
            fig.savefig(buf, format="rgba", dpi=dpi)
        return np.frombuffer(buf.getvalue(), np.uint8)

    for dpi, rc in ((150, {}), (300, {}), (77.7, {}), (150, {"text.hinting": "no_hinting"}),
                    (150, {"text.hinting": "native"}), (150, {"text.antialiased": False})):
        np.testing.assert_array_equal(saved(text_canvas.TextCachingCanvas, dpi, **rc),
                                      saved(FigureCanvasAgg, dpi, **rc), err_msg=f"{dpi} dpi, {rc}")


@needs_311
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_a_glyph_of_a_fallback_font_is_not_taken_for_the_same_number_in_the_first_font(fresh_cache):
    """'¸' in DejaVu Sans and '日' in matplotlib's last-resort font (DejaVu has no '日') are both glyph
    122 of their fonts: drawn at the same fractions of a pixel, each must keep its own bitmap."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def both(fig):
        height = fig.bbox.height
        for k, word in enumerate(("¸ ¸", "日 日", "¸日")):
            fig.text(100 / fig.bbox.width, (100 + 40 * k) / height, word, fontsize=12)

    with mpl.rc_context({"font.family": "DejaVu Sans", "font.enable_last_resort": True}):
        np.testing.assert_array_equal(pixels(text_canvas.TextCachingCanvas, both), pixels(FigureCanvasAgg, both))


def test_report_figures_use_the_remembering_canvas_where_matplotlib_allows_it():
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from backanalytics.report import figures

    canvas = figures.new_figure((2.0, 1.0)).canvas
    assert isinstance(canvas, FigureCanvasAgg)
    assert isinstance(canvas, text_canvas.TextCachingCanvas) == text_canvas.SUPPORTED
    if matplotlib.__version__.startswith("3.11."):  # the version the tests above compare pixels with
        assert text_canvas.SUPPORTED
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
