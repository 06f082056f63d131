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


async def now_or_until(client: Client, kind: str, check, timeout: float = 20.0) -> dict:
    """The newest message of ``kind`` received so far if it passes ``check`` (a wait
    skips others' messages, and keeps them in ``got``), else as ``until``."""
    last = next((m for m in reversed(client.got) if m["type"] == kind), None)
    if last is not None and check(last):
        return last
    return await until(client, kind, check, timeout)


async def until(client: Client, kind: str, check, timeout: float = 20.0) -> dict:
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


# --- the command line ------------------------------------------------------------------------


def test_cli_broker_options(tmp_path, capsys, monkeypatch):
    from rnn_tui.cli import main as cli
    from rnn_tui.cli import serve
    from tests.test_ssh import host_key

    pw = tmp_path / "teach"
    pw.write_text("teach\n")
    base = ["serve", "--no-auth", "--teacher-password-file", str(pw)]
    assert cli.main([*base, "--class-broker", "redis://:hunter2@127.0.0.1:6379/0",
                     "--class-name", "c"]) == 2
    err = capsys.readouterr().err
    assert "--class-broker-password-file" in err and "hunter2" not in err
    assert len(err.strip().splitlines()) == 1
    assert cli.main([*base, "--class-broker", "redis://127.0.0.1/0"]) == 2
    assert "--class-name" in capsys.readouterr().err
    assert cli.main(["serve", "--no-auth", "--class-broker", "redis://127.0.0.1/0",
                     "--class-name", "c"]) == 2
    assert "--teacher-keys" in capsys.readouterr().err
    assert cli.main([*base, "--class-name", "c"]) == 2
    assert "go with --class-broker" in capsys.readouterr().err
    rpw = tmp_path / "redis-pw"
    rpw.write_text("from-file\n")
    config = serve.build_config(serve.parser().parse_args(
        [*base[1:], "--class-broker", "redis://10.1.2.3:7000/2", "--class-name", "cs101",
         "--class-broker-password-file", str(rpw)]))
    assert str(config.class_broker) == "redis://10.1.2.3:7000/2"
    assert config.class_name == "cs101" and config.class_broker_password == "from-file"
    assert "from-file" not in repr(config)
    monkeypatch.setenv("REDIS_PASSWORD", "from-env")
    config = serve.build_config(serve.parser().parse_args(
        [*base[1:], "--class-broker", "redis://10.1.2.3:7000/2", "--class-name", "cs101"]))
    assert config.class_broker_password == "from-env" and "REDIS_PASSWORD" not in os.environ
    text = serve.banner(config, tmp_path / "k", host_key(), False, 2222)
    assert "Class cs101 shared through redis://10.1.2.3:7000/2" in text
    assert "from-env" not in text


# --- end to end: two serve processes, real OpenSSH clients in tmux ----------------------------


from tests.test_class_ssh import FOLLOWING, SEED, Class, keys_file, write_key  # noqa: E402
from tests.test_ssh import HAVE_SSH, HAVE_TMUX  # noqa: E402

LOST = "class link lost"  # "; retrying" may be cut at 100 columns


class Server(Class):
    """``rnn-tui serve`` of one class shared through Redis (the teacher's key is
    the same on every server, as the operator would start them)."""

    def __init__(self, tmp_path, name: str, redis_url: str, pw_file) -> None:
        super().__init__(tmp_path)
        self.name, self.redis_url, self.pw_file = name, redis_url, pw_file

    async def start(self) -> None:
        import re
        import sys

        if not (self.tmp / "teacher").exists():
            write_key(self.tmp / "teacher", "Ms Kim")
            keys_file(self.tmp / "teachers.pub",
                      __import__("asyncssh").read_private_key(str(self.tmp / "teacher")))
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rnn_tui", "serve", "--no-auth", "--port", "0",
            "--student-nice", "0",  # the suite fills the CPUs: nicer sessions would starve
            "--host-key", str(self.tmp / f"host_key_{self.name}"), "--seed", str(SEED),
            "--teacher-keys", str(self.tmp / "teachers.pub"),
            "--class-broker", self.redis_url, "--class-name", "e2e",
            "--class-broker-password-file", str(self.pw_file),
            "--results", str(self.tmp / f"results_{self.name}"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        banner = b""
        while b"Stop with Ctrl-C" not in banner:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 20)
            assert line, banner
            banner += line
        self.port = int(re.search(rb"ssh -p (\d+) ", banner).group(1))
        self.banner = banner.decode()
        self._reader = asyncio.create_task(self._read_log())


