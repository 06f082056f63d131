"""Where the stepper is, counted in sub-steps (no Textual here).

A time step is revealed in four sub-steps, then the output in one more::

    pos 0            start: h_0 = 0, nothing computed
    pos 4(t-1) + 1   t: x_t·Wxh
    pos 4(t-1) + 2   t: + h_{t-1}·Whh
    pos 4(t-1) + 3   t: + Bh = the sum before tanh
    pos 4(t-1) + 4   t: h_t = tanh(sum)
    pos 4T + 1       the output: z = h_T·Wy + By, y = sigmoid(z)

The engine computes a whole time step at once; the app reveals its terms one
sub-step at a time. ``Cursor`` only does this arithmetic.

The gated cells (``rnn_tui.core.cells``) have more sub-steps per time step:
``Cursor(pos, steps, cell="gru")`` counts ``per_step`` = 14 (GRU) or 18 (LSTM)
of them, named in ``SUBSTEP_NAMES[cell]`` (``Cursor.substep`` is the current
one); the vanilla cell's four are unchanged (``SUBSTEPS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

SUBSTEPS = 4


class SubStep(NamedTuple):
    """One sub-step of a time step: the group it belongs to (a gate: r z n, i f g o;
    or the result: h, c), the part (``xW``, ``hW``, ``reset``, ``sum``, ``act``,
    ``c``, ``h``) and how the equations write it."""

    group: str
    part: str
    label: str


def _gate(name: str, act: str) -> tuple[SubStep, ...]:
    return (SubStep(name, "xW", f"x·Wx{name}"), SubStep(name, "hW", f"h·Wh{name}"),
            SubStep(name, "sum", f"x·Wx{name} + h·Wh{name} + b{name}"),
            SubStep(name, "act", f"{name} = {act}(sum)"))


#: Each cell's sub-steps of one time step, in the order they are revealed.
SUBSTEP_NAMES: dict[str, tuple[SubStep, ...]] = {
    "rnn": (SubStep("h", "xW", "x·Wxh"), SubStep("h", "hW", "h·Whh"),
            SubStep("h", "sum", "x·Wxh + h·Whh + Bh"), SubStep("h", "act", "h = activation(sum)")),
    "gru": (*_gate("r", "σ"), *_gate("z", "σ"),
            SubStep("n", "xW", "x·Wxn + bxn"), SubStep("n", "hW", "h·Whn + bhn"),
            SubStep("n", "reset", "r ⊙ (h·Whn + bhn)"),
            SubStep("n", "sum", "x·Wxn + bxn + r ⊙ (h·Whn + bhn)"),
            SubStep("n", "act", "n = tanh(sum)"),
            SubStep("h", "h", "h' = (1 − z) ⊙ n + z ⊙ h")),
    "lstm": (*_gate("i", "σ"), *_gate("f", "σ"), *_gate("g", "tanh"), *_gate("o", "σ"),
             SubStep("c", "c", "c' = f ⊙ c + i ⊙ g"), SubStep("h", "h", "h' = o ⊙ tanh(c')")),
}


@dataclass(frozen=True)
class Cursor:
    pos: int
    steps: int  # T
    cell: str = "rnn"  # "gru" or "lstm": more sub-steps per time step

    @property
    def per_step(self) -> int:
        """Sub-steps per time step: 4 for the vanilla cell, 14 GRU, 18 LSTM."""
        return SUBSTEPS if self.cell == "rnn" else len(SUBSTEP_NAMES[self.cell])

    @property
    def last(self) -> int:
        return self.per_step * self.steps + 1

    @property
    def substep(self) -> SubStep | None:
        """The sub-step shown (None at the start and at the output)."""
        if self.pos == 0 or self.at_output:
            return None
        return SUBSTEP_NAMES[self.cell][self.phase - 1]

    @property
    def t(self) -> int:
        """The time step being shown (0 at the start; T at the output)."""
        if self.pos == 0:
            return 0
        return min((self.pos - 1) // self.per_step + 1, self.steps)

    @property
    def phase(self) -> int:
        """0 at the start, 1..4 within a time step, 5 at the output (gated cells:
        1..per_step, then per_step + 1)."""
        if self.pos == 0:
            return 0
        if self.pos == self.last:
            return self.per_step + 1
        return (self.pos - 1) % self.per_step + 1

    @property
    def at_output(self) -> bool:
        return self.pos == self.last

    def clamp(self, pos: int) -> int:
        return max(0, min(pos, self.last))

    def next_step(self) -> int:
        """The position that completes the next time step (or shows the output)."""
        n = self.per_step
        if self.pos >= n * self.steps:
            return self.last
        return (self.pos // n + 1) * n

    def previous_step(self) -> int:
        """The position where the previous time step was complete (or the start)."""
        n = self.per_step
        return max(0, (self.pos - 1) // n * n)
