"""Which panels are on screen in a view: the rules of app.tcss, in Python.

The app asks before handing a panel the view: a hidden panel is not
recomputed, and catches up when it is shown again. Keep this in step with
app.tcss (the classes ``batch-view``, ``at-output`` and ``roomy``).
"""

from __future__ import annotations

from rnn_tui.tui.view import View

#: Panels that only the single-sentence step shows.
STEP_PANELS = frozenset({"input-term", "recurrent-term", "sum-term", "equation"})


def shown(panel_id: str | None, view: View, roomy: bool) -> bool:
    """Whether the panel is on screen in this view (``roomy``: a large terminal)."""
    at_output = view.cursor.at_output
    if panel_id in STEP_PANELS:
        return not at_output and not view.batch
    if panel_id == "batch-matrices":
        return not at_output and (view.batch or roomy)
    if panel_id == "output":
        return at_output
    if panel_id in ("batch", "history"):
        return not view.batch
    return True
