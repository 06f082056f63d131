"""Sessions forked from the warm process (issue 17): rnn_tui/serve/warm.py.

Most tests run the server in the test's event loop with a probe script as the
session command (written to a temporary directory: it reports what a session
sees, echoes keys, prints its size on SIGWINCH and exits 3 on ``q``), forked
from a warm process; the fd test runs the real app, forked; the end-to-end test
the real ``rnn-tui serve``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyte
import pytest

from rnn_tui.serve.ptyproc import PtyProcess
from rnn_tui.serve.sshd import ClassServer, app_command, session_env
from rnn_tui.serve.warm import SESSION_PY, WarmProcess, warm_command
from tests.test_ssh import (
    HAVE_SSH,
    HAVE_TMUX,
    SSH_OPTS,
    Tmux,
    connect,
    expect,
    expect_on_screen,
    open_app,
    settle,
    start,
)

ROOT = Path(__file__).resolve().parent.parent

PROBE = r'''
import json, os, random, signal, sys, tty

def out(text):
    os.write(1, (text + "\r\n").encode())

def size():
    cols, rows = os.get_terminal_size(0)
    return f"{cols}x{rows}"

if "--stubborn" in sys.argv:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGWINCH, lambda *_: out(f"RESIZED={size()}"))
try:
    os.close(os.open("/dev/tty", os.O_RDWR))
    ctty = True
except OSError:
    ctty = False
fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
numpy = sys.modules.get("numpy")
umask = os.umask(0o077)
info = {
    "fds": fds, "ctty": ctty, "size": size(), "pid": os.getpid(), "pgid": os.getpgid(0),
    "sid": os.getsid(0), "env": dict(os.environ), "cwd": os.getcwd(), "umask": umask,
    "random": random.random(), "np": None if numpy is None else numpy.random.random(),
    "sigint": getattr(signal.getsignal(signal.SIGINT), "__name__", "?"),
    "sigpipe": str(signal.getsignal(signal.SIGPIPE)),
    "sigchld": str(signal.getsignal(signal.SIGCHLD)),
    "argv": sys.argv, "stdout_tty": sys.stdout.isatty(),
    "line_buffering": sys.stdout.line_buffering,
}
out("PROBE " + json.dumps(info))
tty.setraw(0)
out("READY")
while True:
    data = os.read(0, 1024)
    if not data:
        sys.exit(0)
    if b"q" in data:
        out("BYE")
        sys.exit(3)
    out(f"KEY={data.hex()}")
'''

#: A warm process with NumPy imported and every global random state seeded the same:
#: each forked session must still draw its own numbers.
SEEDED_WARM = f'''
import sys
sys.path.insert(0, {str(ROOT)!r})
import random
import numpy
random.seed(0)
numpy.random.seed(0)
from rnn_tui.serve import warm
sys.exit(warm.main(sys.argv[1:]))
'''


@pytest.fixture
def probe(tmp_path) -> str:
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    return str(path)


def probe_info(out: bytes) -> dict:
    match = re.search(rb"PROBE (\{.*?\})\r", out)
    assert match, out
    return json.loads(match.group(1))


async def warm_server(command, **overrides) -> ClassServer:
    server = await start(command=command, warm=True, **overrides)
    assert server.warm is not None
    assert await server.warm.wait_ready(20)
    return server


def the_session(server: ClassServer):
    (session,) = server.sessions
    assert session.proc is not None
    return session


def ppid_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if ppid_of(int(entry)) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


# -- the command ----------------------------------------------------------------


def test_warm_command(probe):
    app = app_command(["--seed", "3"])
    assert warm_command(app) == [*app[:5], SESSION_PY, "--warm", *app[5:]]
    assert warm_command([sys.executable, probe, "--x"]) == [
        sys.executable, SESSION_PY, "--warm", probe, "--x"]
    # anything it can't stand in for: another interpreter, -c/-m, no script
    for command in ([], ["/bin/sh", probe], [sys.executable, "-c", "pass"],
                    [sys.executable, "-m", "rnn_tui"], [sys.executable, "-I"],
                    [sys.executable, "/nonexistent/x.py"]):
        assert warm_command(command) is None, command


def test_local_start_does_not_load_the_warm_process():
    code = ("import sys; from rnn_tui.cli import main; main.main(['--text']); "
            "print('WARM' if 'rnn_tui.serve.warm' in sys.modules else 'COLD')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30, cwd=ROOT)
    assert out.stdout.strip().endswith("COLD"), out


# -- a forked session, over SSH ---------------------------------------------------


async def test_forked_session_sees_what_a_spawned_one_sees(probe):
    server = await warm_server([sys.executable, probe])
    try:
        infos = {}
        for mode in ("forked", "spawned"):
            if mode == "spawned":
                server.warm.ready = False  # as while it is (re)starting
            async with connect(server) as conn:
                proc = await open_app(conn, env={"COLORTERM": "truecolor", "LANG": "ko_KR.UTF-8"})
                out = await expect(proc.stdout, b"READY")
                session = the_session(server)
                assert session.proc.forked == (mode == "forked")
                info = infos[mode] = probe_info(out)
                env = session_env("xterm-256color", {
                    "COLORTERM": "truecolor", "LANG": "ko_KR.UTF-8"}, session.workdir)
                # (a new interpreter adds LC_CTYPE if ko_KR is not installed: PEP 538)
                assert {k: v for k, v in info["env"].items() if k != "LC_CTYPE"} == env
                info["env"].update(HOME="~", TMPDIR="~")
                proc.stdin.write(b"a")
                await expect(proc.stdout, b"KEY=61")
                proc.change_terminal_size(100, 30)
                await expect(proc.stdout, b"RESIZED=100x30")
                proc.stdin.write(b"q")
                result = await asyncio.wait_for(proc.wait(), 5)
                assert result.exit_status == 3
            await settle(server)
        server.warm.ready = True
        forked, spawned = infos["forked"], infos["spawned"]
        assert forked["pid"] == forked["pgid"] == forked["sid"]  # a session leader
        assert forked["ctty"] and forked["size"] == "80x24"
        for key in ("env", "ctty", "size", "umask", "cwd", "sigint", "sigpipe", "sigchld",
                    "argv", "stdout_tty", "line_buffering"):
            assert forked[key] == spawned[key], key
        # 3: the probe's own listing of /proc/self/fd. (A spawned session also has
        # whatever the server left inheritable: posix_spawn closes only close-on-exec fds.)
        assert forked["fds"] == [0, 1, 2, 3]
        assert set(spawned["fds"]) >= {0, 1, 2, 3}
        assert forked["sigint"] == "default_int_handler"
        assert server.stats.ended == [3, 3]
        assert server.warm.spawned == 1
    finally:
        await server.close()


async def test_exit_codes_and_kill_of_the_process_group(probe):
    server = await warm_server([sys.executable, probe, "--stubborn"], kill_grace=0.3)
    try:
        conn = await connect(server)
        proc = await open_app(conn)
        await expect(proc.stdout, b"READY")
        session = the_session(server)
        assert session.proc.forked
        pid = session.proc.pid
        conn.abort()  # SIGHUP, SIGTERM ignored: SIGKILL to its group after the grace
        await settle(server)
        assert server.stats.ended == [128 + signal.SIGKILL]
        assert not alive(pid)
        assert children_of(server.warm.pid) == []
    finally:
        await server.close()


async def test_random_state_differs_between_sessions(probe):
    """Forked from a process whose random and NumPy states were seeded alike."""
    helper = Path(probe).with_name("seeded_warm.py")
    helper.write_text(SEEDED_WARM)
    warm = WarmProcess([sys.executable, str(helper), probe])
    warm.start()
    try:
        assert await warm.wait_ready(20)
        outputs: list[bytearray] = []
        procs = []
        for _ in range(2):
            buf = bytearray()
            outputs.append(buf)
            proc = PtyProcess([sys.executable, probe], session_env("xterm", None, "/tmp"),
                              on_output=buf.extend, on_exit=lambda code: None, warm=warm)
            proc.start()
            assert proc.forked
            procs.append(proc)
        for buf in outputs:
            await wait_until(lambda buf=buf: b"READY" in buf)
        a, b = (probe_info(bytes(buf)) for buf in outputs)
        assert a["np"] is not None and a["np"] != b["np"]
        assert a["random"] != b["random"]
        for proc in procs:
            proc.write(b"q")
        codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), 5)
        assert codes == [3, 3]
    finally:
        await warm.close()
    assert warm.pid is None


async def test_real_app_forked_holds_no_fd_it_should_not():
    """The real app, forked: fds 0-2 on its own pty, and nothing of the server's,
    the warm process's or the other session's (compared by what they point at)."""
    server = await warm_server(app_command(["--seed", "1"]))
    try:
        async with connect(server) as c1, connect(server) as c2:
            pids = []
            for conn in (c1, c2):
                proc = await open_app(conn, term_size=(80, 24))
                screen = pyte.Screen(80, 24)
                await expect_on_screen(proc.stdout, screen, "t = 0", timeout=20)
                # (that may be the first frame drawn ahead, before the app runs:
                # test_warm_frame.py) the app's own answer to a key
                proc.stdin.write(b"\x1b[C")
                await expect_on_screen(proc.stdout, screen, "t = 1", timeout=20)
                pids.append(max(s.proc.pid for s in server.sessions))
            assert all(s.proc.forked for s in server.sessions)

            def targets(pid) -> dict[int, str]:
                out = {}
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    try:
                        out[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
                    except OSError:
                        pass
                return out

            # (anon_inode:[eventpoll] names a kind, not one object: left out)
            ours = set(targets(os.getpid()).values())  # the server: listening socket, ptys
            warm = set(targets(server.warm.pid).values())
            seen = [targets(pid) for pid in pids]
            for pid, fds in zip(pids, seen, strict=True):
                assert ppid_of(pid) == server.warm.pid
                workdir = next(s.workdir for s in server.sessions if s.proc.pid == pid)
                assert os.readlink(f"/proc/{pid}/cwd") == workdir
                with open(f"/proc/{pid}/status") as f:
                    assert "Umask:\t0077\n" in f.read()
                tty = fds[0]
                assert tty.startswith("/dev/pts/") and fds[1] == fds[2] == tty
                others = {t for fd, t in fds.items() if fd > 2 and not t.startswith("anon_inode:")}
                assert not others & (ours | warm), (others, ours, warm)
                assert not any(t.startswith("/dev/") for t in others), fds
                assert len(fds) <= 8, fds  # the app's own: its event loop's epoll and pipe
            assert seen[0][0] != seen[1][0]
            with open(f"/proc/{server.warm.pid}/status") as f:
                assert "Threads:\t1\n" in f.read()
    finally:
        await server.close()


async def test_warm_process_killed_sessions_go_on_and_it_comes_back(probe):
    server = await warm_server([sys.executable, probe])
    server.warm.first_restart_delay = 1.0
    first = server.warm.pid
    try:
        async with connect(server) as c1:
            p1 = await open_app(c1)
            await expect(p1.stdout, b"READY")
            s1 = the_session(server)
            assert s1.proc.forked
            server.warm.kill()
            await wait_until(lambda: not server.warm.ready and server.warm.pid is None)
            async with connect(server) as c2:  # meanwhile: the old way
                p2 = await open_app(c2)
                await expect(p2.stdout, b"READY")
                s2 = next(s for s in server.sessions if s is not s1)
                assert not s2.proc.forked
                p2.stdin.write(b"q")
                assert (await asyncio.wait_for(p2.wait(), 5)).exit_status == 3
            p1.stdin.write(b"a")  # the orphaned session goes on
            await expect(p1.stdout, b"KEY=61")
            p1.stdin.write(b"q")
            result = await asyncio.wait_for(p1.wait(), 5)
            # its parent is gone: the status is read while it is a zombie, if it still is
            assert result.exit_status in (3, 255)
        assert await server.warm.wait_ready(20)
        assert server.warm.pid != first and server.warm.starts == 2
        async with connect(server) as c3:
            p3 = await open_app(c3)
            await expect(p3.stdout, b"READY")
            assert the_session(server).proc.forked
            assert ppid_of(the_session(server).proc.pid) == server.warm.pid
    finally:
        await server.close()


async def test_a_stuck_warm_process_is_replaced(probe):
    """It gets the pty but never answers: the session starts the old way on
    another pty, and the stuck process is killed and replaced."""
    server = await warm_server([sys.executable, probe])
    server.warm.spawn_timeout = 0.3
    stuck = server.warm.pid
    os.kill(stuck, signal.SIGSTOP)
    try:
        async with connect(server) as conn:
            proc = await open_app(conn)
            out = await expect(proc.stdout, b"READY")
            assert not the_session(server).proc.forked
            assert probe_info(out)["ctty"]
            proc.stdin.write(b"q")
            assert (await asyncio.wait_for(proc.wait(), 5)).exit_status == 3
        assert await server.warm.wait_ready(20)
        assert server.warm.pid != stuck and not alive(stuck)
    finally:
        await server.close()


async def test_fd_numbers_above_1024(probe):
    """A big class: the server's fds (a restarted warm process's socket, each
    session's pidfd) go past select()'s 1024; poll is used."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1300:
        pytest.skip("can't open 1300 files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1300), hard))
    filler = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    server = await warm_server([sys.executable, probe, "--stubborn"], kill_grace=0.3)
    try:
        server.warm.kill()  # its successor's socket gets a high number
        await wait_until(lambda: server.warm.starts == 2)
        assert await server.warm.wait_ready(20)
        conn = await connect(server)
        proc = await open_app(conn)
        await expect(proc.stdout, b"READY")
        session = the_session(server)
        assert session.proc.forked and session.proc._pidfd > 1024
        conn.abort()  # terminate: checks the pidfd before signalling the group
        await settle(server)
        assert server.stats.ended == [128 + signal.SIGKILL]
    finally:
        await server.close()
        for fd in filler:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_a_warm_process_that_never_comes_up_is_retried_ever_more_slowly():
    warm = WarmProcess([sys.executable, "-c", "import sys; sys.exit(1)"],
                       restart_delay=0.05, max_restart_delay=0.2)
    warm.start()
    try:
        await asyncio.sleep(1.0)  # dies at 0, then restarts after 0.05, 0.1, 0.2, 0.2, ...
        assert 2 <= warm.starts <= 7, warm.starts  # not a busy loop
        assert not warm.ready
        assert warm.spawn(0, {}, {}, lambda status: None) is None  # sessions: the old way
    finally:
        await warm.close()
    assert warm.pid is None


async def test_close_ends_sessions_and_the_warm_process(probe):
    server = await warm_server([sys.executable, probe])
    warm_pid = server.warm.pid
    conns, procs = [], []
    for _ in range(2):
        conn = await connect(server)
        proc = await open_app(conn)
        await expect(proc.stdout, b"READY")
        conns.append(conn)
        procs.append(proc)
    pids = [s.proc.pid for s in server.sessions]
    await server.close()
    for proc in procs:
        await expect(proc.stdout, b"shutting down", timeout=5)
    assert not server.sessions and len(server.stats.ended) == 2
    assert server.warm.pid is None and not alive(warm_pid)
    assert not any(alive(pid) for pid in pids)
    assert warm_pid not in children_of(os.getpid())  # reaped
    for conn in conns:
        await asyncio.wait_for(conn.wait_closed(), 5)


@pytest.mark.parametrize("cycles", [10, pytest.param(100, marks=pytest.mark.slow)])
async def test_no_leftover_processes_after_many_cycles(probe, cycles):
    server = await warm_server([sys.executable, probe])
    mine = set(children_of(os.getpid()))

    async def cycle(i: int) -> None:
        conn = await connect(server)
        proc = await open_app(conn)
        await expect(proc.stdout, b"READY")
        if i % 3 == 0:
            conn.abort()
        elif i % 3 == 1:
            conn.close()
            await conn.wait_closed()
        else:
            proc.stdin.write(b"q")
            await proc.wait()
            conn.close()

    try:
        for batch in range(cycles // 10):  # 10 at once: the three ways out, mixed
            await asyncio.gather(*(cycle(batch * 10 + i) for i in range(10)))
        await settle(server, timeout=10)
        assert server.stats.sessions_started == cycles and server.warm.spawned == cycles
        assert len(server.stats.ended) == cycles
        assert children_of(server.warm.pid) == []
        assert set(children_of(os.getpid())) == mine
    finally:
        await server.close()


# -- OpenSSH -------------------------------------------------------------------------


@pytest.mark.skipif(not (HAVE_SSH and HAVE_TMUX), reason="needs ssh and tmux")
async def test_openssh_forked_session_keys_resize_exit(probe):
    server = await warm_server([sys.executable, probe])
    tmux = Tmux("warm")
    try:
        cmd = " ".join(["ssh", "-tt", *SSH_OPTS, "-o", "BatchMode=yes",
                        "-p", str(server.port), "student@127.0.0.1"])
        await tmux.run("new-session", "-d", "-s", "t", "-x", "80", "-y", "24",
                       f"{cmd}; echo SSH-EXIT=$?; sleep 30")
        screen = await tmux.wait_for("READY")
        assert the_session(server).proc.forked
        assert '"ctty": true' in screen.replace("\n", "")
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
async def test_rnn_tui_serve_forks_and_sigterm_ends_all(tmp_path):
    """The real command: sessions are children of its warm process; SIGTERM ends
    the sessions and the warm process, exit 0."""
    import asyncssh

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rnn_tui", "serve", "--no-auth", "--port", "0",
            "--student-nice", "0",  # the suite fills the CPUs: nicer sessions would starve
        "--host-key", str(tmp_path / "host_key"), "--seed", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        banner = b""
        while b"Stop with Ctrl-C" not in banner:
            line = await asyncio.wait_for(proc.stdout.readline(), 15)
            assert line, await proc.stderr.read()
            banner += line
        port = int(re.search(rb"ssh -p (\d+) ", banner).group(1))
        log = b""
        while not re.search(rb"warm process \d+ ready", log):  # its warm process, up
            line = await asyncio.wait_for(proc.stderr.readline(), 15)
            assert line, log
            log += line
        warm = [pid for pid in children_of(proc.pid)
                if b"--warm" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(warm) == 1
        async with asyncssh.connect("127.0.0.1", port, known_hosts=None, username="s",
                                    client_keys=None, agent_path=None) as conn:
            session = await conn.create_process(term_type="xterm-256color",
                                                term_size=(80, 24), encoding=None)
            screen = pyte.Screen(80, 24)
            await expect_on_screen(session.stdout, screen, "t = 0", timeout=30)
            (app,) = children_of(warm[0]) or [None]
            session.stdin.write(b"\x1b[C")
            await expect_on_screen(session.stdout, screen, "t = 1", timeout=10)
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 15) == 0
        err = (log + await proc.stderr.read()).decode()
        assert app is not None, err  # the session was forked from the warm process
        assert not alive(warm[0]) and not alive(app)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
