"""Leading a class over SSH (issue 16): teachers' logins, the hub behind ``serve``,
and, end to end, a teacher and students with the real OpenSSH client in tmux.

The first part runs the server in the test's loop with a tiny session command
that joins the hub and prints what it was told (no app); the end-to-end part
runs the real ``python -m rnn_tui serve`` and the real app.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from pathlib import Path

import asyncssh
import numpy as np
import pytest

from rnn_tui.cli import main as cli
from rnn_tui.cli import serve
from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.serve.sshd import ClassServer, ServeConfig, key_names
from rnn_tui.teach import fmt
from tests.test_ssh import HAVE_SSH, HAVE_TMUX, SSH_OPTS, host_key, run_ssh, settle

#: A session command that joins the class and says what it learnt, then ends.
CLASS_FAKE = r"""
import asyncio, json, os, sys
sock, token = os.environ.get("RNN_TUI_CLASS"), os.environ.get("RNN_TUI_CLASS_TOKEN")
nice = os.getpriority(os.PRIO_PROCESS, 0)
try:
    import time
    time.sleep(0.2)  # the server sets the group's nice once this process leads its session
    nice = f"{nice} AG={open('/proc/self/autogroup').read().split()[-1]}"
except OSError:
    nice = f"{nice} AG=-"
KEEP = []

async def main():
    if not sock:
        return f"CLASS=- NICE={nice}"
    r, w = await asyncio.open_unix_connection(sock)
    w.write(json.dumps({"v": 1, "type": "hello", "token": token}).encode() + b"\n")
    hello = json.loads(await r.readline())
    KEEP.append(w)  # the link stays open while the process runs
    return f"CLASS={hello['type']} ROLE={hello['role']} NAME={hello['name']} NICE={nice}"

os.write(1, (asyncio.run(main()) + "\r\n").encode())
"""


#: The same, staying in the class (60 s) after it said what it learnt.
STAY = CLASS_FAKE.replace('os.write(1, (asyncio.run(main()) + "\\r\\n").encode())', """
async def stay():
    line = await main()
    os.write(1, (line + " READY\\r\\n").encode())
    await asyncio.sleep(60)
asyncio.run(stay())
""")


def write_key(path, comment: str = ""):
    key = asyncssh.generate_private_key("ssh-ed25519", comment=comment or None)
    path.write_bytes(key.export_private_key())
    path.chmod(0o600)
    return key


def keys_file(path, *keys) -> str:
    """An authorized_keys file of ``keys`` (comments kept); its text."""
    text = "".join(k.export_public_key().decode() for k in keys)
    path.write_text(text)
    return text


async def start_class(**overrides) -> ClassServer:
    config = ServeConfig(host_keys=[host_key()], command=[sys.executable, "-c", CLASS_FAKE],
                         port=0, kill_grace=0.5, auth_fail_delay=0.0)
    for name, value in overrides.items():
        setattr(config, name, value)
    server = ClassServer(config)
    await server.start()
    return server


async def session_says(server: ClassServer, **login) -> str:
    """Log in with asyncssh's client, open a session; what the session command printed."""
    options = dict(known_hosts=None, username="student", client_keys=None, agent_path=None,
                   password=None)
    options.update(login)
    async with asyncssh.connect("127.0.0.1", server.port, **options) as conn:
        proc = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        out = await asyncio.wait_for(proc.stdout.read(), 10)
        return out.decode().strip()


# -- teachers' logins and the hub, with a stand-in session --------------------------


def test_key_names_are_the_comments():
    a = asyncssh.generate_private_key("ssh-ed25519", comment="Ms Kim")
    b = asyncssh.generate_private_key("ssh-ed25519")
    text = (f'from="127.0.0.1",no-pty {a.export_public_key().decode()}'
            f"# a comment line\n{b.export_public_key().decode()}garbage line\n")
    names = key_names(text)
    assert names == {a.public_data: "Ms Kim"}


