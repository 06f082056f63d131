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
"""

from __future__ import annotations

from dataclasses import dataclass

SUBSTEPS = 4


@dataclass(frozen=True)
class Cursor:
    pos: int
    steps: int  # T

    @property
    def last(self) -> int:
        return SUBSTEPS * self.steps + 1

    @property
    def t(self) -> int:
        """The time step being shown (0 at the start; T at the output)."""
        if self.pos == 0:
            return 0
        return min((self.pos - 1) // SUBSTEPS + 1, self.steps)

    @property
    def phase(self) -> int:
        """0 at the start, 1..4 within a time step, 5 at the output."""
        if self.pos == 0:
            return 0
        if self.pos == self.last:
            return 5
        return (self.pos - 1) % SUBSTEPS + 1

    @property
    def at_output(self) -> bool:
        return self.pos == self.last

    def clamp(self, pos: int) -> int:
        return max(0, min(pos, self.last))

    def next_step(self) -> int:
        """The position that completes the next time step (or shows the output)."""
        if self.pos >= SUBSTEPS * self.steps:
            return self.last
        return (self.pos // SUBSTEPS + 1) * SUBSTEPS

    def previous_step(self) -> int:
        """The position where the previous time step was complete (or the start)."""
        return max(0, (self.pos - 1) // SUBSTEPS * SUBSTEPS)
