"""Write SVG screenshots of the real app into ``screenshots/``.

    python -m rnn_tui.tui.screenshots [--out screenshots]

Each state is reached by pressing keys, as a user would. The README shows them.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.tui.app import RNNApp

MID = ["L", "right", "right", "right", "3"]  # t = 2, the sum revealed, sentence 3

#: file name -> (terminal size, keys pressed from the start, app options)
STATES: dict[str, tuple[tuple[int, int], list[str], dict]] = {
    "start": ((80, 24), [], {}),
    "mid-step": ((80, 24), MID, {}),
    "end": ((80, 24), ["end", "3"], {}),
    "batch-view": ((80, 24), ["L", "right", "right", "b"], {}),
    "help": ((80, 24), ["question_mark"], {}),
    "roomy": ((120, 40), ["L", "right", "right", "right", "right", "3"], {}),
    "korean": ((80, 24), MID, {"lang": "ko"}),
    "projector": ((80, 24), MID, {"theme": "projector"}),
    # gated cells (issue 21): the built-in trained weights, gate by gate
    "gru": ((80, 24), ["L", *["right"] * 11, "3"], {"cell": "gru"}),  # t = 2, n's r ⊙ (…)
    "lstm": ((80, 24), ["L", *["right"] * 8], {"cell": "lstm"}),  # t = 2, f = σ(sum)
    "lstm-korean": ((80, 24), ["L", "L", *["right"] * 17], {"cell": "lstm", "lang": "ko"}),
    "memory-rnn": ((80, 24), ["m"], {"cell": "long-rnn"}),  # examples/long.tsv
    "memory-lstm": ((80, 24), ["m"], {"cell": "long-lstm"}),
}

#: The example files of the memory view (in the repository, not the package).
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def lesson_app(cell: str = "rnn", **options) -> RNNApp:
    d = lesson_dataset()
    options.setdefault("lang", "en")
    if cell in ("gru", "lstm"):
        from rnn_tui.core.train import load_any_weights

        w = load_any_weights(f"trained-{cell}")
        return RNNApp(d.with_vocab(w.vocab), w, **options)
    if cell.startswith("long-"):  # the memory view's example: long sentences
        from rnn_tui.core.cells import load_any
        from rnn_tui.core.data import load_data

        d = load_data(EXAMPLES / "long.tsv")
        if cell == "long-lstm":
            lstm = load_any(EXAMPLES / "long-lstm.json")
            return RNNApp(load_data(EXAMPLES / "long.tsv", lstm.vocab), lstm, **options)
    return RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), **options)


async def shoot(
    name: str, size: tuple[int, int], keys: list[str], options: dict, out: Path
) -> Path:
    app = lesson_app(**options)
    async with app.run_test(size=size) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        path = app.save_screenshot(filename=f"{name}.svg", path=str(out))
    return Path(path)


async def shoot_all(out: Path, only: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [await shoot(name, *state, out) for name, state in STATES.items()
            if not only or name in only]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_tui.tui.screenshots", description=__doc__)
    parser.add_argument("--out", default="screenshots", help="folder (default: screenshots)")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"only these (default: all): {', '.join(STATES)}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in STATES]
    if unknown:
        parser.error(f"no such screenshot: {', '.join(unknown)}")
    for path in asyncio.run(shoot_all(Path(args.out), args.names)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