@needs_redis
async def test_two_serve_processes_one_class_end_to_end(tmp_path, redis_server):
    """The teacher on server A, two students on server B (real OpenSSH clients):
    following, the lock and the roster across them; Redis killed mid-class: every
    status line says so, the teacher goes on; Redis again: the students catch up.
    The password is in no log and no process listing."""
    if not (HAVE_SSH and HAVE_TMUX):
        pytest.skip("needs ssh and tmux")
    pw = tmp_path / "redis-pw"
    pw.write_text(PASSWORD + "\n")
    a = Server(tmp_path, "a", redis_server.url, pw)
    b = Server(tmp_path, "b", redis_server.url, pw)
    try:
        await a.start()
        await b.start()
        assert "Class e2e shared through" in a.banner
        await a.join("kim", teacher=True)
        await b.join("ann")
        await b.join("bob")
        await a.wait_for("kim", "you lead the class", "t = 0/3")
        for who in ("ann", "bob"):
            await b.wait_for(who, FOLLOWING, "t = 0/3")
        await a.keys("kim", "L")
        for who in ("ann", "bob"):
            await b.wait_for(who, FOLLOWING, "t = 1/3")
        # the lock, across servers
        await a.keys("kim", "o")
        await b.wait_for("ann", "[class locked]")
        await b.keys("ann", "Right")
        await b.wait_for("ann", "the class is locked", "t = 1/3")
        await a.keys("kim", "o")
        await b.wait_for("ann", FOLLOWING, absent="[class locked]")
        # the roster: B's students on A's teacher's screen, a hand raised on B
        await b.keys("bob", "a")
        await b.wait_for("bob", "hand raised")
        await a.keys("kim", "c")
        roster = await a.wait_for("kim", "2 connected, 2 following", "ann", "bob", "✋")
        assert roster.count("sentence 1, t 1/3, 4/4") >= 2, roster
        await a.keys("kim", "Escape")
        await a.wait_for("kim", "you lead the class", absent="connected")
        # no password in any process's command line
        ps = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout
        assert "--class-broker" in ps and PASSWORD not in ps
        # Redis goes away: everyone is told; the teacher's own server goes on
        redis_server.kill()
        await a.wait_for("kim", LOST)
        for who in ("ann", "bob"):
            await b.wait_for(who, LOST, FOLLOWING)
        await a.keys("kim", "L")
        await a.wait_for("kim", "t = 2/3")
        await asyncio.sleep(0.5)
        assert "t = 1/3" in await b.screen("ann")
        # Redis again (empty): following resumes from where the teacher is
        redis_server.start()
        for who in ("ann", "bob"):
            await b.wait_for(who, FOLLOWING, "t = 2/3", absent=LOST, timeout=20)
        await a.wait_for("kim", "you lead the class", absent=LOST)
        await a.keys("kim", "L")
        for who in ("ann", "bob"):
            await b.wait_for(who, "t = 3/3")
        logs = "\n".join(a.log + b.log)
        assert "class broker: lost" in logs and "linked to redis://127.0.0.1" in logs
        assert PASSWORD not in logs
    finally:
        await a.close()
        await b.close()


@needs_redis
@pytest.mark.slow
def test_two_server_benchmark_runs_small():
    """benchmarks/class_bench.py --servers 2 at a tiny size: every student, on
    either server, at the teacher's step (no figure is checked: machines vary)."""
    import re
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "benchmarks/class_bench.py", "--servers", "2", "--students", "1",
         "--presses", "3", "--think", "0", "--arrival", "0"], capture_output=True, text=True,
        cwd=root, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [r.split("|")[1].strip() for r in rows] == ["0", "1", "1"], proc.stdout
    assert all("| yes |" in r for r in rows[:2]), proc.stdout
    assert "on the other server" in proc.stdout


