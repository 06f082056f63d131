"""``rnn-tui serve`` with real SSH clients (asyncssh's, and OpenSSH's through tmux).

The server runs inside the test's event loop on a free loopback port; its
session command is tests/ssh_fake_app.py (fast to start, reports what it sees)
except in the end-to-end test, which runs the real ``python -m rnn_tui serve``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import stat
import sys
import time
from pathlib import Path

import asyncssh
import pyte
import pytest

from rnn_tui.cli import main as cli
from rnn_tui.cli import serve
from rnn_tui.serve.sshd import ClassServer, ServeConfig, app_command, full_message, session_env

FAKE_APP = str(Path(__file__).with_name("ssh_fake_app.py"))
HAVE_SSH = shutil.which("ssh") is not None
HAVE_TMUX = shutil.which("tmux") is not None

_HOST_KEY = None


def host_key():
    global _HOST_KEY
    if _HOST_KEY is None:
        _HOST_KEY = asyncssh.generate_private_key("ssh-ed25519")
    return _HOST_KEY


def children() -> list[tuple[int, str]]:
    """(pid, state) of this process's children, zombies included."""
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        rest = text.rsplit(")", 1)[1].split()
        if int(rest[1]) == me:
            found.append((int(entry), rest[0]))
    return found


async def start(tmp_path=None, *, app_args=(), **overrides) -> ClassServer:
    config = ServeConfig(
        host_keys=[host_key()],
        command=[sys.executable, FAKE_APP, *app_args],
        port=0,
        kill_grace=0.5,
        auth_fail_delay=0.0,
    )
    for name, value in overrides.items():
        setattr(config, name, value)
    server = ClassServer(config)
    await server.start()
    return server


def connect(server: ClassServer, **kwargs):
    options = dict(known_hosts=None, username="student", client_keys=None,
                   agent_path=None, password=None)
    options.update(kwargs)
    return asyncssh.connect("127.0.0.1", server.port, **options)


async def open_app(conn, **kwargs):
    options = dict(term_type="xterm-256color", term_size=(80, 24), encoding=None)
    options.update(kwargs)
    return await conn.create_process(**options)