@pytest.mark.skipif(not HAVE_SSH, reason="needs ssh")
async def test_teacher_key_and_students_without_a_login(tmp_path):
    """--no-auth with teacher keys: the teacher's key makes a teacher (named by the
    key's comment); a student gets in with no key and no prompt (OpenSSH's
    keyboard-interactive), also when offering a key of their own, which is not a
    failed login."""
    teacher = write_key(tmp_path / "teacher", "Ms Kim")
    write_key(tmp_path / "own", "a student's own key")
    text = keys_file(tmp_path / "teachers.pub", teacher)
    server = await start_class(
        auth="none", teacher_keys=asyncssh.import_authorized_keys(text),
        key_names=key_names(text))
    dest = ["-tt", "-p", str(server.port)]
    # Not BatchMode (it turns keyboard-interactive off); no askpass: a prompt would fail.
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_ASKPASS", "DISPLAY")}
    env["SSH_ASKPASS_REQUIRE"] = "never"
    try:
        rc, out, err = await run_ssh("-i", str(tmp_path / "teacher"), *dest, "kim@127.0.0.1",
                                     env=env)
        assert "CLASS=welcome ROLE=teacher NAME=Ms Kim NICE=" in out, (out, err)
        teacher_nice, teacher_out = int(out.split("NICE=")[1].split()[0]), out
        rc, out, err = await run_ssh(*dest, "minji@127.0.0.1", env=env)
        assert "CLASS=welcome ROLE=student NAME=minji" in out, (out, err)
        assert int(out.split("NICE=")[1].split()[0]) == min(19, teacher_nice + 15)
        if os.path.exists("/proc/self/autogroup"):  # Linux's autogroups: the group too
            assert "AG=15" in out and "AG=0" in teacher_out, (out, teacher_out)
        rc, out, err = await run_ssh("-i", str(tmp_path / "own"), *dest, "joon@127.0.0.1", env=env)
        assert "ROLE=student NAME=joon" in out, (out, err)
        assert server.stats.auth_failures == 0
        # only the teacher's PUBLIC key: the server says it would do, the client can't
        # sign, and logs in otherwise: a student, not the teacher
        (tmp_path / "pub").mkdir()
        (tmp_path / "pub" / "teacher.pub").write_bytes(teacher.export_public_key())
        rc, out, err = await run_ssh("-i", str(tmp_path / "pub" / "teacher.pub"), *dest,
                                     "eve@127.0.0.1", env=dict(env, SSH_AUTH_SOCK=""))
        assert "ROLE=student NAME=eve" in out, (out, err)
        await settle(server)
        assert server.hub is not None and server.hub.roster() == []
        assert not server.hub._members  # every session forgotten when it ended
    finally:
        await server.close()
    assert server.hub.path and not os.path.exists(server.hub.path)


