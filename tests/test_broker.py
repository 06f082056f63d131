"""The class broker (issue 20): servers share one class through a real Redis.

Hub-level: two or three hubs (one per server), each with a Bridge to one
redis-server on a free loopback port, and raw clients on their sockets.
End to end: two ``rnn-tui serve`` processes, real OpenSSH clients in tmux.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import time

import pytest

from rnn_tui.serve import broker
from rnn_tui.serve.broker import Bridge, BrokerError, parse_url
from rnn_tui.serve.hub import Hub
from tests.test_hub import Client, lesson_dict, where

REDIS = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(
    REDIS is None, reason="redis-server is not installed (Debian: apt-get install redis-server; "
    ".ci/run installs it)")
PASSWORD = "s3cret-class-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own: loopback, a password (from its config on
    stdin, so not in ``ps``), nothing saved (a restart starts empty)."""

    def __init__(self, port: int | None = None, password: str = PASSWORD) -> None:
        self.port = port or free_port()
        self.password = password
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        assert REDIS is not None
        conf = (f"port {self.port}\nbind 127.0.0.1\nrequirepass {self.password}\n"
                "save \"\"\nappendonly no\nprotected-mode yes\nloglevel warning\n")
        self.proc = subprocess.Popen([REDIS, "-"], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert self.proc.stdin is not None
        self.proc.stdin.write(conf.encode())
        self.proc.stdin.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.kill()


async def make_hub(redis_server: RedisServer, name: str = "c1", log: str = "test.broker"):
    hub = Hub(log=logging.getLogger(log), hello_timeout=1.0, roster_interval=0.05,
              roster_refresh=60)
    await hub.start()
    bridge = Bridge(hub, parse_url(redis_server.url), name, redis_server.password,
                    logging.getLogger(log), retry=0.05, roster_every=0.1)
    await bridge.start()
    assert bridge.status == "ok"
    return hub, bridge


@pytest.fixture
async def hubs(redis_server):
    made = []

    async def make(name: str = "c1"):
        hub, bridge = await make_hub(redis_server, name)
        made.append((hub, bridge))
        return hub

    yield make
    for hub, bridge in made:
        await bridge.close()
        await hub.close()


async def until(client: Client, kind: str, check, timeout: float = 3.0) -> dict:
    """The first message of ``kind`` that passes ``check``, within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        msg = await client.recv(kind, timeout=max(0.05, deadline - time.monotonic()))
        if check(msg):
            return msg


# --- the URL, the name, the password ---------------------------------------------------------


def test_url_refuses_a_password_and_says_how():
    for url in ("redis://:pw@127.0.0.1:6379/0", "redis://user:pw@h/0", "redis://user@h/1"):
        with pytest.raises(BrokerError, match="--class-broker-password-file") as exc:
            parse_url(url)
        assert "pw" not in str(exc.value) and "\n" not in str(exc.value)
    assert str(parse_url("redis://10.0.0.5:7000/3")) == "redis://10.0.0.5:7000/3"
    assert str(parse_url("redis://cache")) == "redis://cache:6379/0"
    for bad in ("http://h/0", "redis:///0", "redis://h/x", "redis://h:99999/0", "redis://h/0?a=b"):
        with pytest.raises(BrokerError):
            parse_url(bad)
    with pytest.raises(BrokerError):
        broker.check_name("a b")
    assert broker.check_name("cs101-2026") == "cs101-2026"


def test_password_from_a_file_or_the_environment(tmp_path, monkeypatch):
    f = tmp_path / "pw"
    f.write_text("from-file\nignored\n")
    monkeypatch.setenv("REDIS_PASSWORD", "from-env")
    assert broker.read_password(str(f)) == "from-file"
    assert broker.read_password(None) == "from-env"
    assert "REDIS_PASSWORD" not in os.environ  # sessions don't inherit it
    assert broker.read_password(None) is None
    with pytest.raises(BrokerError, match="cannot read"):
        broker.read_password(str(tmp_path / "missing"))


# --- two hubs, one class ------------------------------------------------------------------------


@needs_redis
async def test_following_lock_roster_and_hands_across_servers(hubs):
    a, b = await hubs(), await hubs()
    t = await Client.open(a, a.admit("Ann", "teacher"))
    assert (await t.recv("class"))["you_lead"] is True
    s1 = await Client.open(b, b.admit("s1", "student"))
    s2 = await Client.open(b, b.admit("s2", "student"))
    # the leader on A is the class's leader on B
    await until(s1, "class", lambda m: m["leader"] == "Ann" and m.get("broker") == "ok")
    t.send("content", lesson=lesson_dict(seed=3))
    t.send("position", **where(selected=1, pos=5))
    c = await s1.recv("content")
    assert c["lesson"] == lesson_dict(seed=3)
    p = await s1.recv("position")
    assert (p["rev"], p["selected"], p["pos"]) == (c["rev"], 1, 5)
    assert (await s2.recv("position"))["pos"] == 5
    # a teacher on B follows too, and does not take the lead by joining
    t2 = await Client.open(b, b.admit("Bo", "teacher"))
    m = await t2.recv("class")
    assert (m["leader"], m["you_lead"]) == ("Ann", False)
    assert (await t2.recv("position"))["pos"] == 5
    # the lock
    t.send("lock", on=True)
    await until(s1, "class", lambda m: m["locked"])
    # the roster: A's teacher sees B's students, their hands; lowers one across servers
    s2.send("hand", up=True)
    r = await until(t, "roster", lambda r: any(e["hand"] for e in r["students"]))
    names = {e["name"] for e in r["students"]}
    assert {"Ann", "s1", "s2", "Bo"} <= names and r["connected"] == 2
    ids = [e["id"] for e in r["students"]]
    assert len(set(ids)) == len(ids)  # unique across servers
    hand = next(e for e in r["students"] if e["name"] == "s2")
    t.send("clear_hand", id=hand["id"])
    assert (await s2.recv("hand"))["up"] is False
    await until(t, "roster", lambda r: not any(e["hand"] for e in r["students"]))
    # B's teacher takes the lead: A's teacher is told, and follows
    t2.send("lead")
    assert (await until(t2, "class", lambda m: m["you_lead"]))["leader"] == "Bo"
    m = await until(t, "class", lambda m: not m["you_lead"])
    assert m["leader"] == "Bo" and a.leader is None and a.remote_leader == "Bo"
    t2.send("content", lesson=lesson_dict(seed=4))
    t2.send("position", **where(pos=2))
    c2 = await t.recv("content")
    assert c2["rev"] > c["rev"] and c2["lesson"] == lesson_dict(seed=4)
    assert (await t.recv("position", pos=2))["rev"] == c2["rev"]
    # the leader leaves: nobody leads on either server
    t2.close()
    await until(t, "class", lambda m: m["leader"] is None)
    for c_ in (t, s1, s2):
        c_.close()


@needs_redis
async def test_a_late_server_and_joiner_gets_the_class_as_it_is(hubs):
    a = await hubs()
    t = await Client.open(a, a.admit("Ann", "teacher"))
    t.send("content", lesson=lesson_dict(seed=5))
    t.send("position", **where(pos=7))
    t.send("lock", on=True)
    await t.quiet(0.3)
    c = await hubs()  # a server that starts later
    s = await Client.open(c, c.admit("late", "student"))
    m = await until(s, "class", lambda m: m["leader"] == "Ann")
    assert m["locked"] is True
    assert (await s.recv("content"))["lesson"] == lesson_dict(seed=5)
    assert (await s.recv("position"))["pos"] == 7
    t.close()
    s.close()


@needs_redis
async def test_two_classes_on_one_redis_are_apart(hubs):
    a, b = await hubs("one"), await hubs("two")
    t = await Client.open(a, a.admit("Ann", "teacher"))
    s = await Client.open(b, b.admit("s", "student"))
    t.send("content", lesson=lesson_dict())
    await asyncio.sleep(0.4)
    await s.quiet()
    got = s.got
    assert [m["type"] for m in got] == ["welcome", "class"], got
    assert b.remote_leader is None
    t.close()
    s.close()


@needs_redis
async def test_broker_lost_sessions_go_on_then_following_resumes(hubs, redis_server, caplog):
    caplog.set_level(logging.INFO, logger="test.broker")
    a, b = await hubs(), await hubs()
    t = await Client.open(a, a.admit("Ann", "teacher"))
    here = await Client.open(a, a.admit("here", "student"))
    there = await Client.open(b, b.admit("there", "student"))
    t.send("content", lesson=lesson_dict(seed=1))
    t.send("position", **where(pos=1))
    await there.recv("position", pos=1)
    redis_server.kill()
    # every status line is told; the leader's own server goes on following
    for c in (t, here, there):
        await until(c, "class", lambda m: m.get("broker") == "lost")
    t.send("position", **where(pos=4))
    await here.recv("position", pos=4)
    t.send("content", lesson=lesson_dict(seed=2))
    t.send("position", **where(pos=6))
    await here.recv("position", pos=6)
    await asyncio.sleep(0.3)
    assert not [m for m in await there.quiet(0.1) if m["type"] == "position"]
    # Redis again (empty: it saved nothing): the class resumes from the leader's state
    redis_server.start()
    for c in (t, here, there):
        await until(c, "class", lambda m: m.get("broker") == "ok", timeout=6)
    content = await there.recv("content", timeout=3)
    assert content["lesson"] == lesson_dict(seed=2)
    assert (await there.recv("position", timeout=3))["pos"] == 6
    assert b.remote_leader == "Ann"
    text = caplog.text
    assert "lost" in text and "retrying" in text and PASSWORD not in text
    for c in (t, here, there):
        c.close()


@needs_redis
async def test_a_server_starts_while_redis_is_away(redis_server):
    port = redis_server.port
    redis_server.kill()
    hub = Hub(log=logging.getLogger("test.broker"), roster_refresh=60)
    await hub.start()
    bridge = Bridge(hub, parse_url(f"redis://127.0.0.1:{port}/0"), "c1", PASSWORD,
                    retry=0.05)
    try:
        await bridge.start(wait=0.3)
        assert bridge.status == "lost"
        s = await Client.open(hub, hub.admit("s", "student"))
        assert (await s.recv("class"))["broker"] == "lost"
        redis_server.start()
        await until(s, "class", lambda m: m["broker"] == "ok", timeout=5)
        s.close()
    finally:
        await bridge.close()
        await hub.close()


@needs_redis
async def test_a_wrong_password_is_a_lost_link_not_a_crash(redis_server, caplog):
    hub = Hub(log=logging.getLogger("test.broker"), roster_refresh=60)
    await hub.start()
    bridge = Bridge(hub, parse_url(redis_server.url), "c1", "wrong-pw",
                    logging.getLogger("test.broker"), retry=0.05)
    try:
        await bridge.start(wait=0.5)
        assert bridge.status == "lost"
        assert "wrong-pw" not in caplog.text
    finally:
        await bridge.close()
        await hub.close()


def test_bad_frames_from_redis_are_ignored():
    class FakeHub:
        leader = None
        calls: list = []

        def remote_state(self, *a):
            self.calls.append(a)

        def _roster_changed(self):
            self.calls.append("roster")

        def remote_clear_hand(self, member_id):
            self.calls.append(member_id)

    hub = FakeHub()
    bridge = Bridge(hub, parse_url("redis://127.0.0.1/0"), "c1")
    for kind, payload in (("content", b"not json"), ("position", b'{"v":1,"type":"x"}'),
                          ("roster", b'[{"id": "x"}]'), ("clear_hand", b"x")):
        with pytest.raises((ValueError, KeyError, TypeError)):
            bridge._receive(kind, "other", payload)
    bridge._receive("lead", "other", b"[1, 2]")  # not a lead: ignored
    assert hub.calls == [] and bridge.claim is None
    assert bridge.remote_roster() == []


def test_the_status_line_says_the_class_link_is_lost_while_the_broker_is():
    from rnn_tui.tui.classlink import ClassLink

    class FakeApp:
        views = 0

        def refresh_view(self):
            self.views += 1

    app = FakeApp()
    link = ClassLink(app, "", "")  # type: ignore[arg-type]
    link._receive({"type": "welcome", "id": 2, "name": "s", "role": "student"})
    link._receive({"type": "class", "locked": False, "leader": "Ann", "you_lead": False})
    assert link.status() == "following Ann"  # one machine: no broker field
    link._receive({"type": "class", "locked": False, "leader": "Ann", "you_lead": False,
                   "broker": "lost"})
    assert link.status() == "following Ann  class link lost; retrying"
    link._receive({"type": "class", "locked": False, "leader": "Ann", "you_lead": False,
                   "broker": "ok"})
    assert link.status() == "following Ann" and app.views >= 3