async def expect(stream, pattern: bytes, timeout: float = 10.0) -> bytes:
    """Read ``stream`` until ``pattern`` appears; everything read so far."""
    buf = b""

    async def read() -> bytes:
        nonlocal buf
        while pattern not in buf:
            chunk = await stream.read(4096)
            if not chunk:
                raise EOFError(f"EOF before {pattern!r}: {buf!r}")
            buf += chunk
        return buf

    try:
        return await asyncio.wait_for(read(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {pattern!r}; got {buf!r}") from None


async def expect_on_screen(stream, screen: pyte.Screen, text: str, timeout: float = 10.0) -> None:
    """Feed ``stream`` to ``screen`` until a line of it shows ``text``.

    The app writes only the cells that change (rnn_tui/term/damage.py), so what a
    line says is found on the screen, not in the bytes."""
    feed = pyte.ByteStream(screen).feed

    async def read() -> None:
        while not any(text in line for line in screen.display):
            chunk = await stream.read(4096)
            if not chunk:
                raise EOFError(f"EOF before {text!r}: {screen.display!r}")
            feed(chunk)

    try:
        await asyncio.wait_for(read(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {text!r}; got {screen.display!r}") from None


async def settle(server: ClassServer, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while (server.sessions or server.connections) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


# -- pure parts ------------------------------------------------------------


def test_session_command_and_environment():
    command = app_command(["--seed", "3"])
    assert command[:2] == [sys.executable, "-I"] and command[-3:] == ["--", "--seed", "3"]
    assert command[command.index("-X") + 1] == "utf8"
    assert any(arg.endswith("session.py") for arg in command)
    env = session_env("xterm-kitty", {"LANG": "ko_KR.UTF-8"}, "/tmp/s")
    assert env == {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp/s", "TMPDIR": "/tmp/s",
                   "TERM": "xterm-kitty", "LANG": "ko_KR.UTF-8", "TEXTUAL_ANIMATIONS": "none",
                   "RNN_TUI_SERVED": "1", "PYTHONDONTWRITEBYTECODE": "1",
                   "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    assert session_env("", {"COLORTERM": "truecolor"})["COLORTERM"] == "truecolor"
    assert session_env("", None)["TERM"] == "xterm-256color"
    assert session_env("x\x1b]0;evil", {"COLORTERM": "24bit; rm"})["TERM"] == "xterm-256color"
    assert "COLORTERM" not in session_env("xterm", {"COLORTERM": "24bit; rm"})
    assert session_env("xterm", {"LANG": "$(rm -rf /)", "LC_ALL": "C"})["LANG"] == "C.UTF-8"


def test_cli_needs_exactly_one_auth(capsys):
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--no-auth" in err
    assert cli.main(["serve", "--no-auth", "--password-file", "x"]) == 2
    assert "not allowed with" in capsys.readouterr().err
    assert cli.main(["serve", "--password-file", "/nonexistent/pw"]) == 2
    assert "can't read password file" in capsys.readouterr().err
    assert cli.main(["serve", "--no-auth", "--hidden", "0"]) == 2  # app options checked too
    assert "--hidden" in capsys.readouterr().err


def test_app_options_are_passed_on(tmp_path):
    args = serve.parser().parse_args(["--no-auth", "--seed", "7", "--hidden", "4",
                                      "--precision", "2", "--bias", "vector"])
    config = serve.build_config(args)
    assert config.command == app_command(["--hidden", "4", "--seed", "7", "--bias", "vector",
                                          "--precision", "2"])
    assert config.auth == "none" and config.host == "127.0.0.1" and config.port == 2222


def test_host_key_created_private_and_reused(tmp_path):
    assert serve.default_host_key_path({"XDG_CONFIG_HOME": str(tmp_path)}) == \
        tmp_path / "rnn-tui" / "host_key"
    assert serve.default_host_key_path({}) == Path.home() / ".config" / "rnn-tui" / "host_key"
    path = tmp_path / "cfg" / "rnn-tui" / "host_key"
    key, created = serve.load_or_create_host_key(path)
    assert created and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key.algorithm == b"ssh-ed25519"
    again, created = serve.load_or_create_host_key(path)
    assert not created
    assert serve.fingerprint(again) == serve.fingerprint(key)
    assert serve.fingerprint(key).startswith("SHA256:")
    assert [p.name for p in path.parent.iterdir()] == ["host_key"]  # no temp file left


# -- sessions --------------------------------------------------------------


async def test_session_runs_app_on_its_own_pty():
    server = await start()
    try:
        async with connect(server) as conn:
            proc = await open_app(conn, env={"COLORTERM": "truecolor"})
            out = await expect(proc.stdout, b"READY")
            assert (b"FAKEAPP TERM=xterm-256color COLORTERM=truecolor ANIM=none SERVED=1 "
                    b"CTTY=yes SIZE=80x24") in out
            proc.stdin.write(b"a")
            await expect(proc.stdout, b"KEY=61")
            proc.change_terminal_size(100, 30)
            await expect(proc.stdout, b"RESIZED=100x30")
            proc.stdin.write(b"q")
            await expect(proc.stdout, b"BYE")
            result = await asyncio.wait_for(proc.wait(), 5)
            assert result.exit_status == 3
        await settle(server)
        assert server.stats.ended == [3]
    finally:
        await server.close()


async def test_colorterm_only_when_sent():
    server = await start()
    try:
        async with connect(server) as conn:
            proc = await open_app(conn, term_type="xterm")
            out = await expect(proc.stdout, b"READY")
            assert b"TERM=xterm COLORTERM=- " in out
    finally:
        await server.close()


async def test_password_auth(tmp_path):
    server = await start(auth="password", password=b"sesame")
    try:
        with pytest.raises(asyncssh.PermissionDenied):
            async with connect(server, password="open sesame"):
                pass
        async with connect(server, password="sesame") as conn:
            proc = await open_app(conn)
            await expect(proc.stdout, b"READY")
        assert server.stats.auth_failures >= 1
    finally:
        await server.close()


async def test_public_key_auth():
    good = asyncssh.generate_private_key("ssh-ed25519")
    unknown = asyncssh.generate_private_key("ssh-ed25519")
    keys = asyncssh.import_authorized_keys(good.export_public_key().decode())
    server = await start(auth="keys", authorized_keys=keys)
    try:
        with pytest.raises(asyncssh.PermissionDenied):
            async with connect(server, client_keys=[unknown]):
                pass
        with pytest.raises(asyncssh.PermissionDenied):
            async with connect(server, password="anything"):
                pass
        async with connect(server, client_keys=[good]) as conn:
            proc = await open_app(conn)
            await expect(proc.stdout, b"READY")
    finally:
        await server.close()


async def test_commands_subsystems_and_forwarding_refused():
    server = await start()
    try:
        async with connect(server) as conn:
            result = await conn.run("touch /tmp/rnn-tui-should-not-exist", encoding=None)
            assert result.exit_status == 1
            assert b"commands are not allowed" in result.stderr
        async with connect(server) as conn:
            with pytest.raises((asyncssh.SFTPError, asyncssh.ChannelOpenError, OSError)):
                await conn.start_sftp_client()
        async with connect(server) as conn:
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.open_connection("127.0.0.1", server.port)
            with pytest.raises(asyncssh.ChannelListenError):
                await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 9)
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.open_unix_connection("/tmp/x.sock")
        assert server.stats.sessions_started == 0  # nothing ran
        assert not os.path.exists("/tmp/rnn-tui-should-not-exist")
    finally:
        await server.close()


async def test_session_without_pty_refused():
    server = await start()
    try:
        async with connect(server) as conn:
            proc = await conn.create_process(encoding=None)
            result = await asyncio.wait_for(proc.wait(), 5)
            assert result.exit_status == 1
            assert b"use ssh -t" in result.stderr
        assert server.stats.sessions_started == 0
    finally:
        await server.close()


async def test_one_session_per_connection():
    server = await start()
    try:
        async with connect(server) as conn:
            proc = await open_app(conn)
            await expect(proc.stdout, b"READY")
            with pytest.raises(asyncssh.ChannelOpenError):
                await open_app(conn)
    finally:
        await server.close()


async def test_class_full():
    server = await start(max_sessions=2)
    try:
        async with connect(server) as c1, connect(server) as c2:
            p1, p2 = await open_app(c1), await open_app(c2)
            await expect(p1.stdout, b"READY")
            await expect(p2.stdout, b"READY")
            async with connect(server) as c3:
                p3 = await open_app(c3)
                result = await asyncio.wait_for(p3.wait(), 5)
                assert result.exit_status == 1
                assert full_message(2).encode() in result.stderr
            p1.stdin.write(b"q")
            await asyncio.wait_for(p1.wait(), 5)
            for _ in range(100):  # the slot is free once the process is reaped
                if len(server.sessions) < 2:
                    break
                await asyncio.sleep(0.02)
            async with connect(server) as c4:
                p4 = await open_app(c4)
                await expect(p4.stdout, b"READY")
        assert server.stats.refused_full == 1
    finally:
        await server.close()


async def test_idle_timeout():
    # 2.5 s: under the full suite's load, the app took over 1 s to say READY, and the
    # session had been closed for idleness before it did
    server = await start(idle_timeout=2.5)
    try:
        async with connect(server) as conn:
            proc = await open_app(conn)
            await expect(proc.stdout, b"READY")
            await asyncio.sleep(1.5)
            proc.stdin.write(b"a")  # a key press resets the clock
            await expect(proc.stdout, b"KEY=61")
            t0 = time.monotonic()
            out = await expect(proc.stdout, b"without a key press", timeout=8)
            assert 1.8 < time.monotonic() - t0 < 5.5
            assert b"\x1b[?1049l" in out  # terminal restored before the message
            result = await asyncio.wait_for(proc.wait(), 5)
            assert result.exit_status != 0
        await settle(server)
        assert not server.sessions
    finally:
        await server.close()


async def test_unresponsive_app_is_killed_after_grace():
    server = await start(app_args=["--stubborn"], kill_grace=0.3)
    before = {pid for pid, _ in children()}
    try:
        conn = await connect(server)
        proc = await open_app(conn)
        await expect(proc.stdout, b"ARGS=--stubborn")
        conn.abort()
        await settle(server)
        assert not server.sessions
        assert server.stats.ended == [128 + signal.SIGKILL]
        assert {pid for pid, _ in children()} <= before
    finally:
        await server.close()


#: 10 logins (one batch at once) in the quick set; 100 (ten batches) in the slow set
CYCLES = [10, pytest.param(100, marks=pytest.mark.slow)]


@pytest.mark.parametrize("cycles", CYCLES)
async def test_no_leftover_processes_after_many_cycles(cycles):
    server = await start()
    before = {pid for pid, _ in children()}

    async def cycle(i: int) -> None:
        conn = await connect(server)
        proc = await open_app(conn)
        await expect(proc.stdout, b"READY")
        if i % 2:
            conn.abort()  # the client vanishes
        else:
            conn.close()
            await conn.wait_closed()

    try:
        for batch in range(cycles // 10):
            await asyncio.gather(*(cycle(batch * 10 + i) for i in range(10)))
        await settle(server, timeout=10)
        assert server.stats.sessions_started == cycles
        assert len(server.stats.ended) == cycles
        assert not server.sessions and not server.connections and server.pending == 0
        left = [(pid, st) for pid, st in children() if pid not in before]
        assert left == []
    finally:
        await server.close()


async def test_close_ends_every_session():
    server = await start()
    conns, procs = [], []
    for _ in range(3):
        conn = await connect(server)
        proc = await open_app(conn)
        await expect(proc.stdout, b"READY")
        conns.append(conn)
        procs.append(proc)
    await server.close()
    for proc in procs:
        out = await expect(proc.stdout, b"shutting down", timeout=5)
        assert b"\x1b[?1049l" in out
    assert not server.sessions
    assert len(server.stats.ended) == 3
    for conn in conns:
        await asyncio.wait_for(conn.wait_closed(), 5)


async def test_unauthenticated_connections_capped():
    """When full, the oldest connection still logging in is dropped for a new one."""
    server = await start(auth="password", password=b"pw", max_pending=2)
    try:
        readers = []
        for _ in range(2):  # hold two TCP connections that never log in
            readers.append(await asyncio.open_connection("127.0.0.1", server.port))
        await asyncio.sleep(0.2)
        async with connect(server, password="pw") as conn:
            proc = await open_app(conn)
            await expect(proc.stdout, b"READY")
        assert await asyncio.wait_for(readers[0][0].read(), 3) is not None  # dropped
        assert server.stats.dropped_pending == 1
        for _, writer in readers:
            writer.close()
    finally:
        await server.close()


# -- OpenSSH client --------------------------------------------------------

SSH_OPTS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
            "-o", "ConnectTimeout=5", "-F", "/dev/null"]


async def run_ssh(*args: str, timeout: float = 15, env=None) -> tuple[int, str, str]:
    batch = [] if env else ["-o", "BatchMode=yes"]  # env: a password via SSH_ASKPASS
    proc = await asyncio.create_subprocess_exec(
        "ssh", *SSH_OPTS, *batch, *args, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


class Tmux:
    """A private tmux server (its own socket) for driving ``ssh -tt``."""

    def __init__(self, name: str) -> None:
        self.socket = f"rnn-tui-test-{os.getpid()}-{name}"

    async def run(self, *args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            "tmux", "-L", self.socket, *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 10)
        assert proc.returncode == 0, err.decode()
        return out.decode(errors="replace")

    async def screen(self) -> str:
        return await self.run("capture-pane", "-p", "-t", "t")

    async def wait_for(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = await self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on screen:\n{screen}")
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            "tmux", "-L", self.socket, "kill-server",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await proc.wait()


@pytest.mark.skipif(not (HAVE_SSH and HAVE_TMUX), reason="needs ssh and tmux")
async def test_openssh_session_keys_and_resize(tmp_path):
    server = await start()
    tmux = Tmux("session")
    try:
        cmd = " ".join(["ssh", "-tt", *SSH_OPTS, "-o", "BatchMode=yes",
                        "-p", str(server.port), "student@127.0.0.1"])
        await tmux.run("new-session", "-d", "-s", "t", "-x", "80", "-y", "24",
                       f"{cmd}; echo SSH-EXIT=$?; sleep 30")
        screen = await tmux.wait_for("READY")
        assert re.search(r"SIZE=80x2[34]", screen), screen  # tmux may keep a status line
        assert "ANIM=none SERVED=1 CTTY=yes" in screen
        await tmux.run("resize-window", "-t", "t", "-x", "100", "-y", "30")
        await tmux.wait_for("RESIZED=100x")
        await tmux.run("send-keys", "-t", "t", "Right")
        await tmux.wait_for("KEY=1b5b43")
        await tmux.run("send-keys", "-t", "t", "q")
        await tmux.wait_for("SSH-EXIT=3")
        await settle(server)
        assert server.stats.ended == [3]
    finally:
        await tmux.kill()
        await server.close()


@pytest.mark.skipif(not HAVE_SSH, reason="needs ssh")
async def test_openssh_refusals(tmp_path):
    good = asyncssh.generate_private_key("ssh-ed25519")
    unknown = asyncssh.generate_private_key("ssh-ed25519")
    for name, key in (("good", good), ("unknown", unknown)):
        (tmp_path / name).write_bytes(key.export_private_key())
        (tmp_path / name).chmod(0o600)
    keys = asyncssh.import_authorized_keys(good.export_public_key().decode())
    server = await start(auth="keys", authorized_keys=keys)
    dest = ["-p", str(server.port), "student@127.0.0.1"]
    try:
        rc, _, err = await run_ssh("-i", str(tmp_path / "unknown"), "-tt", *dest)
        assert rc == 255 and "Permission denied" in err
        login = ["-i", str(tmp_path / "good"), *dest]
        rc, out, err = await run_ssh(*login, "ls", "/")
        assert rc == 1 and "commands are not allowed" in err and "bin" not in out
        rc, _, err = await run_ssh("-T", *login)
        assert rc == 1 and "use ssh -t" in err
        rc, _, err = await run_ssh("-s", *login, "sftp")
        assert rc != 0 and "subsystem request failed" in err
        rc, _, err = await run_ssh("-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:9",
                                   "-tt", *login)
        assert rc == 255 and "forwarding failed" in err
        assert server.stats.sessions_started == 0  # nothing ran
    finally:
        await server.close()


@pytest.mark.skipif(not HAVE_SSH, reason="needs ssh")
async def test_openssh_password(tmp_path):
    server = await start(auth="password", password=b"sesame")
    dest = ["-p", str(server.port), "-o", "NumberOfPasswordPrompts=1",
            "-o", "PreferredAuthentications=password", "student@127.0.0.1"]
    try:
        for password, expected_rc, expected_err in (("wrong", 255, "Permission denied"),
                                                    ("sesame", 1, "commands are not allowed")):
            askpass = tmp_path / f"askpass-{password}"
            askpass.write_text(f"#!/bin/sh\necho {password}\n")
            askpass.chmod(0o700)
            env = dict(os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force",
                       DISPLAY=":0")
            rc, _, err = await run_ssh(*dest, "true", env=env)
            assert rc == expected_rc and expected_err in err, err
        assert server.stats.auth_failures == 1
    finally:
        await server.close()


@pytest.mark.skipif(not HAVE_SSH, reason="needs ssh")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_rnn_tui_serve_end_to_end(tmp_path, stop):
    """The real command and app: banner with fingerprint, a key press steps the
    stepper, SIGTERM or Ctrl-C ends every session, exit 0."""
    key_path = tmp_path / "host_key"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rnn_tui", "serve", "--no-auth", "--port", "0",
            "--student-nice", "0",  # the suite fills the CPUs: nicer sessions would starve
        "--host-key", str(key_path), "--seed", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        banner = b""
        while b"Stop with Ctrl-C" not in banner:
            line = await asyncio.wait_for(proc.stdout.readline(), 15)
            assert line, (banner, await proc.stderr.read())
            banner += line
        text = banner.decode()
        port = int(re.search(r"ssh -p (\d+) ", text).group(1))
        key = asyncssh.read_private_key(str(key_path))
        assert key.get_fingerprint("sha256") in text
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        async with asyncssh.connect("127.0.0.1", port, known_hosts=None, username="s",
                                    client_keys=None, agent_path=None) as conn:
            assert conn.get_server_host_key().get_fingerprint() == key.get_fingerprint()
            session = await conn.create_process(term_type="xterm-256color",
                                                term_size=(100, 40), encoding=None)
            screen = pyte.Screen(100, 40)
            await expect_on_screen(session.stdout, screen, "t = 0", timeout=30)  # it is up
            session.stdin.write(b"\x1b[C")  # Right: the first sub-step
            await expect_on_screen(session.stdout, screen, "t = 1", timeout=10)
            proc.send_signal(stop)
            rc = await asyncio.wait_for(proc.wait(), 15)
            assert rc == 0
        err = (await proc.stderr.read()).decode()
        assert "warning: --no-auth" in err
        assert "session start" in err and "session end" in err
        assert "stopped" in err
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_login_grace_time():
    server = await start(login_timeout=0.5)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        async with connect(server) as conn:  # logged in, but opens no session
            await asyncio.wait_for(conn.wait_closed(), 3)
        # the silent TCP connection is dropped by the login timeout too
        assert await asyncio.wait_for(reader.read(), 3) is not None
        writer.close()
        await settle(server)
        assert server.pending == 0 and not server.connections
    finally:
        await server.close()


async def test_odd_terminal_sizes_are_clamped():
    server = await start()
    try:
        async with connect(server) as conn:
            proc = await open_app(conn, term_size=(0, 0, 0, 0))
            # the fake app handles SIGWINCH before it prints anything (SIZE=, READY)
            assert b"SIZE=80x24" in await expect(proc.stdout, b"READY")
            proc.change_terminal_size(5000, 3, 99999, 99999)
            await expect(proc.stdout, b"RESIZED=1000x3")
    finally:
        await server.close()
