"""The web door's app processes through its launcher (rnn_tui/serve/weblaunch.py):
textual-serve's AppService runs ``exec python -I -B weblaunch.py SPEC`` (a shell, the
server's environment); the app gets exactly the session's environment, the launcher
says its pid and its exit status."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys

import aiohttp

from rnn_tui.serve import weblaunch
from rnn_tui.serve.sshd import session_env
from rnn_tui.serve.web import WEB_DRIVER, SessionService
from tests.test_ssh import children
from tests.test_web import client, expect, login, start, until, url

#: An app that tells its whole environment, pid, session and cwd; quits when asked.
ENV_APP = r"""
import json, os
def packet(kind, payload):
    os.write(1, kind + len(payload).to_bytes(4, "big") + payload)
os.write(1, b"__GANGLION__\n")
info = {"env": dict(os.environ), "pid": os.getpid(), "sid": os.getsid(0), "cwd": os.getcwd()}
packet(b"D", ("INFO=" + json.dumps(info) + "\n").encode())
packet(b"D", b"READY\r\n")
while True:
    data = os.read(0, 65536)
    if not data or b'"quit"' in data:
        break
"""


def info_in(seen: str) -> dict:
    (line,) = [line for line in seen.splitlines() if line.startswith("INFO=")]
    return json.loads(line[len("INFO="):])


async def test_the_app_gets_exactly_the_session_environment(tmp_path, monkeypatch):
    """Nothing of the server's environment (nor textual-serve's additions) reaches the
    app, though the launcher itself is started in it; the pid the door knows is the
    app's own, a session leader, in its working directory."""
    monkeypatch.setenv("RNN_TUI_SERVER_ONLY", "teachers-token")
    door = await start(tmp_path, command=[sys.executable, "-I", "-c", ENV_APP])
    try:
        async with client() as http:
            await login(http, door)
            async with http.ws_connect(url(door, "/ws?width=100&height=30")) as ws:
                info = info_in(await expect(ws, "READY"))
                (session,) = door.sessions
                workdir = session.workdir
                expected = dict(session_env("xterm-256color", None, workdir),
                                TEXTUAL_DRIVER=WEB_DRIVER, TEXTUAL_FPS="60",
                                TEXTUAL_COLOR_SYSTEM="truecolor", COLORTERM="truecolor",
                                COLUMNS="100", ROWS="30")
                assert info["env"] == expected
                assert info["pid"] == session.pid == info["sid"]
                assert info["cwd"] == workdir
                # the spec and the pid file are gone: the directory is the app's alone
                await until(lambda: os.listdir(workdir) == [])
        await until(lambda: not door.sessions)
        assert door.ended == [0]
    finally:
        await door.close()


async def test_a_killed_app_has_its_status(tmp_path):
    """The app's process group gets SIGTERM, then SIGKILL; the launcher (not in that
    group) outlives it and says how it ended; nothing is left."""
    from tests.test_web import FAKE_APP

    door = await start(tmp_path, command=[sys.executable, "-I", FAKE_APP, "--stubborn"])
    before = {pid for pid, _ in children()}
    try:
        async with client() as http:
            await login(http, door)
            async with http.ws_connect(url(door, "/ws")) as ws:
                await expect(ws, "READY")
        await until(lambda: not door.sessions)
        assert door.ended == [-9]
        assert [p for p, _ in children() if p not in before] == []
        assert os.listdir(tmp_path) == []
    finally:
        await door.close()


async def test_a_command_that_cannot_start_says_so(tmp_path):
    door = await start(tmp_path, command=[str(tmp_path / "no-such-app")])
    before = {pid for pid, _ in children()}
    try:
        async with client() as http:
            await login(http, door)
            async with http.ws_connect(url(door, "/ws")) as ws:
                message = await ws.receive()
                assert message.type == aiohttp.WSMsgType.BINARY
                assert b"could not start the stepper" in message.data
        await until(lambda: not door.sessions)
        assert door.started == 0 and os.listdir(tmp_path) == []
        await until(lambda: [p for p, _ in children() if p not in before] == [])
    finally:
        await door.close()