@pytest.mark.skipif(not HAVE_SSH, reason="needs ssh")
async def test_openssh_teacher_password_with_no_auth(tmp_path):
    """--no-auth with a teacher password: plain ssh is a student (no prompt); the
    teacher asks for the password method (as the banner says)."""
    askpass = tmp_path / "askpass"
    askpass.write_text("#!/bin/sh\necho teach\n")
    askpass.chmod(0o700)
    env = dict(os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
    server = await start_class(auth="none", teacher_password=b"teach")
    dest = ["-tt", "-p", str(server.port)]
    try:
        rc, out, err = await run_ssh(*dest, "-o", "PreferredAuthentications=password",
                                     "lee@127.0.0.1", env=env)
        assert "ROLE=teacher NAME=lee" in out, (out, err)
        nobody = dict(env, SSH_ASKPASS=str(tmp_path / "no-such-askpass"))
        rc, out, err = await run_ssh(*dest, "kim@127.0.0.1", env=nobody)
        assert "ROLE=student NAME=kim" in out, (out, err)
    finally:
        await server.close()


async def test_teacher_and_class_passwords():
    server = await start_class(auth="password", password=b"class", teacher_password=b"teach")
    try:
        assert "ROLE=teacher NAME=lee" in await session_says(server, username="lee",
                                                             password="teach")
        assert "ROLE=student NAME=kim" in await session_says(server, username="kim",
                                                             password="class")
        with pytest.raises(asyncssh.PermissionDenied):
            await session_says(server, password="wrong")
    finally:
        await server.close()


async def test_student_keys_and_teacher_keys():
    """Students log in with their keys (named by comment), a teacher with a teacher key;
    a student's key is not a teacher's, and an unknown key still fails."""
    student = asyncssh.generate_private_key("ssh-ed25519", comment="Park Minji")
    teacher = asyncssh.generate_private_key("ssh-ed25519", comment="Mr Cho")
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    s_text = student.export_public_key().decode()
    t_text = teacher.export_public_key().decode()
    server = await start_class(auth="keys", authorized_keys=asyncssh.import_authorized_keys(
        s_text), teacher_keys=asyncssh.import_authorized_keys(t_text),
        key_names={**key_names(s_text), **key_names(t_text)})
    try:
        assert "ROLE=student NAME=Park Minji" in await session_says(server, client_keys=[student])
        assert "ROLE=teacher NAME=Mr Cho" in await session_says(server, client_keys=[teacher])
        with pytest.raises(asyncssh.PermissionDenied):
            await session_says(server, client_keys=[stranger])
        assert server.stats.auth_failures >= 1
    finally:
        await server.close()


async def test_without_teachers_no_class():
    server = await start_class(auth="none")
    try:
        assert server.hub is None
        out = await session_says(server)
        assert out.startswith("CLASS=- NICE=")
    finally:
        await server.close()


def test_cli_teacher_options(tmp_path, capsys):
    pw = tmp_path / "pw"
    pw.write_text("same\n")
    assert cli.main(["serve", "--password-file", str(pw), "--teacher-password-file",
                     str(pw)]) == 2
    assert "teacher password must not be the class password" in capsys.readouterr().err
    (tmp_path / "empty").write_text("# nobody\n")
    assert cli.main(["serve", "--no-auth", "--teacher-keys", str(tmp_path / "empty")]) == 2
    assert "teacher keys file" in capsys.readouterr().err
    key = asyncssh.generate_private_key("ssh-ed25519", comment="Ms Kim")
    keys_file(tmp_path / "t.pub", key)
    args = serve.parser().parse_args(["--no-auth", "--teacher-keys", str(tmp_path / "t.pub"),
                                      "--lang", "ko", "--theme", "projector",
                                      "--activation", "relu"])
    config = serve.build_config(args)
    assert config.has_teachers and config.key_names == {key.public_data: "Ms Kim"}
    opts = config.command[config.command.index("--") + 1:]
    assert opts == ["--lang", "ko", "--theme", "projector", "--activation", "relu"]
    assert config.student_nice == 15
    assert serve.build_config(serve.parser().parse_args(
        ["--no-auth", "--student-nice", "0"])).student_nice == 0
    assert cli.main(["serve", "--no-auth", "--student-nice", "20"]) == 2
    assert "--student-nice" in capsys.readouterr().err
    plain = serve.build_config(serve.parser().parse_args(["--no-auth"]))
    assert not plain.has_teachers and plain.command[-1] == "--"
    text = serve.banner(config, tmp_path / "k", host_key(), False, 2222)
    assert "Teachers connect with:  ssh -p 2222 -i YOUR_KEY teacher@127.0.0.1" in text


async def test_killed_session_leaves_the_class():
    """A session process killed mid-class: the hub forgets it, the rest go on."""
    script = STAY
    server = await start_class(auth="password", password=b"c", teacher_password=b"t",
                               command=[sys.executable, "-c", script])
    try:
        conns = []
        for name in ("a", "b"):
            conn = await asyncssh.connect("127.0.0.1", server.port, known_hosts=None,
                                          username=name, client_keys=None, agent_path=None,
                                          password="c")
            conns.append(conn)
            proc = await conn.create_process(term_type="xterm", encoding=None)
            buf = b""
            while b"READY" not in buf:
                chunk = await asyncio.wait_for(proc.stdout.read(1024), 10)
                assert chunk, f"the session ended before it was ready: {buf!r}"
                buf += chunk
        hub = server.hub
        deadline = time.monotonic() + 5
        while len(hub.roster()) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert [e["name"] for e in hub.roster()] == ["a", "b"]
        victim = next(s for s in server.sessions if s.connection.username == "a")
        os.kill(victim.proc.pid, 9)
        while len(hub.roster()) > 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert [e["name"] for e in hub.roster()] == ["b"]
        for conn in conns:
            conn.close()
    finally:
        await server.close()


# -- end to end: the real server and app, OpenSSH clients in tmux ---------------------

SIZE = ("100", "30")
SEED = 7


def h1_row() -> str:
    """Sentence 1's h₁ as the h history panel shows it, computed here by plain NumPy."""
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=SEED)
    h1 = np.tanh(d.X[0, 0, :] @ w.Wxh + np.zeros(3) @ w.Whh + w.bh).ravel()
    return "h₁ [" + " ".join(fmt.num(v) for v in h1) + "]"


