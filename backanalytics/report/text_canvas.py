"""An Agg canvas for report charts whose renderer remembers text between charts.

matplotlib 3.11 lays a text out with libraqm and renders it glyph by glyph, every time it is
drawn or measured, in every figure afresh: its text-size cache belongs to one figure's renderer.
A caseload's charts draw the same strings again and again (tick labels, legends, axis titles):
from the second client on, about 85 % of the texts and 80 % of the glyphs a client's charts draw
were drawn before. This renderer keeps, for the whole process,

- the size of each measured string (what ``get_text_width_height_descent`` returns);
- the layout of each drawn string (which glyph of which font goes where);
- the bitmap of each rendered glyph, by font, size, resolution, rotation, load flags,
  antialiasing and the position's fraction of a pixel (1/64th): a glyph moved by whole pixels
  renders to the same bitmap moved by as many pixels, so it is drawn from the cache at its new
  place.

What is drawn is the same, byte for byte, as with matplotlib's own renderer (tested on every chart
of the sample reports, and on rotated text, other scripts, a glyph from a fallback font, text
without antialiasing, math, other resolutions and hinting). Two things differ, neither in what
a report shows: a font's warning about a missing glyph comes the first time a string is laid
out in the process, not at every drawing; and a glyph placed further off the canvas than
FreeType renders (about 16 million pixels), which matplotlib refuses with an error, is left out
as any glyph off the canvas is. The caches hold small arrays and tuples (a glyph's bitmap is
about 500 bytes) and are emptied when they grow past :data:`MOST_GLYPHS` glyphs or
:data:`MOST_TEXTS` strings (together at most about 50 MB).

It relies on the way matplotlib 3.11 draws text (private methods of its font objects), so it is
used with 3.11 only; any other matplotlib draws report charts with its own canvas, as before.

Examples
--------
>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(2, 1), dpi=100)
>>> canvas = chart_canvas(fig)
>>> _ = fig.text(0.1, 0.5, "Sessions per week")
>>> fig.canvas is canvas
True
>>> canvas.draw()
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.ft2font import FT2Font, RenderMode

if TYPE_CHECKING:
    from matplotlib.backend_bases import GraphicsContextBase
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

#: Glyph bitmaps kept before the caches are emptied (about 7,000 for 20 clients' charts).
MOST_GLYPHS = 50_000
#: Strings measured or laid out kept before the caches are emptied (about 520 for 20 clients' charts).
MOST_TEXTS = 10_000

#: (font, size, dpi, string, load flags) -> (width, height, descent) in pixels.
_sizes: dict[tuple, tuple[float, float, float]] = {}
#: (font, size, dpi, string, load flags, features, language) -> [(font, glyph, x, y), ...].
_layouts: dict[tuple, list[tuple[FT2Font, int, float, float]]] = {}
#: (font, size, dpi, glyph, rotation, x and y in 1/64 pixel mod 64, flags, antialiased)
#: -> (bitmap, left, top), left and top relative to the position's whole pixels.
_glyphs: dict[tuple, tuple[object, int, int]] = {}

#: Whether this matplotlib draws text the way :class:`TextCachingRenderer` repeats.
SUPPORTED = (matplotlib.__version__.split(".")[:2] == ["3", "11"]
             and hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
             and all(hasattr(FT2Font, name) for name in ("_layout", "_set_transform", "_render_glyph")))


def clear() -> None:
    """Forget every remembered text size, layout and glyph."""
    _sizes.clear()
    _layouts.clear()
    _glyphs.clear()


def _make_room() -> None:
    """Empty the caches when they are full (and with them the fonts of finished threads that
    their keys hold)."""
    if len(_glyphs) >= MOST_GLYPHS or len(_sizes) + len(_layouts) >= MOST_TEXTS:
        clear()


class TextCachingRenderer(RendererAgg):
    """matplotlib's Agg renderer, drawing and measuring plain text from the process's caches."""

    def get_text_width_height_descent(self, s: str, prop: FontProperties,
                                      ismath: bool | str) -> tuple[float, float, float]:
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        font = self._prepare_font(prop)
        flags = get_hinting_flag()
        key = (font, prop.get_size_in_points(), self.dpi, s, flags)
        size = _sizes.get(key)
        if size is None:
            _make_room()
            font.set_text(s, 0.0, flags=flags)
            width, height = font.get_width_height()
            size = _sizes[key] = (width / 64.0, height / 64.0, font.get_descent() / 64.0)
        return size

    def draw_text(self, gc: GraphicsContextBase, x: float, y: float, s: str, prop: FontProperties, angle: float,
                  ismath: bool | str = False, mtext: Text | None = None) -> None:
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        font = self._prepare_font(prop)
        flags = get_hinting_flag()
        size = prop.get_size_in_points()
        dpi = self.dpi
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        key = (font, size, dpi, s, flags, features, language)
        items = _layouts.get(key)  # matplotlib keeps features and language as tuples
        if items is None:
            _make_room()
            items = _layouts[key] = [(item.ft_object, item.glyph_index, item.x, item.y)
                                     for item in font._layout(s, flags=flags, features=features, language=language)]
        # As matplotlib's _draw_text_glyphs_and_boxes: the rotation in 16.16 fixed point, each
        # glyph's position in 26.6 (1/64 pixel), FreeType's y upwards.
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        rotation = ((round(0x10000 * cos), round(-0x10000 * sin)), (round(0x10000 * sin), round(0x10000 * cos)))
        mode = RenderMode.NORMAL if gc.get_antialiased() else RenderMode.MONO
        height = self.height
        draw = self._renderer.draw_text_image
        for face, glyph, dx, dy in items:
            px = round(0x40 * (x + dx * cos - dy * sin))
            py = round(0x40 * (height - y + dx * sin + dy * cos))
            glyph_key = (face, size, dpi, glyph, rotation, px & 63, py & 63, flags, mode)
            drawn = _glyphs.get(glyph_key)
            if drawn is None:
                _make_room()
                face.set_size(size, dpi)
                face._set_transform(rotation, (px & 63, py & 63))
                bitmap = face._render_glyph(glyph, flags, mode)
                buffer = bitmap.buffer
                if mode is RenderMode.MONO:
                    buffer *= 0xff
                drawn = _glyphs[glyph_key] = (buffer, bitmap.left, bitmap.top)
            buffer, left, top = drawn
            # draw_text_image's y is downwards and names the bitmap's bottom row.
            draw(buffer, left + (px >> 6), int(height) - top - (py >> 6) + buffer.shape[0], 0, gc)


class TextCachingCanvas(FigureCanvasAgg):
    """An Agg canvas whose renderer is a :class:`TextCachingRenderer`."""

    def get_renderer(self) -> RendererAgg:
        renderer = super().get_renderer()
        if type(renderer) is RendererAgg:  # made just now for this size and resolution
            renderer.__class__ = TextCachingRenderer
        return renderer


def chart_canvas(fig: Figure) -> FigureCanvasAgg:
    """Give ``fig`` an Agg canvas: one that remembers text when this matplotlib allows it."""
    return TextCachingCanvas(fig) if SUPPORTED else FigureCanvasAgg(fig)