def test_spec_file_is_private(tmp_path):
    async def noop(*_):
        return None

    service = SessionService(["app"], {"A": "1"}, str(tmp_path), {}, nice=3,
                             write_bytes=noop, write_str=noop, close=noop)
    service.write_spec()
    mode = stat.S_IMODE(os.stat(service.spec_path).st_mode)
    assert mode == 0o600
    assert json.loads(open(service.spec_path).read()) == {
        "argv": ["app"], "env": {"A": "1"}, "cwd": str(tmp_path), "nice": 3, "rlimits": []}
    assert service.command.startswith("exec ") and service.spec_path in service.command


def run_launcher(spec_path: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-S", "-B", weblaunch.__file__, spec_path],
                          capture_output=True, text=True, timeout=20, env=env)


def test_launcher_alone(tmp_path):
    """The launcher by itself: the spec deleted, the app's output its own, the pid
    and the exit status written, limits applied."""
    import resource

    spec = tmp_path / weblaunch.SPEC_NAME
    code = ("import os, resource, sys; print(sorted(os.environ.items()), os.getcwd(), "
            "resource.getrlimit(resource.RLIMIT_NOFILE)); "
            "print(os.getpriority(os.PRIO_PROCESS, 0), os.getsid(0) == os.getpid()); "
            "print(open('/proc/self/autogroup').read().split()[-1] "
            "if os.path.exists('/proc/self/autogroup') else '-'); sys.exit(7)")
    spec.write_text(json.dumps({
        "argv": [sys.executable, "-I", "-c", code], "env": {"ONLY": "this", "LANG": "C.UTF-8"},
        "cwd": str(tmp_path), "nice": 5,
        "rlimits": [[resource.RLIMIT_NOFILE, 64, 64]]}))
    done = run_launcher(str(spec), env=dict(os.environ, COLUMNS="90", ROWS="20"))
    assert done.returncode == 0, done.stderr
    first, second, third = done.stdout.splitlines()
    assert first == (f"[('COLUMNS', '90'), ('LANG', 'C.UTF-8'), ('ONLY', 'this'), "
                     f"('ROWS', '20')] {tmp_path} (64, 64)")
    # its own process session, 5 nicer than this one, and its session's autogroup too
    assert second == f"{min(19, os.getpriority(os.PRIO_PROCESS, 0) + 5)} True"
    assert third in ("5", "-")
    assert not spec.exists()
    said = json.loads((tmp_path / weblaunch.PID_NAME).read_text())
    assert set(said) == {"pid", "launcher"}
    assert (tmp_path / weblaunch.STATUS_NAME).read_text() == "7"
    for name in (weblaunch.PID_NAME, weblaunch.STATUS_NAME):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600


def test_launcher_bad_spec_is_one_line(tmp_path):
    spec = tmp_path / weblaunch.SPEC_NAME
    for text in ("not json", json.dumps({"argv": [], "env": {}, "cwd": "/"}),
                 json.dumps({"argv": ["x"], "env": {"A": 1}, "cwd": "/"})):
        spec.write_text(text)
        done = run_launcher(str(spec))
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "bad spec file" in done.stderr
        assert "error" in json.loads((tmp_path / weblaunch.PID_NAME).read_text())
        assert not spec.exists()
    done = run_launcher(str(tmp_path / "missing.json"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1


async def test_start_timeout_is_bounded(tmp_path, monkeypatch):
    """A launcher that never says its pid: the start fails after START_TIMEOUT, and
    the app it may have started ends (its stdin closed)."""
    import rnn_tui.serve.web as web

    monkeypatch.setattr(web, "START_TIMEOUT", 0.3)
    monkeypatch.setattr(weblaunch, "PID_NAME", ".never-written")
    door = await start(tmp_path)
    before = {pid for pid, _ in children()}
    try:
        async with client() as http:
            await login(http, door)
            async with http.ws_connect(url(door, "/ws")) as ws:
                seen = await expect(ws, "could not start", timeout=10)
                assert "could not start" in seen
        await until(lambda: not door.sessions)
        assert door.started == 0
        await until(lambda: [p for p, _ in children() if p not in before] == [], timeout=10)
    finally:
        await door.close()
    await asyncio.sleep(0)
