"""The terminal writer: only the cells that changed, colours as changes.

A model of the terminal, text in and text out, with no Textual in it:

- :mod:`rnn_tui.term.sgr`: colour codes (SGR) read, and written as changes
  (:func:`compact`);
- :mod:`rnn_tui.term.damage`: the screen cell by cell (:class:`Terminal`), and
  writes cut down to the cells that differ.

It imports nothing else of rnn_tui; Rich only for cell widths, as Textual lays
them out. The Textual driver that puts it to work is rnn_tui/tui/driver.py.
"""

from rnn_tui.term.damage import CJK_LANGUAGES, GiveUp, Terminal, cjk_locale
from rnn_tui.term.sgr import PLAIN, RESET, Style, apply_sgr, compact, parse

__all__ = [
    "CJK_LANGUAGES",
    "PLAIN",
    "RESET",
    "GiveUp",
    "Style",
    "Terminal",
    "apply_sgr",
    "cjk_locale",
    "compact",
    "parse",
]
