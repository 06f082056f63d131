"""The class hub: the server process's copy of the class, shared with every session.

``rnn-tui serve`` (with teachers configured) runs one :class:`Hub` on its own
asyncio loop. Each session's app process connects to it over a unix stream
socket in a private (0700) temporary directory and talks in the small
versioned messages of :mod:`rnn_tui.teach.classroom`; the server tells the
process where the hub is, and which session it is, in its environment
(``ENV_SOCKET``, ``ENV_TOKEN``). No asyncssh here: the hub runs and is tested
on its own.

    hub = Hub(log=logger)
    await hub.start()                       # hub.path: the socket
    token = hub.admit(name, role, via="ssh")  # one session (the SSH login chose the role)
    hub.forget(token)                       # that session ended
    hub.roster()                            # the roster message's entries
    await hub.close()

Rules:

- A connection's first line is ``hello{token}`` of an admitted session, within
  ``hello_timeout`` seconds, else it is closed. A token has one link at a
  time: a new hello with it replaces the old link.
- The role is the login's (``admit``), never the session's word: a student's
  teacher-only message is ignored (and logged, rate-limited). A line that is
  not a well-formed message closes that link (one log line).
- The first teacher to connect while nobody leads leads; another teacher takes
  the lead with ``lead``. A new leader is sent ``class{you_lead: true}`` and
  then sends its content and position. Each content from the leader bumps the
  hub's ``rev``; its positions are stamped with the current ``rev``. Both go
  to every other session (a teacher who does not lead follows too), and at
  once to one that joins late. When the leader leaves, nobody leads; everyone
  is told and keeps the last state.
- Roster (teachers only): sent when it changes, at most every
  ``roster_interval`` seconds (two a second: each costs a teacher's app a
  repaint of forty rows), and looked at again every ``roster_refresh``
  seconds (idle times, in whole seconds, move); never the same one twice.
  ``connected`` and ``following`` count students; ``students`` lists every
  connected session (teachers too, with their role). A following session
  is idle only as long as the leader is: its idle time is the smaller of its
  own and the leader's.
- The leader's screen first (``leader_first`` seconds, 0: off): the server
  tells the hub when a session wrote on its terminal (``wrote``); the
  leader's new state goes to the others once the leader's own screen has been
  written (or its frame was written just before), at the latest after
  ``leader_first``, so forty students repainting at once don't delay the
  teacher's own repaint.
- Asking the class (issue 18): the leader's ``ask`` opens a question (one at a
  time, at most ``results.MAX_QUESTIONS`` a class) and every session gets
  a ``quiz`` message, a student who joins while it is open too. A student's
  ``answer`` is parsed and graded here (``teach.quiz``: the hub is the one
  grader; the app sends only the text), and the last one before the reveal
  counts; one who leaves counts as not answered. Teachers see the count
  move. The question closes on the leader's ``reveal``, when every connected
  student has answered, or after ``quiz_seconds``. Then every session gets
  the truth, the histogram's bins, its own points and the top five (none to
  students if ``anonymous``); the answers go to ``results`` (a CSV) and each
  student's total to the roster's ``score`` (the hub's count, from the
  class's first question on).
- Latest state wins: each link keeps at most one unwritten message of each
  type; its writer task writes them in a fixed order and waits for the socket
  to drain, and whatever arrives meanwhile replaces what is pending. So a
  stuck or dead session holds at most one batch, and delays nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from rnn_tui.serve.results import MAX_QUESTIONS, Results, cell
from rnn_tui.teach import classroom, histogram, quiz
from rnn_tui.teach.classroom import MessageError, decode, display_name, encode

#: The order a link's pending messages are written in.
WRITE_ORDER = ("welcome", "class", "content", "position", "quiz", "roster", "hand")
#: Sessions admitted at once (the server allows at most 1000).
MAX_ADMITTED = classroom.MAX_ROSTER
#: Connections at once (sessions, and ones that have not said hello yet).
MAX_LINKS = MAX_ADMITTED + 64
#: Bytes read from a socket at a time.
READ_SIZE = 64 * 1024


class _RateLimited:
    """Log each kind of line at most every ``every`` seconds, counting the rest."""

    def __init__(self, log: logging.Logger, every: float = 10.0) -> None:
        self.log = log
        self.every = every
        self.last: dict[str, float] = {}
        self.skipped: dict[str, int] = {}

    def __call__(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self.last.get(message, -1e9) < self.every:
            self.skipped[message] = self.skipped.get(message, 0) + 1
            return
        skipped = self.skipped.pop(message, 0)
        more = f" (and {skipped} more like it)" if skipped else ""
        self.last[message] = now
        self.log.warning(message + more, *args)


@dataclass(eq=False)
class Member:
    """One admitted session and what the hub knows of it."""

    id: int
    name: str
    role: str
    via: str
    token: str
    link: _Link | None = None
    following: bool = True
    selected: int = 0
    t: int = 0
    steps: int = 0
    phase: int = 0
    score: list = field(default_factory=lambda: [0, 0, 0])
    hand: bool = False
    #: The class quiz so far (the hub's count): [answered, points, missed].
    quiz: list = field(default_factory=lambda: [0, 0, 0])
    #: When this session last sent its own position or hand (monotonic).
    active: float = field(default_factory=time.monotonic)

    @property
    def teacher(self) -> bool:
        return self.role == "teacher"


@dataclass(eq=False)
class _Quiz:
    """The class's question: what is asked, and each student's counted answer."""

    qid: int
    question: quiz.Question
    answers: dict = field(default_factory=dict)  # member id -> (member, guess, text, time)
    open: bool = True
    bins: list | None = None
    points: dict = field(default_factory=dict)  # member id -> points, once revealed
    timer: asyncio.TimerHandle | None = None
    deadline: float | None = None  # loop time


class _Link:
    """One connection from a session process: its reader and its writer task."""

    def __init__(self, hub: Hub, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.hub = hub
        self.reader = reader
        self.writer = writer
        self.member: Member | None = None
        self.pending: dict[str, bytes] = {}
        self.wake = asyncio.Event()
        self.closed = False
        self.writer_task: asyncio.Task | None = None
        self.last_roster: bytes | None = None

    def send(self, kind: str, line: bytes) -> None:
        """Queue ``line`` (a message of type ``kind``), replacing an unwritten one."""
        if self.closed:
            return
        self.pending[kind] = line
        self.wake.set()

    async def write_loop(self) -> None:
        try:
            while not self.closed:
                await self.wake.wait()
                self.wake.clear()
                batch = [self.pending.pop(k) for k in WRITE_ORDER if k in self.pending]
                if not batch:
                    continue
                self.writer.write(b"".join(batch))
                await self.writer.drain()
        except (ConnectionError, OSError):
            self.hub._drop(self, None)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.pending.clear()
        self.wake.set()
        with contextlib.suppress(Exception):
            self.writer.close()
        if self.writer_task is not None and self.writer_task is not asyncio.current_task():
            self.writer_task.cancel()


class Hub:
    """The class's state and the sessions' links (see the module's docstring)."""

    def __init__(self, log: logging.Logger | None = None, *, hello_timeout: float = 5.0,
                 roster_interval: float = 0.5, roster_refresh: float = 2.0,
                 leader_first: float = 0.0, quiz_seconds: float = 0.0,
                 anonymous: bool = False, results: Results | None = None) -> None:
        self.log = log or logging.getLogger("rnn_tui.cli.serve")
        self.hello_timeout = hello_timeout
        self.roster_interval = roster_interval
        self.roster_refresh = roster_refresh
        self.path = ""
        self.max_links = MAX_LINKS
        self._dir: str | None = None
        self._server: asyncio.AbstractServer | None = None
        self._members: dict[str, Member] = {}  # token -> member
        self._next_id = 1
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task] = set()
        self.leader: Member | None = None
        self.locked = False
        self.rev = 0
        self._content: bytes | None = None
        self._position: bytes | None = None
        self._leader_active = time.monotonic()
        self._roster_dirty = False
        self._roster_sent = 0.0
        self._roster_timer: asyncio.TimerHandle | None = None
        self._refresh_timer: asyncio.TimerHandle | None = None
        self._warn = _RateLimited(self.log)
        self.closing = False
        #: The leader's new state, held until its own screen is written (leader_first).
        self.leader_first = leader_first
        self._held: dict[str, bytes] = {}
        self._hold: asyncio.Handle | None = None
        self._leader_wrote = -1e9
        #: The class quiz (issue 18): the open or last question, how many were asked.
        self.quiz_seconds = quiz_seconds
        self.anonymous = anonymous
        self.results = results
        self.quiz: _Quiz | None = None
        self.asked = 0
        #: The class broker (issue 20, ``serve.broker.Bridge``): None on one machine.
        #: It is told of local changes (``_publish``) and calls the ``remote_*``
        #: methods for other servers' (see "the class broker" below).
        self.bridge: Any = None
        self.remote_leader: str | None = None  # a leader on another server
        self.remote_quiz: dict | None = None  # its server's question (quiz frames)
        self._ghosts: dict[int, Member] = {}  # other servers' students, for our question

    # -- the server's side -----------------------------------------------------

    async def start(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="rnn-tui-class-")  # mode 0700
        self.path = os.path.join(self._dir, "hub.sock")
        self._server = await asyncio.start_unix_server(self._accept, self.path)
        os.chmod(self.path, 0o600)
        self._refresh_timer = asyncio.get_running_loop().call_later(
            self.roster_refresh, self._refresh)

    def admit(self, name: str, role: str, via: str = "ssh") -> str:
        """A new session's secret token (its process says it in its hello)."""
        if role not in classroom.ROLES:
            raise ValueError(f"unknown role {role!r}")
        if len(self._members) >= MAX_ADMITTED:
            raise RuntimeError("too many sessions in the class")
        token = secrets.token_urlsafe(24)
        self._members[token] = Member(self._next_id, display_name(name), role,
                                      display_name(via)[:10], token)
        self._next_id += 1
        return token

    def forget(self, token: str) -> None:
        """The session of ``token`` ended: close its link, if any; it can't come back."""
        member = self._members.pop(token, None)
        if member is not None and member.link is not None:
            self._drop(member.link, None)

    def wrote(self, token: str) -> None:
        """The session of ``token`` wrote on its terminal (the server says so)."""
        leader = self.leader
        if leader is None or leader.token != token:
            return
        loop = asyncio.get_running_loop()
        self._leader_wrote = loop.time()
        if self._hold is not None:
            self._hold.cancel()
            self._hold = loop.call_soon(self._release)

    def watching(self, token: str) -> float | None:
        """When the leader was last active (``time.monotonic``), if the session of
        ``token`` is connected and follows it; else None."""
        member, leader = self._members.get(token), self.leader
        if member is None or member.link is None or member is leader or not member.following \
                or (leader is None and self.remote_leader is None):
            return None
        return self._leader_active

    def roster(self) -> list[dict]:
        """Every connected session's roster entry, in order of arrival."""
        now = time.monotonic()
        leader = self.leader
        leader_idle = now - self._leader_active if leader is not None else None
        out = []
        for m in sorted(self._connected(), key=lambda m: m.id):
            idle = now - m.active
            if m.following and leader_idle is not None and m is not leader:
                idle = min(idle, leader_idle)
            out.append({"id": m.id, "name": m.name, "via": m.via, "role": m.role,
                        "following": m.following and m is not leader,
                        "selected": m.selected, "t": m.t, "steps": m.steps,
                        "phase": m.phase, "idle": int(max(idle, 0.0)),
                        "hand": m.hand,
                        "score": list(m.quiz if self.asked else m.score)})
        return out

    async def close(self) -> None:
        self.closing = True
        if self.quiz is not None and self.quiz.timer is not None:
            self.quiz.timer.cancel()
        for timer in (self._roster_timer, self._refresh_timer, self._hold):
            if timer is not None:
                timer.cancel()
        self._roster_timer = self._refresh_timer = self._hold = None
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.close()
        self._links.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- links -------------------------------------------------------------------

    def _connected(self) -> list[Member]:
        return [m for m in self._members.values() if m.link is not None]

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.closing or len(self._links) >= self.max_links:
            if not self.closing:
                self._warn("class: refused a connection: %d already", len(self._links))
            writer.close()
            return
        link = _Link(self, reader, writer)
        self._links.add(link)
        link.writer_task = self._spawn(link.write_loop())
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            await self._serve(link)
        except asyncio.CancelledError:
            pass
        finally:
            self._drop(link, None)

    async def _serve(self, link: _Link) -> None:
        buf = bytearray()
        deadline = asyncio.get_running_loop().time() + self.hello_timeout
        while not link.closed:
            member = link.member
            limit = classroom.MAX_LINE if member is not None and member.teacher \
                else classroom.MAX_SMALL
            end = buf.find(b"\n")
            if end < 0:
                if len(buf) > limit:
                    self._drop(link, "line too long")
                    return
                try:
                    if member is None:
                        left = deadline - asyncio.get_running_loop().time()
                        if left <= 0:
                            raise asyncio.TimeoutError
                        data = await asyncio.wait_for(link.reader.read(READ_SIZE), left)
                    else:
                        data = await link.reader.read(READ_SIZE)
                except asyncio.TimeoutError:
                    self._drop(link, "no hello in time")
                    return
                except (ConnectionError, OSError):
                    return
                if not data:
                    return
                buf += data
                continue
            line = bytes(buf[:end])
            del buf[:end + 1]
            if len(line) > limit:
                self._drop(link, "line too long")
                return
            try:
                msg = decode(line, "session")
            except MessageError as exc:
                self._drop(link, str(exc))
                return
            if link.member is None:
                if not self._hello(link, msg):
                    return
            else:
                self._message(link.member, msg)

    def _hello(self, link: _Link, msg: dict) -> bool:
        member = self._members.get(msg["token"]) if msg["type"] == "hello" else None
        if member is None:
            self._drop(link, "expected hello with a session's token"
                       if msg["type"] != "hello" else "unknown token")
            return False
        old = member.link
        if old is not None:
            old.member = None  # replaced, not left
            self._drop(old, None)
        member.link = link
        link.member = member
        member.active = time.monotonic()
        self.log.info("class: %s %s joined (%s)", member.role, member.name,
                      "reconnected" if old is not None else f"id {member.id}")
        link.send("welcome", encode("welcome", id=member.id, name=member.name, role=member.role))
        if member.teacher and self.leader is None and self.remote_leader is None:
            self._set_leader(member)
        else:
            link.send("class", self._class_line(member))
            if member is not self.leader:
                if self._content is not None:
                    link.send("content", self._content)
                if self._position is not None:
                    link.send("position", self._position)
        if self.quiz is not None and self.quiz.open:
            link.send("quiz", self._quiz_line(self.quiz, member))
            self._quiz_count()  # one more to answer
        elif self.remote_quiz is not None and self.remote_quiz["open"]:
            self._send_remote_quiz(member)  # the leader's server asks (issue 20)
        self._roster_changed(now=member.teacher)
        return True

    def _drop(self, link: _Link, reason: str | None) -> None:
        """Close ``link``; log ``reason`` (a bad line) in one line."""
        if link.closed:
            return
        member = link.member
        if reason is not None:
            who = f"{member.role} {member.name}" if member is not None else "a session"
            self._warn("class: closing the link of %s: %s", who, reason[:120])
        link.close()
        self._links.discard(link)
        if member is None or member.link is not link:
            return
        member.link = None
        member.hand = False
        self.log.info("class: %s %s left", member.role, member.name)
        q = self.quiz
        if q is not None and q.open and not member.teacher:
            q.answers.pop(member.id, None)  # not answered: a guess counts only from those here
            self._quiz_count()
        if member is self.leader:
            self._release_now()
            self.leader = None
            self.log.info("class: nobody leads (%s left)", member.name)
            self._publish("lead", None)
            self._broadcast_class()
        self._roster_changed()

    # -- messages ---------------------------------------------------------------

    def _message(self, member: Member, msg: dict) -> None:
        kind = msg["type"]
        if kind in classroom.TEACHER_ONLY and not member.teacher:
            self._warn("class: ignored %s from student %s", kind, member.name)
            return
        if member is self.leader:
            self._leader_active = time.monotonic()  # any key of the leader's counts
        if kind == "hello":
            self._warn("class: ignored a second hello from %s", member.name)
        elif kind == "position":
            self._position_from(member, msg)
        elif kind == "content":
            self._content_from(member, msg)
        elif kind == "hand":
            member.hand = msg["up"]
            member.active = time.monotonic()
            self._roster_changed()
        elif kind == "lock":
            if msg["on"] != self.locked:
                self.locked = msg["on"]
                self.log.info("class: %s %s the class", member.name,
                              "locked" if self.locked else "unlocked")
                self._broadcast_class()
                self._publish("lock", self.locked)
        elif kind == "lead":
            if member is not self.leader:
                self._set_leader(member)
        elif kind == "ask":
            self._ask(member, msg)
        elif kind == "answer":
            self._answer(member, msg)
        elif kind == "reveal":
            q = self.quiz
            if member is self.leader and q is not None and q.open and q.qid == msg["qid"]:
                self._reveal(q)
        elif kind == "clear_hand":
            target = next((m for m in self._connected() if m.id == msg["id"]), None)
            if target is None:
                self._publish("clear_hand", msg["id"])  # a student of another server's?
            elif target.hand:
                target.hand = False
                assert target.link is not None
                target.link.send("hand", encode("hand", up=False))
                self._roster_changed()

    def _position_from(self, member: Member, msg: dict) -> None:
        now = time.monotonic()
        member.active = now
        member.following = msg["following"]
        member.selected, member.t, member.steps = msg["selected"], msg["t"], msg["steps"]
        member.phase, member.score = msg["phase"], list(msg["score"])
        if member is self.leader:
            self._leader_active = now
            self._position = encode("position", rev=self.rev, selected=msg["selected"],
                                    pos=msg["pos"], batch_view=msg["batch_view"],
                                    backward=msg["backward"])
            self._to_followers("position", self._position)
            self._publish("position", self._position)
        self._roster_changed()

    def _content_from(self, member: Member, msg: dict) -> None:
        if member is not self.leader:
            return  # a teacher who no longer leads (a message in flight)
        from rnn_tui.teach.lesson import Lesson, LessonError

        try:
            Lesson.from_dict(msg["lesson"])
        except LessonError as exc:
            self._warn("class: ignored content from %s: %s", member.name, str(exc)[:120])
            return
        self.rev += 1
        self._leader_active = time.monotonic()
        self._content = encode("content", rev=self.rev, lesson=msg["lesson"])
        self._position = None  # a position belongs to its content
        self._to_followers("content", self._content)
        self._publish("content", self._content)

    def _to_followers(self, kind: str, line: bytes) -> None:
        if self.leader_first <= 0 or self.leader is None:
            self._send_followers(kind, line)
            return
        if kind == "content":
            self._held.pop("position", None)  # it belonged to the older content
        self._held[kind] = line
        if self._hold is None:
            loop = asyncio.get_running_loop()
            if loop.time() - self._leader_wrote < 0.005:  # its frame went out just before
                self._hold = loop.call_soon(self._release)
            else:
                self._hold = loop.call_later(self.leader_first, self._release)

    def _release(self) -> None:
        """Send the others what the leader's screen already shows."""
        self._hold = None
        held, self._held = self._held, {}
        for kind in ("content", "position"):
            if kind in held:
                self._send_followers(kind, held[kind])

    def _send_followers(self, kind: str, line: bytes) -> None:
        for m in self._connected():
            if m is not self.leader:
                assert m.link is not None
                m.link.send(kind, line)

    # -- the class ----------------------------------------------------------------

    def _class_line(self, member: Member) -> bytes:
        leader = self.leader
        extra = {"broker": self.bridge.status} if self.bridge is not None else {}
        return encode("class", locked=self.locked,
                      leader=leader.name if leader is not None else self.remote_leader,
                      you_lead=member is leader, **extra)

    def _broadcast_class(self) -> None:
        for m in self._connected():
            assert m.link is not None
            m.link.send("class", self._class_line(m))

    def _release_now(self) -> None:
        if self._hold is not None:
            self._hold.cancel()
            self._release()

    def _set_leader(self, member: Member) -> None:
        self._release_now()
        self.leader = member
        self.remote_leader = None
        self._leader_active = time.monotonic()
        self.log.info("class: %s leads", member.name)
        self._broadcast_class()
        self._publish("lead", member.name)

    # -- roster -------------------------------------------------------------------

    def _roster_changed(self, now: bool = False) -> None:
        self._roster_dirty = True
        if self._roster_timer is not None and not now:
            return
        if self._roster_timer is not None:
            self._roster_timer.cancel()
        loop = asyncio.get_running_loop()
        wait = 0.0 if now else max(0.0, self._roster_sent + self.roster_interval - loop.time())
        self._roster_timer = loop.call_later(wait, self._send_roster)

    def _send_roster(self) -> None:
        self._roster_timer = None
        if not self._roster_dirty or self.closing:
            return
        self._roster_dirty = False
        self._roster_sent = asyncio.get_running_loop().time()
        teachers = [m for m in self._connected() if m.teacher]
        if not teachers:
            return
        entries = self.roster()
        if self.bridge is not None:  # every server's students
            entries += self.bridge.remote_roster()
        entries = entries[:classroom.MAX_ROSTER]
        students = [e for e in entries if e["role"] == "student"]
        line = encode("roster", connected=len(students),
                      following=sum(e["following"] for e in students), students=entries)
        for m in teachers:
            assert m.link is not None
            if m.link.last_roster != line:  # the same again costs the teacher's app a repaint
                m.link.last_roster = line
                m.link.send("roster", line)

    def _refresh(self) -> None:
        """Idle times move: a roster every ``roster_refresh`` seconds to teachers."""
        self._refresh_timer = asyncio.get_running_loop().call_later(
            self.roster_refresh, self._refresh)
        if any(m.teacher for m in self._connected()):
            self._roster_changed()

    # -- the class broker (issue 20): other servers' changes, and ours to them ------

    def _publish(self, kind: str, value: Any) -> None:
        if self.bridge is not None:
            self.bridge.publish(kind, value)

    def remote_lead(self, name: str | None) -> None:
        """A teacher of another server leads (``name``), or that one left (None)."""
        if name is not None and self.leader is not None:
            self._release_now()
            self.log.info("class: %s leads on another server; %s no longer leads",
                          name, self.leader.name)
            self.leader = None
        self.remote_leader = name
        self._leader_active = time.monotonic()
        self._broadcast_class()

    def remote_lock(self, on: bool) -> None:
        if on != self.locked:
            self.locked = on
            self._broadcast_class()

    def remote_state(self, kind: str, line: bytes, rev: int) -> None:
        """The remote leader's ``content`` or ``position`` line (revision ``rev``)."""
        if self.leader is not None:
            return  # ours leads (a message in flight from before)
        self.rev = max(self.rev, rev)
        self._leader_active = time.monotonic()
        if kind == "content":
            self._content, self._position = line, None
        else:
            self._position = line
        self._send_followers(kind, line)
        self._roster_changed()

    def remote_clear_hand(self, member_id: int) -> None:
        target = next((m for m in self._connected() if m.id == member_id), None)
        if target is not None and target.hand:
            target.hand = False
            assert target.link is not None
            target.link.send("hand", encode("hand", up=False))
            self._roster_changed()

    def _remote_students(self) -> list[Member]:
        """Other servers' connected students, while a question of ours may ask them
        (their answers and totals are counted here, the leader's server)."""
        if self.bridge is None or self.leader is None:
            return []
        out = []
        ours = {m.id for m in self._members.values()}
        for e in self.bridge.remote_roster():
            if e["role"] != "student" or e["id"] in ours:
                continue
            ghost = self._ghosts.get(e["id"])
            if ghost is None:
                if len(self._ghosts) >= MAX_ADMITTED:
                    continue
                ghost = self._ghosts[e["id"]] = Member(e["id"], display_name(e["name"]),
                                                       "student", "remote", "")
            out.append(ghost)
        return out

    def _publish_quiz(self, q: _Quiz) -> None:
        """Our question to the other servers (made when the bridge sends it: the newest
        wins): what each of their students is to see comes from here."""
        if self.bridge is None:
            return

        def frame() -> dict:
            qq = q.question
            seconds = None
            if q.open and q.deadline is not None:
                seconds = max(0.0, round(q.deadline - asyncio.get_running_loop().time(), 1))
            remote = self._remote_students()
            per = {}
            for m in remote:
                answer = q.answers.get(m.id)
                per[str(m.id)] = [answer[1] if answer is not None else None,
                                  q.points.get(m.id), list(m.quiz)]
            return {"qid": q.qid, "what": qq.kind, "b": qq.b, "t": qq.t, "entry": qq.entry,
                    "pos": qq.pos, "open": q.open, "answered": len(q.answers),
                    "total": len(self._students()), "seconds": seconds,
                    "truth": None if q.open else qq.truth, "bins": q.bins,
                    "top": [] if q.open else self._top(), "anonymous": self.anonymous,
                    "per": per}

        self.bridge.publish("quiz", frame)

    def remote_quiz_frame(self, frame: dict) -> None:
        """The leader's server's question: each of our sessions gets its own line."""
        if self.leader is not None:
            return  # ours leads: our own question is the one
        self.remote_quiz = frame
        self.asked = max(self.asked, frame["qid"])
        for m in self._connected():
            mine = frame["per"].get(str(m.id))
            if mine is not None and not m.teacher:
                m.quiz = list(mine[2])  # the roster's score: the leader's server's count
            self._send_remote_quiz(m)
        self._roster_changed()

    def _send_remote_quiz(self, member: Member) -> None:
        f = self.remote_quiz
        if f is None or member.link is None:
            return
        mine = f["per"].get(str(member.id)) if not member.teacher else None
        top = f["top"] if member.teacher or not f["anonymous"] else []
        try:
            line = encode("quiz", qid=f["qid"], what=f["what"], b=f["b"], t=f["t"],
                          entry=f["entry"], pos=f["pos"], open=f["open"],
                          answered=f["answered"], total=f["total"], seconds=f["seconds"],
                          guess=mine[0] if mine else None, truth=f["truth"], bins=f["bins"],
                          points=mine[1] if mine else None,
                          mine=list(mine[2]) if mine else [0, 0, 0], top=top)
            decode(line, "hub")
        except (MessageError, ValueError, TypeError, IndexError, KeyError) as exc:
            self._warn("class: ignored another server's question: %s", str(exc)[:120])
            return
        member.link.send("quiz", line)

    def remote_answer(self, qid: int, member_id: int, name: str, text: str) -> None:
        """Another server's student answers our question (counted once: the last)."""
        q = self.quiz
        if q is None or not q.open or q.qid != qid or self.leader is None:
            return
        ghost = next((m for m in self._remote_students() if m.id == member_id), None)
        if ghost is None:
            return  # not (or no longer) in the class's roster
        self._answer(ghost, {"qid": qid, "text": text[:classroom.MAX_GUESS]})

    def broker_changed(self) -> None:
        """The broker's link went up or down: every status line says so."""
        self._broadcast_class()
        self._roster_changed()

    # -- the class quiz (issue 18) ---------------------------------------------------

    def _students(self) -> list[Member]:
        return [m for m in self._connected() if not m.teacher] + self._remote_students()

    def _ask(self, member: Member, msg: dict) -> None:
        if member is not self.leader or (self.quiz is not None and self.quiz.open):
            return  # only the leader asks; one question at a time
        limit = self.results.max_questions if self.results is not None else MAX_QUESTIONS
        if self.asked >= limit:
            self._warn("class: ignored a question from %s: the class asked %d already",
                       member.name, limit)
            return
        self.asked += 1
        q = _Quiz(self.asked, quiz.Question(msg["pos"], msg["what"], msg["b"], msg["t"],
                                            msg["entry"], float(msg["truth"])))
        self.quiz = q
        loop = asyncio.get_running_loop()
        if self.quiz_seconds > 0:
            q.deadline = loop.time() + self.quiz_seconds
            q.timer = loop.call_later(self.quiz_seconds, self._reveal, q)
        self.log.info("class: %s asks question %d (%s)", member.name, q.qid, question_name(q))
        self._send_quiz(q, self._connected())
        self._roster_changed()
        self._publish_quiz(q)

    def _answer(self, member: Member, msg: dict) -> None:
        q = self.quiz
        rq = self.remote_quiz
        if (q is None or not q.open) and rq is not None and rq["open"] and not member.teacher \
                and rq["qid"] == msg["qid"]:  # the leader's server counts it (issue 20)
            member.active = time.monotonic()
            self._publish("answer", {"qid": msg["qid"], "id": member.id, "name": member.name,
                                     "text": msg["text"]})
            return
        if member.teacher or q is None or not q.open or q.qid != msg["qid"]:
            return  # a teacher's, or one for a question already closed
        guess = quiz.parse_guess(msg["text"])
        if guess is None or abs(guess) > 1e12:
            self._warn("class: ignored a guess that is not a number from %s", member.name)
            return
        if len(q.answers) >= MAX_ADMITTED and member.id not in q.answers:
            return
        q.answers[member.id] = (member, guess, msg["text"], time.time())
        member.active = time.monotonic()
        if member.link is not None:  # (another server's student: its frame says)
            member.link.send("quiz", self._quiz_line(q, member))  # counted: the app shows it
        self._quiz_count()

    def _quiz_count(self) -> None:
        """Teachers see the count move; everyone answered: the question closes."""
        q = self.quiz
        if q is None or not q.open:
            return
        students = self._students()
        if students and all(m.id in q.answers for m in students):
            self._reveal(q)
            return
        self._send_quiz(q, [m for m in self._connected() if m.teacher])
        self._publish_quiz(q)

    def _reveal(self, q: _Quiz) -> None:
        if not q.open or self.closing:
            return
        if self.bridge is not None:  # another server's student who left: not answered
            here = {m.id for m in self._students()}
            for mid in [mid for mid in q.answers if mid not in here]:
                del q.answers[mid]
        q.open = False
        if q.timer is not None:
            q.timer.cancel()
            q.timer = None
        rows = []
        answered = set()
        for mid, (m, guess, _text, when) in sorted(q.answers.items(), key=lambda a: a[1][3]):
            g = quiz.grade(q.question, guess)
            q.points[mid] = g.points
            answered.add(mid)
            m.quiz[0] += 1
            m.quiz[1] += g.points
            rows.append((time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
                         cell(m.name), question_name(q), repr(guess),
                         repr(q.question.truth), f"{g.error:.6g}", g.points))
        for m in self._students():
            if m.id not in answered:
                m.quiz[2] += 1
        q.bins = histogram.counts((a[1] for a in q.answers.values()), q.question.truth)
        self.log.info("class: question %d revealed: %d answered", q.qid, len(rows))
        self._send_quiz(q, self._connected())
        self._roster_changed()
        self._publish_quiz(q)
        if self.results is not None:
            try:
                if not self.results.add(rows):
                    self._warn("class: question %d not recorded: the results file is full",
                               q.qid)
            except OSError as exc:
                self._warn("class: could not write the results: %s", str(exc)[:200])

    def _top(self) -> list[list]:
        ranked = sorted(self._students(), key=lambda m: (-m.quiz[1], m.id))
        return [[m.name, m.quiz[1]] for m in ranked[:classroom.MAX_TOP] if m.quiz[0]]

    def _quiz_line(self, q: _Quiz, member: Member, common: dict | None = None) -> bytes:
        """``member``'s quiz message; ``common``: what every member's says alike
        (``_quiz_common``), made once when the class is sent the same question."""
        if common is None:
            common = self._quiz_common(q)
        answer = q.answers.get(member.id)
        top = common["top"] if member.teacher or not self.anonymous else []
        return encode("quiz", **common["fields"], guess=answer[1] if answer is not None else None,
                      points=q.points.get(member.id), mine=list(member.quiz), top=top)

    def _quiz_common(self, q: _Quiz) -> dict:
        """The quiz message's fields that are the same for everyone, and the top five
        (once revealed): each once per message to the class, not once per member (the
        top sorts the class; the total counts it)."""
        qq = q.question
        seconds = None
        if q.open and q.deadline is not None:
            seconds = max(0.0, round(q.deadline - asyncio.get_running_loop().time(), 1))
        return {"fields": {"qid": q.qid, "what": qq.kind, "b": qq.b, "t": qq.t,
                           "entry": qq.entry, "pos": qq.pos, "open": q.open,
                           "answered": len(q.answers), "total": len(self._students()),
                           "seconds": seconds, "truth": None if q.open else qq.truth,
                           "bins": q.bins},
                "top": [] if q.open else self._top()}

    def _send_quiz(self, q: _Quiz, members: list[Member]) -> None:
        """The question to each of ``members`` (connected), each its own line."""
        common = self._quiz_common(q)
        for m in members:
            assert m.link is not None
            m.link.send("quiz", self._quiz_line(q, m, common))


def question_name(q: _Quiz) -> str:
    """The question in the results file: its number, what is asked, the sentence."""
    qq = q.question
    what = {"pre": "sum", "h": "h", "y": "y"}[qq.kind]
    if qq.kind != "y":
        what += f"{qq.t}[{(qq.entry or 0) + 1}]"
    return f"{q.qid}: {what} of sentence {qq.b + 1}"