# --- the class quiz across servers (issue 18 + 20) ------------------------------------------------


@needs_redis
async def test_quiz_across_servers_counted_once_and_written_once(hubs, tmp_path):
    from rnn_tui.serve.results import Results

    a, b = await hubs(), await hubs()
    a.results = Results(str(tmp_path / "a"))
    b.results = Results(str(tmp_path / "b"))
    t = await Client.open(a, a.admit("Ann", "teacher"))
    here = await Client.open(a, a.admit("here", "student"))
    s1 = await Client.open(b, b.admit("s1", "student"))
    s2 = await Client.open(b, b.admit("s2", "student"))
    # Ann leads, and the other server knows it before Bo comes: a teacher who joins a
    # server that has heard of no leader claims the lead, and the higher claim wins on
    # both (under load Bo's came before Ann's reached B, and Bo led)
    await now_or_until(t, "class", lambda m: m["you_lead"])
    for c in (s1, s2):
        await now_or_until(c, "class", lambda m: m["leader"] == "Ann")
    t2 = await Client.open(b, b.admit("Bo", "teacher"))  # follows
    await until(t, "roster", lambda r: r["connected"] == 3)
    # only the leader asks (the claim goes through Redis; under load it came after the
    # question, which was then ignored)
    await now_or_until(t2, "class", lambda m: m["leader"] == "Ann" and not m["you_lead"])
    t.send("ask", what="h", b=0, t=1, entry=1, pos=4, truth=0.7)
    q = await until(s1, "quiz", lambda m: m["open"])
    assert (q["total"], q["answered"], q["guess"]) == (3, 0, None)
    qid = q["qid"]
    assert (await until(t2, "quiz", lambda m: m["open"]))["qid"] == qid
    s1.send("answer", qid=qid, text="0.3")
    s1.send("answer", qid=qid, text="0.75")  # changed: the last one counts
    assert (await until(s1, "quiz", lambda m: m["guess"] == 0.75))["open"]
    here.send("answer", qid=qid, text="0.7")
    await until(t, "quiz", lambda m: m["answered"] == 2)
    s2.send("answer", qid=qid, text="5")  # the last: the question closes
    done = {}
    for name, c in (("t", t), ("here", here), ("s1", s1), ("s2", s2), ("Bo", t2)):
        done[name] = await until(c, "quiz", lambda m: not m["open"])
    assert done["s1"]["bins"] == done["t"]["bins"] and sum(done["t"]["bins"]) == 3
    assert (done["s1"]["points"], done["s1"]["mine"]) == (2, [1, 2, 0])
    assert (done["s2"]["points"], done["s2"]["mine"]) == (0, [1, 0, 0])
    assert done["Bo"]["truth"] == 0.7 and done["Bo"]["points"] is None
    assert [name for name, _ in done["t"]["top"]][:2] in (["here", "s1"], ["s1", "here"])
    # written once, by the leader's server: one row a student
    files = [p for p in (tmp_path / "a").iterdir()]
    rows = files[0].read_text().splitlines()[1:]
    assert len(files) == 1 and len(rows) == 3
    assert sorted(r.split(",")[1] for r in rows) == ["here", "s1", "s2"]
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())
    # B's roster scores are the leader's server's count
    r = await until(t, "roster", lambda r: any(e["score"] == [1, 2, 0] for e in r["students"]
                                               if e["name"] == "s1"))
    assert r["connected"] == 3
    for c in (t, here, s1, s2, t2):
        c.close()


