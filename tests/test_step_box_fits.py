"""The step box fits above the narration at every sub-step, on data whose Wxh has
more rows than the screen writes (a teacher's vocabulary: "a", "b", …, then "…",
then the last row): the row the token picks is kept even when it is one of the
hidden ones, which costs a line and another "…" (``numbers.most_shown``).

Found on a hostile data file at 80×24: 6 sentences over 6 tokens, hidden 4. At the
fifth token's x·Wxh the box was a line taller than its room, and its bottom border
was under the narration."""

from __future__ import annotations

import pytest
from conftest import screen_text
from test_markup import write_data

from rnn_tui.cli.main import build_model, run_parser
from rnn_tui.tui.app import make_app
from rnn_tui.tui.panels import numbers

#: 6 sentences (lengths 1 to 6) over 6 tokens, the rare ones late in the vocabulary.
SENTENCES = [
    (1, "ant"),
    (0, "bee cat"),
    (1, "ant emu fox cat"),
    (0, "cat ant emu dog"),
    (1, "dog fox ant bee cat"),
    (0, "emu ant fox bee dog cat"),
]


def app_for(path: str, hidden: int = 4, lang: str = "en"):
    args = run_parser().parse_args(["--data", path, "--hidden", str(hidden), "--lang", lang])
    return make_app(build_model(args), precision=args.precision, lang=lang)


def test_most_shown_is_the_most_any_picked_row_takes():
    old = numbers.limit()
    try:
        for limit in (0, 5, 9):
            numbers.set_limit(limit)
            for count in range(1, 40):
                most = max(len(numbers.shown(count, must)) for must in [None, *range(count)])
                assert numbers.most_shown(count) == most, (limit, count)
    finally:
        numbers.set_limit(old)


@pytest.mark.parametrize(("size", "lang"), [((80, 24), "en"), ((80, 24), "ko"),
                                            ((120, 40), "en")])
async def test_the_step_box_fits_at_every_sub_step(tmp_path, size, lang):
    app = app_for(write_data(tmp_path / "own.tsv", SENTENCES), lang=lang)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for b in range(len(SENTENCES)):
            if b:
                await pilot.press("down", "home")
            steps = len(SENTENCES[b][1].split())
            for _ in range(4 * steps):
                await pilot.press("right")
                await pilot.pause()
                box = app.query_one("#step")
                narration = app.query_one("#narration")
                where = (b, app.lesson.pos)
                assert box.region.bottom <= narration.region.y, where
                rows = screen_text(app).splitlines()
                assert rows[box.region.bottom - 1].startswith("╰"), where  # its last border
