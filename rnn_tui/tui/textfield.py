"""Widgets that keep keys in the order they were typed, even when they arrive together.

Textual 8.2.8's Input (Textualize/textual#6605) loses or reorders keys that
arrive in one read, as they often do over SSH. The app hands every key to the
focused widget's queue at once; the Input inserts a printable key when it takes
it, but a key bound to an action (Backspace, Tab, Enter...) bubbles back up to
the app, which runs the binding only after the Input has taken the keys queued
behind it. So Backspace ×3 then ``0.5`` in one burst types ``0.5`` first and
then deletes it; a sentence, Tab and a label puts the label in the sentence
field (the label's keys were queued to the sentence field before Tab moved the
focus).

:class:`KeepsKeyOrder` (for any focusable widget; :class:`TextField` is an
Input with it) does three things, with public Textual API only
(``Screen.active_bindings``, ``App.run_action``, ``post_message``,
``call_later``):

- it runs a key's binding as it takes the key, in order;
- it hands a key that waited in its queue while the focus moved on to the
  widget that has the focus now;
- after a binding whose effects come later (Enter submits: a message travels
  to the app, which then moves the focus; a screen's key opens a form; a
  binding that declines bubbles up to the next one), it holds the keys behind
  it until those effects have played out (``SETTLE_PASSES`` turns in each
  queue from the widget up to the app: no clock, so no race), then hands them
  to the focused widget: keys typed after Enter in the quiz box step on, and a
  sentence typed after ``a`` in the editor's table goes into the form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.dom import DOMNode
from textual.widgets import Input

if TYPE_CHECKING:
    from textual.binding import ActiveBinding
    from textual.message_pump import MessagePump
    from textual.widget import Widget

#: Keys held at most while a binding's effects play out (a flood stops here).
MAX_HELD = 256
#: How often the keys behind such a binding wait their turn in every queue from the
#: widget up to the app. A message bubbles up through those queues in order, and the
#: keys follow it; each pass lets a handler post one more message that must go first
#: (Input.Submitted -> the quiz bar's Guessed -> the app, which moves the focus).
SETTLE_PASSES = 3
#: The widget's own actions whose effects come later (a message, not a change in place).
LATER_ACTIONS = frozenset({"submit", "select_cursor"})


class KeepsKeyOrder:
    """A mixin for a focusable Widget: its keys take effect in the order they were typed."""

    _held: list[events.Key] | None = None  # keys waiting for a binding's effects

    def typed(self, event: events.Key) -> bool:
        """Whether the widget itself takes this key as typed text (an Input: printable)."""
        return False

    async def on_key(self, event: events.Key) -> None:
        widget: Widget = self  # type: ignore[assignment]  # a mixin of a Widget
        if self._held is not None:  # a binding's effects are still on their way
            event.stop()
            event.prevent_default()
            if len(self._held) < MAX_HELD:
                self._held.append(events.Key(event.key, event.character))
            return
        app = widget.app
        focused = app.focused
        if focused is not widget:
            # the focus moved on (Tab, a submitted field) while this key waited here
            event.stop()
            event.prevent_default()
            target = focused if focused is not None else app.screen
            target.post_message(events.Key(event.key, event.character))
            return
        if self.typed(event):
            return  # the widget takes it, now: in order
        active = widget.screen.active_bindings.get(event.key)
        if active is None or not active.enabled or active.binding.priority:
            return  # not bound (or the app's priority binding already declined): as Textual does
        # bound here, on the screen or on the app: run it now, before the keys behind it
        ran = await app.run_action(active.binding.action, active.node)
        if ran:
            event.stop()
            event.prevent_default()
        # else the action declined (SkipAction: nothing to scroll): the key bubbles up
        # and the app tries the next binding for it, as Textual does
        if not ran or not self._in_place(active):
            self._hold()

    def _in_place(self, active: ActiveBinding) -> bool:
        """Whether the binding's effects are all done when it returns (the widget's own
        editing and moving), rather than on their way (a message, a focus change)."""
        widget: Widget = self  # type: ignore[assignment]
        action = active.binding.action.partition("(")[0]
        return active.node is widget and action not in LATER_ACTIONS

    def _hold(self) -> None:
        """Hold the keys behind this one until what the binding set off has happened:
        the ones in this widget's queue here, the ones still coming in the app."""
        widget: Widget = self  # type: ignore[assignment]
        if self._held is not None:
            return
        self._held = []
        hold = getattr(widget.app, "hold_keys", None)  # TerminalApp's (not in a bare App)
        if hold is not None:
            hold()
        chain: list[MessagePump] = []  # this widget, its ancestors, the screen, the app
        node: MessagePump | None = widget
        while node is not None:
            chain.append(node)
            node = node.parent if isinstance(node, DOMNode) else None
        self._relay(chain, 0, SETTLE_PASSES)

    def _relay(self, chain: list[MessagePump], at: int, passes: int) -> None:
        """Take a turn in ``chain[at]``'s queue, then in the next one's, ``passes`` times."""
        if at == len(chain):
            at, passes = 0, passes - 1
        if passes == 0:
            self._release()
        elif not chain[at].call_later(self._relay, chain, at + 1, passes):
            self._relay(chain, at + 1, passes)  # that one has closed (its screen went)

    def _release(self) -> None:
        widget: Widget = self  # type: ignore[assignment]
        held, self._held = self._held or [], None
        app = widget.app
        focused = app.focused
        target = focused if focused is not None else app.screen  # (this one's may be gone)
        for key in held:  # in order; to this widget again if it still has the focus
            target.post_message(key)
        release = getattr(app, "release_keys", None)
        if release is not None:
            release()  # then the keys that came after them


class TextField(KeepsKeyOrder, Input):
    """An Input whose keys take effect in the order they were typed."""

    def typed(self, event: events.Key) -> bool:
        return event.is_printable
