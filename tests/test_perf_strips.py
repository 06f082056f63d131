"""Issue 22: the panels' faster paths draw exactly what the general ones draw.

No timing here (speed is measured in benchmarks/): each cache or shortcut is
checked against a fresh render after every kind of change.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text

from rnn_tui.tui.panels import base

CONSOLE = Console(width=200, color_system="truecolor")
BASE = Style(color="white", bgcolor="black")
STYLES = ["", "bold", "#1f77b4 bold", "italic dim", "reverse", "underline", "not a style!",
          Style(color="red"), Style.null(), "link https://example.com"]


def rich_segments(line: Text, base_style: Style) -> list[Segment]:
    """What text_strips drew before: Rich's own render, on the panel's style."""
    return [Segment(s.text, base_style + s.style if s.style else base_style)
            for s in line.render(CONSOLE) if s.text]


@st.composite
def lines(draw) -> Text:
    plain = draw(st.text(alphabet="ab +-.0123[]·한", max_size=12))
    text = Text(plain, style=draw(st.sampled_from(STYLES)))
    for _ in range(draw(st.integers(0, 5))):
        start = draw(st.integers(0, len(plain)))  # spans as Rich keeps them (empty too)
        end = draw(st.integers(start, len(plain)))
        text.spans.append(Span(start, end, draw(st.sampled_from(STYLES))))
    return text


@settings(max_examples=400, deadline=None)
@given(lines())
def test_segments_are_rich_s(line: Text) -> None:
    assert base._segments(line, BASE, CONSOLE) == rich_segments(line, BASE)


def test_segments_of_a_row_of_numbers() -> None:
    row = Text()
    for value, style in (("[+0.100 ", "#1f77b4"), ("-0.200 ", "#ff7f0e"), ("+0.000]", "dim")):
        row.append(value, style=style)
    row.append(" ◀", style="bold")
    assert base._segments(row, BASE, CONSOLE) == rich_segments(row, BASE)
    assert len(base._segments(row, BASE, CONSOLE)) == 4
    assert base._segments(Text(""), BASE, CONSOLE) == []
    assert base._segments(Text("x", style="bold"), BASE, CONSOLE) == [Segment("x", BASE)]
