"""The class's messages: what travels between a served session and the class hub.

No Textual and no sockets here: only the messages, as small versioned JSON
objects, one per line, and the checks that a received one is well formed.
The hub (``rnn_tui.serve.hub``) runs in the server process; each session's app
(``rnn_tui.tui.classlink``) talks to it over a local stream socket. What
travels is the lesson's state (``Lesson.to_dict``), never screen bytes: each
student renders it at their own size, in their own language and theme.

Every message is a JSON object with ``"v": VERSION`` and a ``"type"``. Lines
are at most ``MAX_LINE`` bytes (a lesson's content is the only big one; a
session's other messages are at most ``MAX_SMALL`` bytes).

session -> hub
    ``hello``     {token}: the first line; the token names the session (the
                  server made it when the SSH login chose the role).
    ``content``   {lesson}: the leader's whole lesson (``Lesson.to_dict()``),
                  sent when the leader starts leading and whenever the data or
                  the weights change (``Lesson.revision``), before the position.
    ``position``  {selected, pos, batch_view, backward, following, t, steps,
                  phase, score}: where this session is, after every change; the
                  leader's is also what followers move to.
    ``hand``      {up}: raise or lower one's own hand.
    ``lock``      {on}: a teacher locks or unlocks the class.
    ``lead``      {}: a teacher takes the lead.
    ``clear_hand`` {id}: a teacher lowers a student's hand.
    ``ask``       {what, b, t, entry, pos, truth}: the leader asks the class
                  (issue 18) about the value its next sub-step reveals
                  (``teach.quiz.question`` on the leader's lesson).
    ``answer``    {qid, text}: a student's guess as typed (at most
                  ``MAX_GUESS`` characters); the hub parses and grades it, and
                  counts a student's last one before the reveal.
    ``reveal``    {qid}: the leader reveals the open question now.

hub -> session
    ``welcome``   {id, name, role}: who this session is ("teacher" or "student").
    ``content``   {rev, lesson}: the leader's lesson (the newest only).
    ``position``  {rev, selected, pos, batch_view, backward}: the leader's
                  position in the content of revision ``rev`` (the newest only;
                  a session ignores one whose ``rev`` is not its content's).
    ``class``     {locked, leader, you_lead}: the leader's name (or null).
    ``roster``    {connected, following, students: [...]}: teachers only, at
                  most a few a second. A student entry: {id, name, via, role,
                  following, selected, t, steps, phase, idle, hand, score}.
    ``hand``      {up}: a teacher lowered this student's hand.
    ``quiz``      {qid, what, b, t, entry, pos, open, answered, total, seconds,
                  guess, truth, bins, points, mine, top}: the class's question,
                  each session's own: while ``open``, ``guess`` is this
                  student's counted guess (or null) and ``seconds`` what is
                  left (null: no limit); once revealed, ``truth``, ``bins``
                  (``teach.histogram``'s counts), this student's ``points``
                  (null: no guess), ``mine`` = [answered, points, missed] so far
                  in the class and ``top``: the five best [name, points]
                  (none to students with ``serve --anonymous``).

The quiz messages (issue 18) were added to version 1: only new types, so a
session and a hub of before still read each other's other messages.

Latest state wins: the hub keeps, for each session, only the newest message
of each type not yet written, so a slow or stuck session never delays anyone.
"""

from __future__ import annotations

import json
import math
from typing import Any

PROTOCOL = "rnn-tui-class"
VERSION = 1
#: The longest line read from a socket (a lesson of the data limits' size fits).
MAX_LINE = 16 * 1024 * 1024
#: The longest line of any message but ``content``.
MAX_SMALL = 64 * 1024
#: Names shown in the roster are cut to this many characters.
MAX_NAME = 40
#: Entries in a roster message.
MAX_ROSTER = 1000
#: The longest guess a student types (characters).
MAX_GUESS = 40
#: Histogram bins in a quiz message (``teach.histogram.LABELS``).
QUIZ_BINS = 5
#: Entries in a quiz message's top list.
MAX_TOP = 5
#: Environment variables that tell a served session where the hub is.
ENV_SOCKET, ENV_TOKEN = "RNN_TUI_CLASS", "RNN_TUI_CLASS_TOKEN"