def y_text() -> str:
    """Sentence 1's y, by plain NumPy."""
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=SEED)
    h = np.zeros(3)
    for t in range(int(d.lengths[0])):
        h = np.tanh(d.X[0, t, :] @ w.Wxh + h @ w.Whh + w.bh).ravel()
    return fmt.prob(float((1 / (1 + np.exp(-(h @ w.Wy + w.by)))).ravel()[0]))


class Class:
    """``rnn-tui serve`` with a teacher key, and people joining it with OpenSSH in tmux
    (one tmux session per person, on a private tmux server)."""

    def __init__(self, tmp_path) -> None:
        self.tmp = tmp_path
        self.tmux = f"rnn-tui-class-{os.getpid()}-{id(self)}"
        self.proc: asyncio.subprocess.Process | None = None
        self.log: list[str] = []
        self._reader: asyncio.Task | None = None
        self.port = 0

    async def start(self) -> None:
        write_key(self.tmp / "teacher", "Ms Kim")
        keys_file(self.tmp / "teachers.pub",
                  asyncssh.read_private_key(str(self.tmp / "teacher")))
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rnn_tui", "serve", "--no-auth", "--port", "0",
            "--student-nice", "0",  # the suite fills the CPUs: nicer sessions would starve
            "--host-key", str(self.tmp / "host_key"), "--seed", str(SEED),
            "--teacher-keys", str(self.tmp / "teachers.pub"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        banner = b""
        while b"Stop with Ctrl-C" not in banner:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 15)
            assert line, banner
            banner += line
        self.port = int(re.search(rb"ssh -p (\d+) ", banner).group(1))
        self._reader = asyncio.create_task(self._read_log())

    async def _read_log(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while len(self.log) < 10000:
            line = await self.proc.stderr.readline()
            if not line:
                return
            self.log.append(line.decode(errors="replace").rstrip())

    async def tmux_run(self, *args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            "tmux", "-L", self.tmux, *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 10)
        assert proc.returncode == 0, err.decode()
        return out.decode(errors="replace")

    async def join(self, who: str, *, teacher: bool = False, lang: str = "C.UTF-8") -> None:
        ssh = ["ssh", "-tt", *SSH_OPTS, "-o", "SendEnv=LANG", "-p", str(self.port)]
        if teacher:
            ssh += ["-i", str(self.tmp / "teacher")]
        cmd = f"LANG={lang} {' '.join(ssh)} {who}@127.0.0.1; echo SSH-EXIT; sleep 60"
        await self.tmux_run("new-session", "-d", "-s", who, "-x", SIZE[0], "-y", SIZE[1], cmd)

    async def screen(self, who: str) -> str:
        return await self.tmux_run("capture-pane", "-p", "-t", who)

    async def wait_for(self, who: str, *texts: str, absent: str | None = None,
                       timeout: float = 15) -> str:
        """``who``'s screen once it shows every one of ``texts`` (and not ``absent``)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = await self.screen(who)
            if all(t in screen for t in texts) and (absent is None or absent not in screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{who}: {texts!r} (not {absent!r}) not on screen:\n"
                                     f"{screen}")
            await asyncio.sleep(0.05)

    async def keys(self, who: str, *keys: str) -> None:
        await self.tmux_run("send-keys", "-t", who, *keys)

    def pid(self, who: str) -> int:
        for line in self.log:
            m = re.search(rf"session start \S+ user={who} pid=(\d+)", line)
            if m:
                return int(m.group(1))
        raise AssertionError(f"no session of {who} in the log")

    async def close(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            "tmux", "-L", self.tmux, "kill-server",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await proc.wait()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._reader, 2)


@pytest.fixture
async def klass(tmp_path):
    if not (HAVE_SSH and HAVE_TMUX):
        pytest.skip("needs ssh and tmux")
    k = Class(tmp_path)
    try:
        await k.start()
        yield k
    finally:
        await k.close()


FOLLOWING, FOLLOWING_KO = "following Ms Kim", "Ms Kim 따라가는 중"
OWN, OWN_KO = "on your own; f: follow the teacher", "혼자 진행 중; f: 선생님 따라가기"


async def test_students_follow_explore_and_come_back(klass):
    """The teacher presses L: both students show h₁ (an independent NumPy run); End:
    both show y. A student's own key: on their own; f: back to the teacher. One
    student in Korean, the teacher in English."""
    await klass.join("kim", teacher=True)
    await klass.join("ann")
    await klass.join("bob", lang="ko_KR.UTF-8")
    await klass.wait_for("kim", "you lead the class", "t = 0/3")
    await klass.wait_for("ann", FOLLOWING)
    await klass.wait_for("bob", FOLLOWING_KO, "은닉 상태 기록")
    row = h1_row()
    assert row not in await klass.screen("ann")
    await klass.keys("kim", "L")
    for who in ("kim", "ann", "bob"):
        await klass.wait_for(who, row, "t = 1/3")
    await klass.keys("kim", "End")
    y = y_text()
    for who in ("ann", "bob"):
        await klass.wait_for(who, y, "t = 3/3")
    # ann steps back on her own; bob stays with the teacher
    await klass.keys("ann", "Left")
    await klass.wait_for("ann", OWN, absent=FOLLOWING)
    await klass.keys("bob", "Home")
    await klass.wait_for("bob", OWN_KO, "t = 0/3")
    await klass.keys("kim", "Left")  # the teacher moves on meanwhile (output -> tanh)
    await klass.wait_for("kim", "t = 3/3  sub-step 4/4")
    await klass.keys("ann", "f")
    await klass.wait_for("ann", FOLLOWING, "t = 3/3  sub-step 4/4")
    await klass.keys("bob", "f")
    await klass.wait_for("bob", FOLLOWING_KO, "t = 3/3")
    assert "teacher Ms Kim" in "\n".join(klass.log)


async def test_lock_roster_late_joiner_and_people_leaving(klass):
    await klass.join("kim", teacher=True)
    await klass.join("ann")
    await klass.join("bob")
    await klass.wait_for("kim", "you lead the class")
    for who in ("ann", "bob"):
        await klass.wait_for(who, FOLLOWING)
    await klass.keys("kim", "L")
    await klass.wait_for("ann", "t = 1/3", FOLLOWING)
    # lock: a student's stepping keys say so, and do nothing; the same key unlocks
    await klass.keys("kim", "o")
    await klass.wait_for("ann", "[class locked]")
    await klass.keys("ann", "Right")
    await klass.wait_for("ann", "the class is locked", "t = 1/3", FOLLOWING)
    await klass.keys("ann", "?")  # help still works
    await klass.wait_for("ann", "next whole time step")
    await klass.keys("ann", "Escape")
    await klass.wait_for("ann", FOLLOWING, absent="next whole time step")
    await klass.keys("kim", "o")
    await klass.wait_for("ann", FOLLOWING, absent="[class locked]")
    # the roster: both names and where they are
    await klass.keys("bob", "a")  # bob raises his hand
    await klass.wait_for("bob", "hand raised")
    await klass.keys("kim", "c")
    roster = await klass.wait_for("kim", "2 connected, 2 following", "ann", "bob", "✋")
    assert roster.count("sentence 1, t 1/3, 4/4") >= 2, roster
    await klass.keys("kim", "Escape")
    await klass.wait_for("kim", "you lead the class", absent="connected")
    # a late joiner gets the whole state at once
    await klass.keys("kim", "L")
    await klass.wait_for("kim", "t = 2/3")
    await klass.join("carol")
    await klass.wait_for("carol", FOLLOWING, "t = 2/3")
    # a student's process is killed: the class goes on without her
    os.kill(klass.pid("ann"), signal.SIGKILL)
    await klass.wait_for("ann", "SSH-EXIT")
    await klass.keys("kim", "L")
    for who in ("bob", "carol"):
        await klass.wait_for(who, "t = 3/3", FOLLOWING)
    await klass.keys("kim", "c")
    roster = await klass.wait_for("kim", "2 connected", "carol")
    assert "ann" not in roster
    await klass.keys("kim", "Escape")
    await klass.wait_for("kim", "you lead the class", absent="connected")
    # the teacher leaves: the students keep the last state, and are told
    await klass.keys("kim", "q")
    await klass.wait_for("kim", "SSH-EXIT")
    for who in ("bob", "carol"):
        await klass.wait_for(who, "the teacher left; the last state stays", "t = 3/3")
    log = "\n".join(klass.log)
    for line in ("login", "teacher Ms Kim", "Ms Kim locked the class",
                 "Ms Kim unlocked the class", "student ann joined", "student ann left",
                 "student carol joined", "teacher Ms Kim left"):
        assert line in log, line


@pytest.mark.slow
def test_class_benchmark_runs_small():
    """benchmarks/class_bench.py at a tiny size: its table, every student at the
    teacher's step (no figure is checked: machines vary)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "benchmarks/class_bench.py", "--students", "2", "--presses", "3",
         "--think", "0", "--arrival", "0"], capture_output=True, text=True, cwd=root,
        timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [r.split("|")[1].strip() for r in rows] == ["0", "2"]
    assert all("| yes |" in r for r in rows), proc.stdout


