"""A text field that keeps keys in the order they were typed, even when they arrive together.

Textual 8.2.8's Input (Textualize/textual#6605) loses or reorders keys that
arrive in one read, as they often do over SSH. The app hands every key to the
focused widget's queue at once; the Input inserts a printable key when it takes
it, but a key bound to an action (Backspace, Tab, Enter...) bubbles back up to
the app, which runs the binding only after the Input has taken the keys queued
behind it. So Backspace ×3 then ``0.5`` in one burst types ``0.5`` first and
then deletes it; a sentence, Tab and a label puts the label in the sentence
field (the label's keys were queued to the sentence field before Tab moved the
focus).

:class:`TextField` runs such a binding as it takes the key, in order, and hands
a key that waited in its queue while the focus moved on to the widget that has
the focus now. Public Textual API only: ``Screen.active_bindings``,
``App.run_action``, ``post_message``.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class TextField(Input):
    """An Input whose keys take effect in the order they were typed."""

    async def on_key(self, event: events.Key) -> None:
        app = self.app
        focused = app.focused
        if focused is not self:
            # the focus moved on (Tab, a submitted field) while this key waited here
            event.stop()
            event.prevent_default()
            target = focused if focused is not None else self.screen
            target.post_message(events.Key(event.key, event.character))
            return
        if event.is_printable:
            return  # the Input inserts it, now: in order
        active = self.screen.active_bindings.get(event.key)
        if active is None or not active.enabled or active.binding.priority:
            return  # not bound (or the app's priority binding already declined): as Textual does
        # bound here, on the screen or on the app: run it now, before the keys behind it
        if await app.run_action(active.binding.action, active.node):
            event.stop()
            event.prevent_default()
        # else the action declined (SkipAction: nothing to scroll): the key bubbles up
        # and the app tries the next binding for it, as Textual does
