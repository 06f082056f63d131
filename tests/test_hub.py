"""The class hub alone (rnn_tui/serve/hub.py), with raw asyncio clients on its socket."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import time

import pytest

from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.serve.hub import Hub
from rnn_tui.teach import classroom
from rnn_tui.teach.classroom import decode, encode
from rnn_tui.teach.lesson import Lesson


def lesson_dict(seed: int = 0, sentences: int = 0) -> dict:
    """The lesson's state; with ``sentences``, that many longer ones (a bigger message)."""
    data = lesson_dataset()
    if sentences:
        words = [f"w{i}" for i in range(40)]
        data = Dataset.from_sentences([" ".join(words[i % 7:i % 7 + 30])
                                       for i in range(sentences)],
                                      [i % 2 for i in range(sentences)])
    return Lesson.start(data, Weights.init(data.vocab, hidden=3, seed=seed)).to_dict()


def where(selected: int = 0, pos: int = 0, following: bool = False, **more) -> dict:
    out = dict(selected=selected, pos=pos, batch_view=False, backward=None,
               following=following, t=0, steps=pos, phase=0, score=[0, 0, 0])
    out.update(more)
    return out


class Client:
    """One session's end of the socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.got: list[dict] = []

    @classmethod
    async def open(cls, hub: Hub, token: str | None = None) -> Client:
        reader, writer = await asyncio.open_unix_connection(hub.path, limit=classroom.MAX_LINE)
        client = cls(reader, writer)
        if token is not None:
            client.send("hello", token=token)
            assert (await client.recv("welcome"))["type"] == "welcome"
        return client

    def send(self, kind: str, **fields) -> None:
        self.writer.write(encode(kind, **fields))

    async def recv(self, kind: str | None = None, timeout: float = 10.0, **fields) -> dict:
        """The next message (of type ``kind``, with these ``fields``: others are skipped,
        and kept in ``got``)."""
        async def read() -> dict:
            while True:
                line = await self.reader.readline()
                if not line:
                    raise EOFError(f"closed while waiting for {kind}")
                msg = decode(line, "hub")
                self.got.append(msg)
                if (kind is None or msg["type"] == kind) \
                        and all(msg.get(k) == v for k, v in fields.items()):
                    return msg

        return await asyncio.wait_for(read(), timeout)

    async def closed(self, timeout: float = 2.0) -> bool:
        async def read() -> bool:
            while await self.reader.read(65536):
                pass
            return True

        return await asyncio.wait_for(read(), timeout)

    async def quiet(self, wait: float = 0.15) -> list[dict]:
        """What arrives within ``wait`` seconds."""
        out = []
        try:
            while True:
                out.append(await self.recv(timeout=wait))
        except asyncio.TimeoutError:
            return out

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def hub(caplog):
    caplog.set_level(logging.INFO, logger="test.hub")
    h = Hub(log=logging.getLogger("test.hub"), hello_timeout=0.5, roster_interval=0.05,
            roster_refresh=60)
    await h.start()
    yield h
    await h.close()


async def test_socket_is_private_and_removed(hub):
    d = os.path.dirname(hub.path)
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(hub.path).st_mode) == 0o600
    await hub.close()
    assert not os.path.exists(d)


async def test_roles_come_from_admit_and_first_teacher_leads(hub, caplog):
    s = await Client.open(hub, hub.admit("bob", "student"))
    assert s.got[-1] == {"v": 1, "type": "welcome", "id": 1, "name": "bob", "role": "student"}
    assert (await s.recv("class")) == {"v": 1, "type": "class", "locked": False,
                                       "leader": None, "you_lead": False}
    t = await Client.open(hub, hub.admit("Ann Lee", "teacher"))
    assert t.got[-1]["role"] == "teacher"
    assert (await t.recv("class"))["you_lead"] is True
    assert (await s.recv("class"))["leader"] == "Ann Lee"
    t2 = await Client.open(hub, hub.admit("assistant", "teacher"))
    assert (await t2.recv("class")) == {"v": 1, "type": "class", "locked": False,
                                        "leader": "Ann Lee", "you_lead": False}
    # the assistant takes the lead; everyone is told
    t2.send("lead")
    assert (await t2.recv("class"))["you_lead"] is True
    assert (await t.recv("class")) == {"v": 1, "type": "class", "locked": False,
                                       "leader": "assistant", "you_lead": False}
    assert (await s.recv("class"))["leader"] == "assistant"
    # a student can't take the lead, lock, clear hands or send content
    s.send("lead")
    s.send("lock", on=True)
    s.send("content", lesson=lesson_dict())
    s.send("clear_hand", id=1)
    await s.writer.drain()
    assert await s.quiet() == [] and hub.leader.name == "assistant" and not hub.locked
    assert hub.rev == 0
    text = caplog.text
    assert "ignored lead from student bob" in text
    assert "teacher Ann Lee joined" in text and "student bob joined" in text
    assert "assistant leads" in text
    # a name is text for the roster: printable and short
    tok = hub.admit("\x1b[31mx" + "y" * 100, "student")
    weird = await Client.open(hub, tok)
    assert weird.got[-1]["name"] == ("?[31mx" + "y" * 100)[:classroom.MAX_NAME]
    with pytest.raises(ValueError):
        hub.admit("x", "admin")


async def test_leader_state_goes_to_followers_and_late_joiners(hub):
    t = await Client.open(hub, hub.admit("T", "teacher"))
    s = await Client.open(hub, hub.admit("s1", "student"))
    lesson = lesson_dict()
    t.send("content", lesson=lesson)
    t.send("position", **where(selected=1, pos=2))
    content = await s.recv("content")
    assert content["rev"] == 1 and content["lesson"] == lesson
    assert (await s.recv("position")) == {"v": 1, "type": "position", "rev": 1, "selected": 1,
                                          "pos": 2, "batch_view": False, "backward": None}
    # new weights: a new revision; the leader gets none of its own state back
    t.send("content", lesson=lesson_dict(seed=5))
    t.send("position", **where(selected=2, pos=4, batch_view=True, backward=3))
    assert (await s.recv("content"))["rev"] == 2
    pos = await s.recv("position")
    assert (pos["rev"], pos["pos"], pos["batch_view"], pos["backward"]) == (2, 4, True, 3)
    assert not [m for m in await t.quiet() if m["type"] in ("content", "position")]
    # a late joiner gets the newest content and position at once, in that order
    late = await Client.open(hub, hub.admit("late", "student"))
    await late.recv("position")
    kinds = [m["type"] for m in late.got]
    assert kinds == ["welcome", "class", "content", "position"]
    assert late.got[2]["rev"] == 2 and late.got[2]["lesson"]["weights"] == \
        lesson_dict(seed=5)["weights"]
    # a teacher who does not lead follows too
    t2 = await Client.open(hub, hub.admit("T2", "teacher"))
    assert (await t2.recv("position"))["pos"] == 4
    # a bad lesson from the leader is not passed on
    t.send("content", lesson={"format": "nope"})
    await asyncio.sleep(0.1)
    assert hub.rev == 2


async def test_lock_and_unlock_reach_everyone(hub, caplog):
    t = await Client.open(hub, hub.admit("T", "teacher"))
    s = await Client.open(hub, hub.admit("s", "student"))
    await s.recv("class")
    t.send("lock", on=True)
    assert (await s.recv("class", locked=True))["leader"] == "T"
    assert (await t.recv("class", locked=True)) == {"v": 1, "type": "class", "locked": True,
                                                    "leader": "T", "you_lead": True}
    late = await Client.open(hub, hub.admit("late", "student"))
    assert (await late.recv("class"))["locked"] is True
    t.send("lock", on=False)
    assert (await s.recv("class", locked=False))["locked"] is False
    assert "T locked the class" in caplog.text and "T unlocked the class" in caplog.text


async def test_roster_to_teachers_only_with_counts_idle_and_hands(hub):
    t = await Client.open(hub, hub.admit("T", "teacher"))
    s1 = await Client.open(hub, hub.admit("s1", "student"))
    s2 = await Client.open(hub, hub.admit("s2", "student"))
    s1.send("position", **where(selected=1, pos=3, following=True, t=2, steps=3, phase=1,
                                score=[2, 1, 0]))
    s2.send("position", **where(selected=0, pos=1, following=False, t=1, steps=1))
    s2.send("hand", up=True)

    async def roster_until(check) -> dict:
        deadline = time.monotonic() + 2
        while True:
            r = await t.recv("roster")
            if check(r) or time.monotonic() > deadline:
                return r

    r = await roster_until(lambda r: any(e["hand"] for e in r["students"]))
    assert (r["connected"], r["following"]) == (2, 1)
    by_name = {e["name"]: e for e in r["students"]}
    assert set(by_name) == {"T", "s1", "s2"} and by_name["T"]["role"] == "teacher"
    e1 = by_name["s1"]
    assert (e1["following"], e1["selected"], e1["t"], e1["steps"], e1["phase"], e1["score"]) \
        == (True, 1, 2, 3, 1, [2, 1, 0])
    assert by_name["s2"]["hand"] and not by_name["s2"]["following"]
    assert not [m for m in s1.got + await s1.quiet() if m["type"] == "roster"]
    # the teacher lowers s2's hand: s2 is told, the roster shows it down
    t.send("clear_hand", id=by_name["s2"]["id"])
    assert (await s2.recv("hand")) == {"v": 1, "type": "hand", "up": False}
    r = await roster_until(lambda r: not any(e["hand"] for e in r["students"]))
    assert not any(e["hand"] for e in r["students"])
    # idle: a following student who only watches is not idle while the leader is active
    for m in hub._connected():
        m.active -= 100
    hub._leader_active = time.monotonic()
    idle = {e["name"]: e["idle"] for e in hub.roster()}
    assert idle["s1"] < 1 and idle["s2"] >= 100
    hub._leader_active -= 50
    assert {e["name"]: e["idle"] for e in hub.roster()}["s1"] == pytest.approx(50, abs=1)
    # any key of the leader's is activity (a lock, not only a step)
    t.send("lock", on=True)
    await t.recv("class", locked=True)
    assert {e["name"]: e["idle"] for e in hub.roster()}["s1"] < 1


async def test_roster_is_coalesced(hub):
    t = await Client.open(hub, hub.admit("T", "teacher"))
    students = [await Client.open(hub, hub.admit(f"s{i}", "student")) for i in range(5)]
    await t.quiet(0.2)
    hub.roster_interval = 0.3
    start = time.monotonic()
    for step in range(200):
        for s in students:
            s.send("position", **where(pos=step % 7, following=True, steps=step % 7))
        await asyncio.sleep(0.002)
    got = await t.quiet(0.5)
    elapsed = time.monotonic() - start
    rosters = [m for m in got if m["type"] == "roster"]
    assert 1 <= len(rosters) <= elapsed / 0.3 + 2, (len(rosters), elapsed)


async def test_leader_leaves_then_a_teacher_comes_back(hub, caplog):
    tt = hub.admit("T", "teacher")
    t = await Client.open(hub, tt)
    s = await Client.open(hub, hub.admit("s", "student"))
    t.send("content", lesson=lesson_dict())
    t.send("position", **where(pos=5))
    await s.recv("position")
    t.close()
    msg = await s.recv("class")
    assert msg == {"v": 1, "type": "class", "locked": False, "leader": None, "you_lead": False}
    assert hub.leader is None and "nobody leads" in caplog.text and "teacher T left" in caplog.text
    # the last state stays: a late joiner still gets it
    late = await Client.open(hub, hub.admit("late", "student"))
    assert (await late.recv("position"))["pos"] == 5
    # the teacher's session reconnects (same token): it leads again
    t = await Client.open(hub, tt)
    assert (await t.recv("class"))["you_lead"] is True
    assert (await s.recv("class"))["leader"] == "T"


async def test_a_token_has_one_link_and_forget_closes_it(hub):
    tok = hub.admit("s", "student")
    a = await Client.open(hub, tok)
    b = await Client.open(hub, tok)
    assert await a.closed()
    assert [e["name"] for e in hub.roster()] == ["s"]
    hub.forget(tok)
    assert await b.closed()
    assert hub.roster() == []
    c = await Client.open(hub)  # a forgotten token is unknown
    c.send("hello", token=tok)
    assert await c.closed()


@pytest.mark.parametrize("line", [
    b"not json\n",
    b'{"v":2,"type":"hello","token":"x"}\n',
    b'{"v":1,"type":"position"}\n',  # before hello
    b'{"v":1,"type":"hello","token":"no such token"}\n',
    b"[]\n",
    b"x" * (classroom.MAX_SMALL + 10),  # no newline, too long for a hello
])
async def test_bad_first_lines_close_the_link(hub, line):
    c = await Client.open(hub)
    c.writer.write(line)
    assert await c.closed()
    assert hub.roster() == []


async def test_bad_lines_after_hello_close_only_that_link(hub, caplog):
    t = await Client.open(hub, hub.admit("T", "teacher"))
    s = await Client.open(hub, hub.admit("s", "student"))
    s.writer.write(b'{"v":1,"type":"position","selected":-1}\n')
    assert await s.closed()
    assert "closing the link of student s" in caplog.text
    assert [e["name"] for e in hub.roster()] == ["T"]
    s2 = await Client.open(hub, hub.admit("s2", "student"))
    s2.writer.write(b'{"v":1,"type":"hand","up":true}' + b" " * classroom.MAX_SMALL + b"\n")
    assert await s2.closed()
    # a teacher may send a big lesson; a student may not send a big line
    t.send("position", **where())
    assert (await t.recv("roster"))["type"] == "roster"


async def test_no_hello_in_time(hub):
    c = await Client.open(hub)
    start = time.monotonic()
    assert await c.closed()
    assert 0.3 < time.monotonic() - start < 1.5


async def test_latest_state_wins_with_a_stuck_session(hub):
    """A session that never reads holds at most one pending message of each type;
    the leader and the other followers go on at once, and see the newest state."""
    t = await Client.open(hub, hub.admit("T", "teacher"))
    stuck = await Client.open(hub, hub.admit("stuck", "student"))
    stuck.writer.transport.pause_reading()  # never reads again
    ok = await Client.open(hub, hub.admit("ok", "student"))
    big = lesson_dict(sentences=100)  # about 30 kB
    link = next(m.link for m in hub._connected() if m.name == "stuck")
    start = time.monotonic()
    step = 0
    # until the stuck socket is full (its writer then waits with a batch), at least 300
    while step < 300 or (link.writer.transport.get_write_buffer_size() == 0 and step < 3000):
        t.send("content", lesson=big)
        t.send("position", **where(pos=step % 7, selected=step % 3))
        step += 1
        if step % 20 == 0:
            await t.writer.drain()
            await asyncio.sleep(0.001)  # the hub's writers take their turn
    await t.writer.drain()
    last = None
    while last is None or last["rev"] != step or last["pos"] != (step - 1) % 7:
        last = await ok.recv("position", timeout=5)
    assert time.monotonic() - start < 20
    # the stuck session's socket is full: its writer waits, holding one batch
    assert link.writer.transport.get_write_buffer_size() > 0
    assert len(link.pending) <= len(("welcome", "class", "content", "position", "roster",
                                     "hand"))
    # the stuck session's socket filled up: its pending slots hold only the newest
    pending = link.pending.get("position")
    if pending is not None:
        assert json.loads(pending)["rev"] == step
    # the leader is not held up: it is answered at once
    t.send("lock", on=True)
    assert (await t.recv("class", timeout=1, locked=True))["locked"] is True
    assert (await ok.recv("class", timeout=1, locked=True))["locked"] is True


async def test_the_leaders_screen_first():
    """With leader_first, the leader's new state waits for its own screen to be
    written (the server calls wrote()), at most leader_first seconds."""
    hub = Hub(log=logging.getLogger("test.hub"), leader_first=5.0, roster_refresh=60)
    await hub.start()
    try:
        tt = hub.admit("T", "teacher")
        t = await Client.open(hub, tt)
        s = await Client.open(hub, hub.admit("s", "student"))
        t.send("content", lesson=lesson_dict())
        t.send("position", **where(pos=1))
        assert [m for m in await s.quiet(0.3) if m["type"] in ("content", "position")] == []
        hub.wrote(hub.admit("someone else", "student"))  # not the leader: nothing moves
        hub.wrote("no such token")
        assert [m for m in await s.quiet(0.1) if m["type"] == "position"] == []
        hub.wrote(tt)  # the teacher's screen went out: now the class
        assert (await s.recv("content", timeout=0.5))["rev"] == 1
        assert (await s.recv("position", timeout=0.5))["pos"] == 1
        # its frame went out just before its message: at once
        hub.wrote(tt)
        t.send("position", **where(pos=2))
        assert (await s.recv("position", timeout=0.5))["pos"] == 2
        # no frame at all: at most leader_first
        hub.leader_first = 0.2
        await asyncio.sleep(0.05)
        start = time.monotonic()
        t.send("position", **where(pos=3))
        assert (await s.recv("position", timeout=2))["pos"] == 3
        assert 0.15 < time.monotonic() - start < 1.0
        # the leader leaves with something held: the class still gets it
        hub.leader_first = 5.0
        await asyncio.sleep(0.05)
        t.send("position", **where(pos=4))
        await t.writer.drain()
        await asyncio.sleep(0.1)
        t.close()
        assert (await s.recv("position", timeout=1))["pos"] == 4
    finally:
        await hub.close()


async def test_the_same_roster_is_not_sent_twice(hub):
    t = await Client.open(hub, hub.admit("T", "teacher"))
    s = await Client.open(hub, hub.admit("s", "student"))
    await t.recv("roster")
    await t.quiet(0.2)
    for m in hub._connected():
        m.active = time.monotonic()
    hub._leader_active = time.monotonic()
    hub._roster_changed()  # nothing moved (idle counts whole seconds): nothing new
    await asyncio.sleep(0.1)
    hub._roster_changed()
    assert [m for m in await t.quiet(0.3) if m["type"] == "roster"] == []
    hub.admit("x", "student")  # admitted, not connected: not in the roster either
    hub._roster_changed()
    assert [m for m in await t.quiet(0.2) if m["type"] == "roster"] == []
    late = await Client.open(hub, hub.admit("late", "student"))
    assert len((await t.recv("roster"))["students"]) == 3
    # a second teacher gets the roster at once, though it is the same as the last one sent
    late.close()
    t2 = await Client.open(hub, hub.admit("T2", "teacher"))
    assert (await t2.recv("roster"))["type"] == "roster"
    s.close()


async def test_connections_are_bounded(hub, caplog):
    hub.max_links = 3
    silent = [await Client.open(hub) for _ in range(3)]  # no hello yet
    extra = await Client.open(hub)
    assert await extra.closed()
    assert "refused a connection: 3 already" in caplog.text
    for c in silent:  # the hello timeout frees them
        assert await c.closed()
    await asyncio.sleep(0.05)
    ok = await Client.open(hub, hub.admit("s", "student"))
    assert ok.got[-1]["type"] == "welcome"
