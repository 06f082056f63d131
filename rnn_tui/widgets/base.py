"""The base of every panel: repaint only when, and only where, what it shows has changed."""

from __future__ import annotations

from collections.abc import Hashable

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import _RenderCache
from textual.widgets import Static

from rnn_tui.widgets import numbers
from rnn_tui.widgets.view import View


class Lines(list):
    """Content given as its lines, Rich Texts without a line break: ``text_strips``
    takes them as they are, rather than joining and splitting again."""

    def joined(self) -> Text:
        return Text("\n").join(self)


class Panel(Static):
    """A Static that knows which parts of the View it depends on.

    ``key(view)`` names those parts; ``show(view)`` repaints only when the key
    changed, so a step repaints just the panels whose content changed (bytes
    per step matter over SSH). And when the new content has the same height,
    only its changed lines are refreshed: Textual would otherwise send the
    whole panel down the wire (a row of coloured numbers is ~300 bytes).

    Content that is one Rich Text whose lines fit is turned into lines here
    (``text_strips``), a few times faster than Textual's general path, which
    wraps, aligns and tags every run for mouse selection. Text that wraps
    (``WRAPS``) is wrapped here too when the panel's height is fixed (the
    narration's); anything else takes Textual's path.
    """

    _NEVER = object()
    WRAPS = False  # whether the content is paragraphs that wrap to the width

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._key: Hashable = self._NEVER
        self._content: RenderableType | None = None  # what show() last built
        self._visual: Visual | None = None  # _content for Textual, made when it asks
        self._prerendered: tuple | None = None  # (size, lines) show() rendered for _content
        self._line_cache: tuple = (None, {})  # ((width, base style), text_strips' cache)
        self.repaints = 0  # how often content was replaced (tests and benchmarks read it)
        self.lines_repainted = 0  # how many lines the partial repaints refreshed (benchmarks)

    def key(self, view: View) -> Hashable:
        raise NotImplementedError

    def build(self, view: View) -> RenderableType:
        raise NotImplementedError

    def render(self) -> Visual:
        if self._content is None:
            return super().render()
        if self._visual is None:
            content = self._content
            if isinstance(content, Lines):
                content = content.joined()
            self._visual = visualize(self, content, markup=False)
        return self._visual

    def _render_content(self) -> None:
        """Use the lines ``show`` already rendered to compare, rather than render twice."""
        pre, self._prerendered = self._prerendered, None
        if pre is not None and pre[0] == self.size:
            self._render_cache = _RenderCache(self.size, pre[1])
            self._dirty_regions.clear()
            return
        if self._content is not None and (lines := self._quick_lines(*self.size)) is not None:
            self._render_cache = _RenderCache(self.size, lines)
            self._dirty_regions.clear()
            return
        super()._render_content()

    def _quick_lines(self, width: int, height: int) -> list[Strip] | None:
        """The content as lines by ``text_strips``, if it can be (None: Textual's way)."""
        content = self._content
        if not isinstance(content, (Text, Lines)) or not width:
            return None
        if self.WRAPS and not self._fixed_height():
            return None  # Textual measures the height: its own wrapping must draw it
        style = self.visual_style
        if style.reverse or self.styles.content_align != ("left", "top"):
            return None
        base = style.rich_style
        if self._line_cache[0] != (width, base):
            self._line_cache = ((width, base), {})
        lines = text_strips(content, width, base, self.app.console, self._line_cache[1],
                            wrap=self.WRAPS)
        return lines if lines is not None and len(lines) <= height else None

    def show(self, view: View) -> None:
        # the language and the theme change every panel's words or colours
        key = (getattr(view, "lang", None), getattr(view, "theme", None), numbers.limit(),
               self.key(view))
        if key == self._key:
            return
        self._key = key
        self.repaints += 1
        self._content = self.build(view)
        self._visual = None
        self._prerendered = None
        changed = self._changed_lines()
        if changed is None:  # size may change, or nothing to compare with: as Static.update
            self.refresh(layout=True)
            return
        self.lines_repainted += len(changed)
        for y, x0, x1 in changed:
            self.refresh(Region(x0, y, x1 - x0, 1))

    def _changed_lines(self) -> list[tuple[int, int, int]] | None:
        """(y, x0, x1) of each line that differs from what is on screen, and the
        cells x0..x1 (exclusive) that may differ, if the height stays the same."""
        if not self.is_mounted or not self.display or self._dirty_regions:
            return None
        width, height = self.size
        cache = self._render_cache  # what is on screen now (Textual keeps it per widget)
        if not width or not height or cache.size != self.size:
            return None
        old_lines = list(cache.lines)
        fixed = self._fixed_height()
        if not fixed and len(old_lines) != height:
            return None
        lines = self._quick_lines(width, height)
        if lines is None:
            visual = self.render()
            if not fixed and visual.get_height(self.styles, width) != height:
                return None  # the panel will grow or shrink: a layout
            lines = Visual.to_strips(self, visual, width, height, self.visual_style)
        if not fixed and len(lines) != height:
            return None
        self._prerendered = (self.size, lines)  # Textual would render them again
        # below the content Textual shows blank lines (Widget.render_line): with a
        # fixed height (the narration's), fewer lines are padding, not a layout
        blank = Strip.blank(width, self.visual_style.rich_style)
        old_lines += [blank] * (height - len(old_lines))
        new_lines = lines + [blank] * (height - len(lines))
        return [
            (y, *_changed_span(old, new, width))
            for y, (old, new) in enumerate(zip(old_lines[:height], new_lines[:height],
                                               strict=True))
            if old != new
        ]

    def _fixed_height(self) -> bool:
        """A height in cells (the narration's): shorter content is padded, not a layout."""
        height = self.styles.height
        return height is not None and height.is_cells


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
    lines: list[Text]
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
            segments = [Segment(segment.text, base + segment.style if segment.style else base)
                        for segment in line.render(console) if segment.text]
            if length < width:
                segments.append(Segment(" " * (width - length), base))
            strip = Strip(segments, width)
        if cache is not None:
            cache[key] = strip
        strips.append(strip)
    return strips


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
