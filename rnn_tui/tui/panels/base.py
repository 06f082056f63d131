"""The base of every panel: repaint only when, and only where, what it shows has changed."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.css.styles import RulesMap
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual, visualize
from textual.widgets import Static

from rnn_tui.tui.panels import numbers

if TYPE_CHECKING:
    from typing_extensions import Self


#: What a panel shows: the lesson's View, or a screen's own (the backward pass's).
ViewT = TypeVar("ViewT")


class Lines(list[Text]):
    """Content given as its lines, Rich Texts without a line break: ``text_strips``
    takes them as they are, rather than joining and splitting again. ``bold``: the
    lines ``first..last - 1`` drawn on a bold base (the step box's equation)."""

    bold: tuple[int, int] = (0, 0)

    def joined(self) -> Text:
        return Text("\n").join(self)


class Panel(Static, Generic[ViewT]):
    """A Static that knows which parts of the View it depends on.

    ``key(view)`` names those parts; ``show(view)`` repaints only when the key
    changed, so a step repaints just the panels whose content changed (bytes
    per step matter over SSH). And when the new content has the same height,
    only its changed lines are refreshed: Textual would otherwise send the
    whole panel down the wire (a row of coloured numbers is ~300 bytes).

    Drawing is Textual's Line API: the panel keeps its lines (``_lines``, made
    for one size) and ``render_line(y)`` hands them out; ``show`` compares the
    new lines with the kept ones and refreshes the Region of each changed span.
    Any other refresh (a style, a theme, a selection: Textual's own) drops the
    kept lines, and so does a new size, as Textual drops its own render.

    Content that is one Rich Text whose lines fit is turned into lines here
    (``text_strips``), a few times faster than Textual's general path, which
    wraps, aligns and tags every run for mouse selection. Text that wraps
    (``WRAPS``) is wrapped here too when the panel's height is fixed (the
    narration's); anything else takes Textual's path (``Visual.to_strips``).
    """

    _NEVER = object()
    WRAPS = False  # whether the content is paragraphs that wrap to the width

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._key: Hashable = self._NEVER
        self._content: RenderableType | Lines | None = None  # what show() last built
        self._visual: Visual | None = None  # _content for Textual, made when it asks
        self._lines: list[Strip] | None = None  # what render_line draws, made for _lines_size
        self._lines_size: Size | None = None
        self._line_cache: tuple = (None, {})  # ((width, base style), text_strips' cache)
        #: what the panel showed before, by ``show``'s key: the content and its lines as
        #: last drawn (``_Shown``); a position seen before is drawn from them, not built
        #: again (``SHOWN_KEPT``)
        self._shown: dict[Hashable, _Shown] = {}
        self.repaints = 0  # how often content was replaced (tests and benchmarks read it)
        self.lines_repainted = 0  # how many lines the partial repaints refreshed (benchmarks)

    def key(self, view: ViewT) -> Hashable:
        raise NotImplementedError

    def build(self, view: ViewT) -> RenderableType | Lines:
        raise NotImplementedError

    def render(self) -> Visual:
        if self._content is None:
            # Static.render returns its .visual (a Visual); it is annotated wider
            return cast(Visual, super().render())
        if self._visual is None:
            content = self._content
            if isinstance(content, Lines):
                content = content.joined()
            self._visual = visualize(self, content, markup=False)
        return self._visual

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the content (the Line API): the kept lines, made again
        only after a refresh that was not ``show``'s own or a new size."""
        if self._content is None:
            return super().render_line(y)
        size = self.size
        if self._lines is None or self._lines_size != size:
            self._lines = self._make_lines(*size)
            self._lines_size = size
        if y < len(self._lines):
            return self._lines[y]
        return Strip.blank(size.width, self.visual_style.rich_style)

    def refresh(self, *regions: Region, repaint: bool = True, **kwargs: Any) -> Self:
        # Textual asks for a repaint (styles, theme, selection, new content): the
        # kept lines may be out of date, as Textual's own render would be
        if repaint:
            self._lines = None
        return super().refresh(*regions, repaint=repaint, **kwargs)

    def _make_lines(self, width: int, height: int) -> list[Strip]:
        """The content's lines at this size: ``text_strips`` if it can, else Textual's."""
        lines = self._quick_lines(width, height)
        if lines is None:
            lines = Visual.to_strips(self, self.render(), width, height, self.visual_style)
        return lines

    def _quick_lines(self, width: int, height: int, style: VisualStyle | None = None,
                     fixed: bool | None = None, shown: _Shown | None = None
                     ) -> list[Strip] | None:
        """The content as lines by ``text_strips``, if it can be (None: Textual's way).
        ``style`` and ``fixed``: ``visual_style`` and ``_fixed_height()``, if known.
        ``shown``: where the content keeps its lines (used again at the same width,
        height and base style)."""
        content = self._content
        if not isinstance(content, (Text, Lines)) or not width:
            return None
        if self.WRAPS and not (self._fixed_height() if fixed is None else fixed):
            return None  # Textual measures the height: its own wrapping must draw it
        if style is None:
            style = self.visual_style
        if style.reverse or self.styles.content_align != ("left", "top"):
            return None
        if self.is_mounted and self.text_selection is not None:
            return None  # Textual draws a mouse selection
        base = style.rich_style
        if shown is not None and shown.drawn == (width, height, base):
            return None if shown.lines is None else list(shown.lines)
        if self._line_cache[0] != (width, base):
            self._line_cache = ((width, base), {})
        lines = self._strips(content, width, base, self._line_cache[1])
        if lines is not None and len(lines) > height:
            lines = None
        if shown is not None:
            shown.drawn, shown.lines = (width, height, base), None if lines is None \
                else tuple(lines)
        return lines

    def _strips(self, content: Text | Lines, width: int, base: RichStyle,
                cache: dict) -> list[Strip] | None:
        """``text_strips`` of the content (a panel may draw some lines on another base);
        ``cache``: kept for this width and base. (Content shown before is not drawn
        again: ``show`` keeps its lines, wrapped ones too.)"""
        return text_strips(content, width, base, self.app.console, cache, wrap=self.WRAPS)

    #: How many past contents ``show`` keeps (a sentence of six words, every sub-step).
    SHOWN_KEPT = 32

    def show(self, view: ViewT) -> None:
        # the language and the theme change every panel's words or colours
        key = (getattr(view, "lang", None), getattr(view, "theme", None), numbers.limit(),
               self.key(view))
        if key == self._key:
            return
        self._key = key
        self.repaints += 1
        size = self.size  # (asked once: Textual works it out from the screen each time)
        old = self._lines if self._lines_size == size else None
        # the key names all the content depends on: what this key showed before is
        # the content now (its lines too, if drawn at this size and on this style)
        shown = self._shown.get(key)
        if shown is None:
            shown = _Shown(self.build(view))
            if len(self._shown) >= self.SHOWN_KEPT:
                del self._shown[next(iter(self._shown))]
            self._shown[key] = shown
        self._content = shown.content
        self._visual = None
        changed = self._changed_lines(old, size, shown)
        if changed is None:  # size may change, or nothing to compare with: as Static.update
            self.refresh(layout=True)
            return
        self.lines_repainted += len(changed)
        if changed:
            # the lines are already the new ones: Panel.refresh would drop them. One
            # refresh for them all: Textual's refresh clears its caches each time
            super().refresh(*(Region(x0, y, x1 - x0, 1) for y, x0, x1 in changed))

    def _changed_lines(self, old_lines: list[Strip] | None, size: Size | None = None,
                       shown: _Shown | None = None) -> list[tuple[int, int, int]] | None:
        """(y, x0, x1) of each line that differs from ``old_lines`` (what is on
        screen, at this ``size``, the panel's), and the cells x0..x1 (exclusive)
        that may differ, if the height stays the same. The new lines are kept
        for render_line (and in ``shown``, the content's: ``_quick_lines``)."""
        if old_lines is None or not self.is_mounted or not self.display:
            return None
        if size is None:
            size = self.size
        width, height = size
        if not width or not height:
            return None
        fixed = self._fixed_height()
        if not fixed and len(old_lines) != height:
            return None
        style = self.visual_style
        lines = self._quick_lines(width, height, style, fixed, shown)
        if lines is None:
            visual = self.render()
            # the styles as the rules, as Textual's Widget.get_content_height passes them
            rules = cast(RulesMap, self.styles)
            if not fixed and visual.get_height(rules, width) != height:
                return None  # the panel will grow or shrink: a layout
            lines = Visual.to_strips(self, visual, width, height, style)
        if not fixed and len(lines) != height:
            return None
        self._lines, self._lines_size = lines, size
        # below the content render_line draws blank lines: with a fixed height
        # (the narration's), fewer lines are padding, not a layout
        blank = Strip.blank(width, style.rich_style)
        old = old_lines + [blank] * (height - len(old_lines))
        new = lines + [blank] * (height - len(lines))
        return [
            (y, *_changed_span(a, b, width))
            for y, (a, b) in enumerate(zip(old[:height], new[:height], strict=True))
            if a != b
        ]

    def _fixed_height(self) -> bool:
        """A height in cells (the narration's): shorter content is padded, not a layout."""
        height = self.styles.height
        return height is not None and height.is_cells


class _Shown:
    """What a panel showed for one key of ``show``: the content, and its lines as
    last drawn by ``text_strips`` (None: they can't be) with the width, height and
    base style they were drawn for (``drawn``)."""

    __slots__ = ("content", "drawn", "lines")

    def __init__(self, content: RenderableType | Lines) -> None:
        self.content = content
        self.drawn: tuple | None = None
        self.lines: tuple[Strip, ...] | None = None


def text_strips(text: Text | Lines, width: int, base: RichStyle, console: Console,
                cache: dict | None = None, wrap: bool = False) -> list[Strip] | None:
    """``text``'s lines (or ``Lines``) as Strips ``width`` cells wide on the panel's
    ``base`` style, wrapped at spaces if ``wrap``, else None if a line is wider.

    ``cache`` maps a line (its text and spans) to its Strip: pass the one the
    last call filled (same width and base) and unchanged lines are reused.
    It is refilled with this call's lines only.
    """
    previous = dict(cache) if cache else {}
    if cache is not None:
        cache.clear()
    strips = []
    lines: Iterable[Text]
    if wrap:
        paragraphs = text.joined() if isinstance(text, Lines) else text
        lines = paragraphs.wrap(console, width, justify="default", overflow="fold")
    else:
        lines = text if isinstance(text, Lines) else text.split("\n", allow_blank=True)
    for line in lines:
        key = (line.plain, tuple(line.spans), line.style)
        strip = previous.get(key)
        if strip is None:
            length = line.cell_len
            if length > width:
                return None
            segments = _segments(line, base, console)
            if length < width:
                segments.append(Segment(" " * (width - length), base))
            strip = Strip(segments, width)
        if cache is not None:
            cache[key] = strip
        strips.append(strip)
    return strips


#: Styles by their definition, as the console gives them (``_segments``); bounded.
_STYLES: dict[str, RichStyle] = {}
_STYLES_KEPT = 512


def _style(definition: str | RichStyle, console: Console) -> RichStyle | None:
    """``console.get_style(definition)`` (None where it does not parse: the caller
    lets Rich render instead), looked up once per definition."""
    if isinstance(definition, RichStyle):
        return definition
    style = _STYLES.get(definition)
    if style is None:
        try:
            style = console.get_style(definition)
        except Exception:  # rich.errors.MissingStyle: Rich's own path decides
            return None
        if style.link:  # Rich copies a link's style each time (its own link id)
            return None
        if len(_STYLES) >= _STYLES_KEPT:
            _STYLES.clear()
        _STYLES[definition] = style
    return style


def _segments(line: Text, base: RichStyle, console: Console) -> list[Segment]:
    """The line's Segments on the panel's ``base`` style: the same Segments as
    ``line.render(console)`` gives (each on ``base``), empty ones left out.

    A line whose spans do not overlap (a row of numbers: one span per entry) is
    cut here, at its spans' ends, about three times faster than Rich's general
    path (a sort, a stack and a style combined per piece); any other line
    (overlapping or empty spans, a link, a style that does not parse) goes
    through Rich."""
    text = line.plain
    if not line.spans:  # as Rich: the line's own style is not applied then
        return [Segment(text, base)] if text else []
    spans = sorted(line.spans, key=lambda span: span.start)
    whole = _style(line.style, console)
    fast = whole is not None
    at = 0
    pieces: list[tuple[int, int, RichStyle]] = []
    if whole is not None:
        for span in spans:
            style = _style(span.style, console)
            if style is None or span.start < at or span.end <= span.start \
                    or span.end > len(text):
                fast = False
                break
            if span.start > at:
                pieces.append((at, span.start, whole))
            pieces.append((span.start, span.end, whole + style))
            at = span.end
    if not fast or whole is None:  # (fast: whole is a style)
        return [Segment(segment.text, base + segment.style if segment.style else base)
                for segment in line.render(console) if segment.text]
    if at < len(text):
        pieces.append((at, len(text), whole))
    return [Segment(text[start:end], base + style if style else base)
            for start, end, style in pieces]


def _changed_span(old: Strip, new: Strip, width: int) -> tuple[int, int]:
    """Cells x0..x1 outside which the two lines are the same (equal segments at both ends)."""
    a, b = list(old), list(new)
    start = 0
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        start += a[i].cell_length
        i += 1
    end = 0
    j = 0
    while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
        end += a[-1 - j].cell_length
        j += 1
    x0, x1 = min(start, width), max(width - end, 0)
    return (x0, x1) if x0 < x1 else (0, width)