ROLES = ("teacher", "student")
#: What each side may send, and who may send it (the hub checks the role).
FROM_SESSION = frozenset({"hello", "content", "position", "hand", "lock", "lead", "clear_hand",
                          "ask", "answer", "reveal"})
TEACHER_ONLY = frozenset({"content", "lock", "lead", "clear_hand", "ask", "reveal"})
FROM_HUB = frozenset({"welcome", "content", "position", "class", "roster", "hand", "quiz"})
QUIZ_KINDS = ("pre", "h", "y")


class MessageError(ValueError):
    """A line that is not a well-formed class message (one line, for the log)."""


def encode(kind: str, **fields: Any) -> bytes:
    """One message as a line of UTF-8 JSON (ending in a newline)."""
    msg = {"v": VERSION, "type": kind, **fields}
    return (json.dumps(msg, ensure_ascii=False, separators=(",", ":"),
                       allow_nan=False) + "\n").encode("utf-8")


def decode(line: bytes, sender: str) -> dict[str, Any]:
    """The message on ``line``, sent by ``sender`` ("session" or "hub"), if its
    type is one that side sends and its fields are right; MessageError
    otherwise. ``content``'s lesson is checked by ``Lesson.from_dict`` where it
    is used, and the role (TEACHER_ONLY) by the hub."""
    allowed = FROM_HUB if sender == "hub" else FROM_SESSION
    if len(line) > MAX_LINE:
        raise MessageError("message too long")
    try:
        msg = json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MessageError("not JSON") from None
    if not isinstance(msg, dict):
        raise MessageError("not an object")
    if msg.get("v") != VERSION or isinstance(msg.get("v"), bool):
        raise MessageError(f"version {msg.get('v')!r} is not {VERSION}")
    kind = msg.get("type")
    if kind not in allowed:
        raise MessageError(f"unexpected message type {str(kind)[:40]!r}")
    if kind != "content" and len(line) > MAX_SMALL:
        raise MessageError(f"{kind}: too long")
    check = _CHECKS.get((kind, "hub" if sender == "hub" else "session"))
    if check is not None:
        check(msg)
    return msg


# --- field checks -----------------------------------------------------------------
def _int(msg: dict, key: str, low: int = 0, high: int = 2**31, null: bool = False) -> None:
    value = msg.get(key)
    if null and value is None:
        return
    if type(value) is not int or not low <= value <= high:
        raise MessageError(f"{msg['type']}: {key}: expected an integer {low}..{high}")


def _bool(msg: dict, key: str) -> None:
    if type(msg.get(key)) is not bool:
        raise MessageError(f"{msg['type']}: {key}: expected true or false")


def _str(msg: dict, key: str, limit: int, null: bool = False) -> None:
    value = msg.get(key)
    if null and value is None:
        return
    if not isinstance(value, str) or len(value) > limit:
        raise MessageError(f"{msg['type']}: {key}: expected a text of at most {limit}")


def _score(value: object) -> bool:
    return (isinstance(value, list) and len(value) == 3
            and all(type(v) is int and 0 <= v <= 2**31 for v in value))


def _where(msg: dict) -> None:
    """The position fields every position message has."""
    for key in ("selected", "pos"):
        _int(msg, key)
    _bool(msg, "batch_view")
    _int(msg, "backward", null=True)


def _session_position(msg: dict) -> None:
    _where(msg)
    _bool(msg, "following")
    for key in ("t", "steps"):
        _int(msg, key)
    _int(msg, "phase", 0, 5)
    if not _score(msg.get("score")):
        raise MessageError("position: score: expected [asked, points, skipped]")


def _hub_position(msg: dict) -> None:
    _where(msg)
    _int(msg, "rev")


def _content(msg: dict) -> None:
    if not isinstance(msg.get("lesson"), dict):
        raise MessageError("content: lesson: expected an object")


def _hub_content(msg: dict) -> None:
    _content(msg)
    _int(msg, "rev")


def _welcome(msg: dict) -> None:
    _int(msg, "id")
    _str(msg, "name", MAX_NAME)
    if msg.get("role") not in ROLES:
        raise MessageError("welcome: role: expected teacher or student")


