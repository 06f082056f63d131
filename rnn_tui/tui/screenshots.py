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
}


def lesson_app(**options) -> RNNApp:
    d = lesson_dataset()
    options.setdefault("lang", "en")
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


async def shoot_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [await shoot(name, *state, out) for name, state in STATES.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_tui.tui.screenshots", description=__doc__)
    parser.add_argument("--out", default="screenshots", help="folder (default: screenshots)")
    args = parser.parse_args(argv)
    for path in asyncio.run(shoot_all(Path(args.out))):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