@needs_redis
async def test_quiz_through_a_lost_broker_counts_each_answer_once(hubs, redis_server, tmp_path):
    from rnn_tui.serve.results import Results

    a, b = await hubs(), await hubs()
    a.results = Results(str(tmp_path / "a"))
    t = await Client.open(a, a.admit("Ann", "teacher"))
    s1 = await Client.open(b, b.admit("s1", "student"))
    s2 = await Client.open(b, b.admit("s2", "student"))
    await until(t, "roster", lambda r: r["connected"] == 2)
    await now_or_until(t, "class", lambda m: m["you_lead"])  # only the leader asks
    for c in (s1, s2):
        await now_or_until(c, "class", lambda m: m["leader"] == "Ann")
    t.send("ask", what="h", b=0, t=1, entry=1, pos=4, truth=0.7)
    qid = (await until(s1, "quiz", lambda m: m["open"]))["qid"]
    s1.send("answer", qid=qid, text="0.6")
    await until(s1, "quiz", lambda m: m["guess"] == 0.6)
    redis_server.kill()
    await until(s1, "class", lambda m: m.get("broker") == "lost")
    s1.send("answer", qid=qid, text="0.7")  # not forwarded: Redis is away
    redis_server.start()
    await until(s1, "class", lambda m: m.get("broker") == "ok", timeout=6)
    # the question is still open on B (the leader's server wrote it again)
    await until(t, "roster", lambda r: r["connected"] == 2, timeout=4)
    s1.send("answer", qid=qid, text="0.7")  # again, now through: the last counts
    await until(s1, "quiz", lambda m: m["guess"] == 0.7)
    s2.send("answer", qid=qid, text="0.1")
    done = await until(s1, "quiz", lambda m: not m["open"])
    assert done["points"] == 2 and done["mine"] == [1, 2, 0] and sum(done["bins"]) == 2
    rows = next((tmp_path / "a").iterdir()).read_text().splitlines()[1:]
    assert sorted(r.split(",")[1] for r in rows) == ["s1", "s2"]
    for c in (t, s1, s2):
        c.close()


@needs_redis
async def test_two_serve_processes_quiz_with_histogram_end_to_end(tmp_path, redis_server):
    """The teacher on server A asks; two students on server B answer (OpenSSH in
    tmux): the histogram on every screen, each student's own bin; the CSV is
    written once, by A."""
    if not (HAVE_SSH and HAVE_TMUX):
        pytest.skip("needs ssh and tmux")
    import re

    from rnn_tui.teach import fmt
    from tests.test_class_quiz_ssh import counts, truth

    pw = tmp_path / "redis-pw"
    pw.write_text(PASSWORD + "\n")
    a = Server(tmp_path, "a", redis_server.url, pw)
    b = Server(tmp_path, "b", redis_server.url, pw)
    try:
        await a.start()
        await b.start()
        await a.join("kim", teacher=True)
        await b.join("ann")
        await b.join("bob")
        await a.wait_for("kim", "you lead the class")
        for who in ("ann", "bob"):
            await b.wait_for(who, FOLLOWING)
        await a.keys("kim", "c")  # the roster has both (so the question counts them)
        await a.wait_for("kim", "2 connected")
        await a.keys("kim", "Escape")
        await a.wait_for("kim", "you lead the class", absent="connected")
        await a.keys("kim", "K")
        await a.wait_for("kim", "Question 1:", "answered 0 / 2")
        for who in ("ann", "bob"):
            await b.wait_for(who, "Question 1:", "no answer yet")
        value = truth()
        near = f"{value + 0.02:.3f}"
        await b.keys("ann", near, "Enter")
        await b.wait_for("ann", f"your answer: {fmt.num(float(near))} (counted)")
        await a.wait_for("kim", "answered 1 / 2")
        await b.keys("bob", "1", "Enter")  # the last: the question closes
        shown = fmt.num(value)
        screens = {"kim": await a.wait_for("kim", f"is {shown}.", "esc: close")}
        for who in ("ann", "bob"):
            screens[who] = await b.wait_for(who, f"is {shown}.", "esc: close")
        for who, screen in screens.items():
            assert counts(screen) == [0, 0, 1, 0, 1], who
        assert re.search(r"within 0\.05 +█+ +1  ◀ you", screens["ann"])
        assert re.search(r"over by > 0\.2 +█+ +1  ◀ you", screens["bob"])
        assert f"you said {fmt.num(float(near))}: +2" in screens["ann"]
        assert "top: ann 2 · bob 0" in screens["kim"]
        files = list((tmp_path / "results_a").glob("*.csv"))
        assert len(files) == 1 and len(files[0].read_text().splitlines()) == 3
        assert not list((tmp_path / "results_b").glob("*.csv"))
    finally:
        await a.close()
        await b.close()