def _class(msg: dict) -> None:
    _bool(msg, "locked")
    _bool(msg, "you_lead")
    _str(msg, "leader", MAX_NAME, null=True)


def _roster(msg: dict) -> None:
    _int(msg, "connected")
    _int(msg, "following")
    students = msg.get("students")
    if not isinstance(students, list) or len(students) > MAX_ROSTER:
        raise MessageError(f"roster: students: expected a list of at most {MAX_ROSTER}")
    for s in students:
        if not isinstance(s, dict):
            raise MessageError("roster: a student is not an object")
        s = {"type": "roster", **s}
        _int(s, "id")
        _str(s, "name", MAX_NAME)
        _str(s, "via", 10)
        if s.get("role") not in ROLES:
            raise MessageError("roster: role: expected teacher or student")
        for key in ("following", "hand"):
            _bool(s, key)
        for key in ("selected", "t", "steps"):
            _int(s, key)
        _int(s, "phase", 0, 5)
        idle = s.get("idle")
        if not isinstance(idle, (int, float)) or isinstance(idle, bool) \
                or not math.isfinite(idle) or idle < 0:
            raise MessageError("roster: idle: expected seconds")
        if not _score(s.get("score")):
            raise MessageError("roster: score: expected [asked, points, skipped]")


def _number(msg: dict, key: str, null: bool = False) -> None:
    value = msg.get(key)
    if null and value is None:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) \
            or not math.isfinite(value) or abs(value) > 1e12:
        raise MessageError(f"{msg['type']}: {key}: expected a number")


def _question(msg: dict) -> None:
    """The fields that say what is asked (ask and quiz)."""
    if msg.get("what") not in QUIZ_KINDS:
        raise MessageError(f"{msg['type']}: what: expected one of {', '.join(QUIZ_KINDS)}")
    for key in ("b", "t", "pos"):
        _int(msg, key)
    _int(msg, "entry", null=True)


def _ask(msg: dict) -> None:
    _question(msg)
    _number(msg, "truth")


def _quiz(msg: dict) -> None:
    _question(msg)
    _int(msg, "qid")
    _bool(msg, "open")
    _int(msg, "answered")
    _int(msg, "total")
    for key in ("seconds", "guess", "truth"):
        _number(msg, key, null=True)
    _int(msg, "points", 0, 2, null=True)
    bins = msg.get("bins")
    if bins is not None and not (isinstance(bins, list) and len(bins) == QUIZ_BINS and all(
            type(v) is int and 0 <= v <= 2**31 for v in bins)):
        raise MessageError(f"quiz: bins: expected {QUIZ_BINS} counts")
    if not _score(msg.get("mine")):
        raise MessageError("quiz: mine: expected [answered, points, missed]")
    top = msg.get("top")
    if not isinstance(top, list) or len(top) > MAX_TOP or not all(
            isinstance(e, list) and len(e) == 2 and isinstance(e[0], str)
            and len(e[0]) <= MAX_NAME and type(e[1]) is int and e[1] >= 0 for e in top):
        raise MessageError(f"quiz: top: expected at most {MAX_TOP} [name, points]")


def _answer(msg: dict) -> None:
    _int(msg, "qid")
    _str(msg, "text", MAX_GUESS)


_CHECKS = {
    ("hello", "session"): lambda m: _str(m, "token", 200),
    ("content", "session"): _content,
    ("position", "session"): _session_position,
    ("hand", "session"): lambda m: _bool(m, "up"),
    ("lock", "session"): lambda m: _bool(m, "on"),
    ("clear_hand", "session"): lambda m: _int(m, "id"),
    ("welcome", "hub"): _welcome,
    ("content", "hub"): _hub_content,
    ("position", "hub"): _hub_position,
    ("class", "hub"): _class,
    ("roster", "hub"): _roster,
    ("hand", "hub"): lambda m: _bool(m, "up"),
    ("ask", "session"): _ask,
    ("answer", "session"): _answer,
    ("reveal", "session"): lambda m: _int(m, "qid"),
    ("quiz", "hub"): _quiz,
}


def display_name(name: str) -> str:
    """A login or key comment as a roster name: printable, at most MAX_NAME characters."""
    clean = "".join(c if c.isprintable() else "?" for c in name).strip()
    return (clean or "?")[:MAX_NAME]