async def test_a_following_student_is_not_idle_while_the_leader_is_active():
    """--idle-timeout: a student who only watches the teacher stays while the
    teacher is active; one on their own, or once the teacher stops, is closed."""
    from tests.test_hub import Client, where

    # the idle timeout is longer than a session takes to start on a loaded machine (it
    # is not following before its app has linked to the hub)
    idle = 3.0
    server = await start_class(auth="password", password=b"c", teacher_password=b"t",
                               command=[sys.executable, "-c", STAY], idle_timeout=idle)
    hub = server.hub
    # the teacher is active before anyone logs in, and all along
    teacher = await Client.open(hub, hub.admit("T", "teacher"))
    teaching = True

    async def teach() -> None:
        step = 0
        while teaching:
            teacher.send("position", **where(pos=step % 5))
            step += 1
            await asyncio.sleep(0.2)

    pinger = asyncio.get_running_loop().create_task(teach())
    conns = []
    try:
        for name in ("watcher", "alone"):
            conn = await asyncio.wait_for(asyncssh.connect(
                "127.0.0.1", server.port, known_hosts=None, username=name,
                client_keys=None, agent_path=None, password="c"), 20)
            conns.append(conn)
            proc = await conn.create_process(term_type="xterm", encoding=None)
            buf = b""
            while b"READY" not in buf:
                chunk = await asyncio.wait_for(proc.stdout.read(1024), 20)
                assert chunk, f"{name}'s session ended before it was ready: {buf!r}"
                buf += chunk
            if name == "alone":
                next(m for m in hub._members.values() if m.name == "alone").following = False
        start = time.monotonic()  # the one on their own goes; the watcher stays
        while len(server.sessions) > 1 and time.monotonic() - start < 20:
            await asyncio.sleep(0.05)
        await asyncio.sleep(idle / 2)  # still teaching
        users = sorted(s.connection.username for s in server.sessions)
        assert users == ["watcher"]
        teaching = False  # the teacher stops: the watcher goes idle too
        await pinger
        start = time.monotonic()
        while server.sessions and time.monotonic() - start < 20:
            await asyncio.sleep(0.05)
        assert not server.sessions and time.monotonic() - start > idle / 3
        teacher.close()
    finally:
        teaching = False
        for conn in conns:
            conn.close()
        await server.close()
