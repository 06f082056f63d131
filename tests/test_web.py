"""``rnn-tui web`` (and ``serve --web-port``): the stepper in a browser.

Two kinds of tests:

- the web door in the test's event loop, driven by aiohttp's client (a login
  form, the websocket), with tests/web_fake_app.py as the session command
  (fast to start; it reports what it sees): login, cookie, limits, input;
- a real headless browser (Debian's chromium through selenium and
  /usr/bin/chromedriver) on the real app, with the door in a thread of its
  own: it logs in, presses keys and reads what xterm.js holds (its buffer,
  through page JavaScript), checked against a NumPy run of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp
import pytest

from rnn_tui.serve.sshd import app_command
from rnn_tui.serve.web import CookieSigner, WebConfig, WebDoor
from tests.test_class_ssh import SEED, h1_row, y_text
from tests.test_ssh import children

FAKE_APP = str(Path(__file__).with_name("web_fake_app.py"))
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def fake_config(tmp_path=None, *args: str, **overrides) -> WebConfig:
    config = WebConfig(command=[sys.executable, "-I", FAKE_APP, *args], port=0,
                       password=b"open sesame", kill_grace=0.5, auth_fail_delay=0.05,
                       session_root=str(tmp_path) if tmp_path else None)
    for name, value in overrides.items():
        setattr(config, name, value)
    return config


async def start(tmp_path=None, *args: str, hub=None, **overrides) -> WebDoor:
    door = WebDoor(fake_config(tmp_path, *args, **overrides), hub=hub)
    await door.start()
    return door


def url(door: WebDoor, path: str = "/") -> str:
    return f"http://127.0.0.1:{door.port}{path}"


def client() -> aiohttp.ClientSession:
    # cookies for an IP address are kept only by an "unsafe" jar
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def login(http: aiohttp.ClientSession, door: WebDoor, password: str = "open sesame",
                **fields: str) -> aiohttp.ClientResponse:
    async with http.post(url(door, "/login"), data={"password": password, **fields},
                         allow_redirects=False) as response:
        await response.read()
        return response


async def expect(ws, text: str, timeout: float = 10.0) -> str:
    """What the websocket brought until ``text`` was in it."""
    seen = ""

    async def read() -> str:
        nonlocal seen
        while text not in seen:
            message = await ws.receive()
            if message.type == aiohttp.WSMsgType.BINARY:
                seen += message.data.decode(errors="replace")
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                  aiohttp.WSMsgType.CLOSING):
                raise AssertionError(f"closed before {text!r}: {seen!r}")
        return seen

    return await asyncio.wait_for(read(), timeout)


async def until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def stdin(text: str) -> str:
    return json.dumps(["stdin", text])


# -- login, cookie, and no process before them -----------------------------------------


async def test_wrong_password_starts_no_process(tmp_path):
    door = await start(tmp_path)
    before = children()
    try:
        async with client() as http:
            async with http.get(url(door)) as page:
                text = await page.text()
            assert page.status == 200 and 'type="password"' in text and "data-session" not in text
            response = await login(http, door, "open sesam")
            assert response.status == 403
            assert door.cookie not in http.cookie_jar.filter_cookies(url(door))
            for headers in ({}, {"Cookie": f"{door.cookie}=forged.value"}):
                async with http.get(url(door, "/ws"), headers=headers) as refused:
                    assert refused.status == 403
        assert door.started == 0 and not door.sessions
        assert children() == before
        assert os.listdir(tmp_path) == []
    finally:
        await door.close()


async def test_login_cookie_and_app_page(tmp_path):
    door = await start(tmp_path)
    try:
        async with client() as http:
            response = await login(http, door)
            assert response.status == 303
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            async with http.get(url(door)) as page:
                text = await page.text()
            # the app page: textual-serve's client, nothing from another host
            assert "data-session-websocket-url" in text and "/static/js/textual.js" in text
            assert not re.search(r"(src|href)=\"https?:", text), text
            assert "googleapis" not in text
            assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
            # behind a TLS proxy that says so, the page's websocket is wss
            async with http.get(url(door), headers={"X-Forwarded-Proto": "https"}) as page:
                assert f'"wss://127.0.0.1:{door.port}/ws"' in await page.text()
            # a websocket from another site's page is refused, even with the cookie
            async with http.get(url(door, "/ws"),
                                headers={"Origin": "http://evil.example"}) as refused:
                assert refused.status == 403
            async with http.ws_connect(url(door, "/ws?width=90&height=27")) as ws:
                seen = await expect(ws, "READY")
            assert "SIZE=90x27" in seen
        assert door.started == 1
    finally:
        await door.close()


async def test_pages_speak_the_browsers_language_or_lang(tmp_path):
    door = await start(tmp_path, ask_name=True)
    ko = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}
    try:
        async with client() as http:
            async with http.get(url(door), headers=ko) as page:
                text = await page.text()
            assert '<html lang="ko">' in text and "수업 비밀번호" in text and "이름" in text
            async with http.post(url(door, "/login"), headers=ko,
                                 data={"password": "x", "name": "민지"}) as page:
                assert "비밀번호가 틀렸습니다." in await page.text()
            door.config.lang = "en"  # --lang en: English whatever the browser says
            async with http.get(url(door), headers=ko) as page:
                assert "Class password" in await page.text()
    finally:
        await door.close()


def test_cookie_is_signed_and_expires():
    signer = CookieSigner()
    good = signer.make("ann", 60)
    assert signer.check(good)["n"] == "ann"
    body, mac = good.split(".")
    other = CookieSigner().make("ann", 60)
    for bad in (other, body + "." + mac[:-2] + "AA", body[:-2] + "xx." + mac, "", "x" * 600,
                good + ".x", signer.make("ann", -5)):
        assert signer.check(bad) is None, bad


async def test_failed_logins_are_slowed_and_locked_out(tmp_path):
    door = await start(tmp_path, auth_fail_delay=0.2, auth_burst=3, auth_rate=0.01,
                       auth_lockout=30.0)
    try:
        async with client() as http:
            t0 = time.monotonic()
            assert (await login(http, door, "nope")).status == 403
            assert time.monotonic() - t0 >= 0.2  # slowed down
            assert (await login(http, door, "nope")).status == 403
            assert (await login(http, door, "nope")).status == 403
            # locked out: even the right password is not checked now
            t0 = time.monotonic()
            assert (await login(http, door)).status == 429
            assert (await login(http, door)).status == 429
            assert time.monotonic() - t0 < 0.2
        assert door.started == 0
    finally:
        await door.close()


async def test_no_auth_without_a_class_goes_straight_in(tmp_path):
    door = await start(tmp_path, password=None)
    try:
        async with client() as http:
            async with http.get(url(door)) as page:
                assert "data-session-websocket-url" in await page.text()
            async with http.ws_connect(url(door, "/ws")) as ws:
                await expect(ws, "READY")
    finally:
        await door.close()


async def test_only_the_package_static_files(tmp_path):
    door = await start(tmp_path)
    try:
        async with client() as http:
            for path in ("/static/js/textual.js", "/static/css/xterm.css",
                         "/static/fonts/RobotoMono-VariableFont_wght.ttf"):
                async with http.get(url(door, path)) as r:
                    assert r.status == 200, path
                    assert len(await r.read()) > 1000
            for path in ("/static/", "/static/../server.py", "/static/%2e%2e/server.py",
                         "/static/templates/app_index.html", "/download/x"):
                async with http.get(url(door, path)) as r:
                    assert r.status == 404, path
    finally:
        await door.close()


# -- the session process ---------------------------------------------------------------


async def test_http_connections_are_capped(tmp_path):
    door = await start(tmp_path, max_connections=3)
    try:
        held = [await asyncio.open_connection("127.0.0.1", door.port) for _ in range(8)]
        closed = 0
        for reader, _ in held:
            try:
                closed += await asyncio.wait_for(reader.read(1), 0.5) == b""
            except (asyncio.TimeoutError, ConnectionResetError):
                closed += isinstance(reader.exception(), ConnectionResetError)
        assert closed == 5 and door.refused_connections == 5
        for _, writer in held:
            writer.close()
        await until(lambda: not door._runner.server.connections)  # noqa: SLF001
        async with client() as http, http.get(url(door)) as page:  # room again
            assert page.status == 200
    finally:
        await door.close()


async def test_session_environment_limits_and_workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_TUI_TEST_SECRET", "teachers-token")
    door = await start(tmp_path)
    try:
        async with client() as http:
            await login(http, door)
            async with http.ws_connect(url(door, "/ws"),
                                       headers={"Accept-Language": "ko-KR,ko;q=0.9"}) as ws:
                seen = await expect(ws, "READY")
                (workdir,) = [str(p) for p in tmp_path.iterdir()]
                assert "SERVED=1 DRIVER=rnn_tui.serve.webdriver:SessionWebDriver" in seen
                assert f"HOME={workdir} CWD={workdir}" in seen
                assert f"AS={2 * 1024**3}" in seen and "SID=True" in seen
                assert "SECRET=-" in seen  # nothing of the server's environment
                assert "LANG=ko_KR.UTF-8" in seen  # the browser's language
        await until(lambda: not door.sessions)
        assert os.listdir(tmp_path) == []  # the working directory is gone
        assert door.ended == [0]  # asked to quit, it quit
    finally:
        await door.close()


async def test_what_the_browser_sends_is_checked(tmp_path):
    door = await start(tmp_path)
    try:
        async with client() as http:
            await login(http, door)
            async with http.ws_connect(url(door, "/ws")) as ws:
                await expect(ws, "READY")
                for junk in ("not json", "{}", "[]", "[1, 2]", '["stdin", 5]',
                             '["resize", "big"]', '["ping", "' + "x" * 100 + '"]',
                             '["download", "x"]'):
                    await ws.send_str(junk)
                await ws.send_bytes(b"\x00binary")
                await ws.send_str(json.dumps(["resize", {"width": 10**9, "height": -3}]))
                await expect(ws, "RESIZED=1000x24")  # clamped
                # bracketed-paste markers are taken out: a paste is ordinary keys
                await ws.send_str(stdin("\x1b[200~ab\x1b[201~"))
                await expect(ws, "KEY=6162")
                await ws.send_str(stdin("한"))
                await expect(ws, "KEY=" + "한".encode().hex())
                await ws.send_str(json.dumps(["ping", "123"]))
                pong = await ws.receive()
                assert pong.type == aiohttp.WSMsgType.TEXT and json.loads(pong.data) == [
                    "pong", "123"]
            async with http.ws_connect(url(door, "/ws")) as ws:
                await expect(ws, "READY")
                # a message over 64 kB closes the socket (and ends the session)
                await ws.send_str(stdin("x" * 70_000))
                with pytest.raises(AssertionError, match="closed before"):
                    await expect(ws, "never")
        await until(lambda: not door.sessions)
    finally:
        await door.close()


async def test_app_quits_and_the_tab_is_told(tmp_path):
    door = await start(tmp_path)
    try:
        async with client() as http:
            await login(http, door)
            async with http.ws_connect(url(door, "/ws")) as ws:
                await expect(ws, "READY")
                await ws.send_str(stdin("q"))
                message = await asyncio.wait_for(ws.receive(), 5)
                assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await until(lambda: door.ended == [3])
    finally:
        await door.close()


async def test_an_app_that_dies_closes_the_tab(tmp_path):
    door = await start(tmp_path, "--crash")
    try:
        async with client() as http:
            await login(http, door)
            async with http.ws_connect(url(door, "/ws")) as ws:
                with pytest.raises(AssertionError, match=r"stepper stopped \(status 5\)"):
                    await expect(ws, "READY")
        await until(lambda: door.ended == [5] and not door.sessions)
        assert os.listdir(tmp_path) == []
    finally:
        await door.close()


async def test_class_full(tmp_path):
    door = await start(tmp_path, max_sessions=2)
    try:
        async with client() as http:
            await login(http, door)
            a = await http.ws_connect(url(door, "/ws"))
            b = await http.ws_connect(url(door, "/ws"))
            await expect(a, "READY")
            await expect(b, "READY")
            c = await http.ws_connect(url(door, "/ws"))
            with pytest.raises(AssertionError, match="class is full"):
                await expect(c, "READY")
            assert door.started == 2
            for ws in (a, b, c):
                await ws.close()
        await until(lambda: not door.sessions)
    finally:
        await door.close()


async def test_idle_timeout(tmp_path):
    # 2 s (not 0.6): under the full suite's load an app can take over 1 s to say READY,
    # and a 0.3 s sleep can take more than 0.6 (the same race as test_ssh.py's)
    door = await start(tmp_path, idle_timeout=2.0)
    try:
        async with client() as http:
            await login(http, door)
            async with http.ws_connect(url(door, "/ws")) as ws:
                await expect(ws, "READY")
                t0 = time.monotonic()
                for _ in range(3):  # key presses keep it open; resizes don't
                    await asyncio.sleep(0.5)
                    await ws.send_str(stdin("k"))
                    await ws.send_str(json.dumps(["resize", {"width": 81, "height": 25}]))
                with pytest.raises(AssertionError, match="without a key press"):
                    await expect(ws, "never", timeout=8)
                assert time.monotonic() - t0 >= 1.5 + 2.0 - 0.1
        await until(lambda: not door.sessions)
    finally:
        await door.close()


async def test_stubborn_app_is_killed_and_close_ends_everything(tmp_path):
    door = await start(tmp_path, "--stubborn")
    before = {pid for pid, _ in children()}
    async with client() as http:
        await login(http, door)
        sockets = [await http.ws_connect(url(door, "/ws")) for _ in range(3)]
        for ws in sockets:
            await expect(ws, "READY")
        t0 = time.monotonic()
        await door.close()
        assert time.monotonic() - t0 < 5
        for ws in sockets:
            with pytest.raises(AssertionError, match="shutting down"):
                await expect(ws, "never")
    assert len(door.ended) == 3 and all(code != 0 for code in door.ended)
    # asyncio's child watcher reaps the launchers in a thread of its own: a moment on a
    # loaded machine
    deadline = time.monotonic() + 5
    while [p for p, _ in children() if p not in before] and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert [p for p, _ in children() if p not in before] == []
    assert os.listdir(tmp_path) == []


@pytest.mark.slow  # 100 cycles, 5-6 s: CI's slow set
async def test_no_leftover_processes_after_100_cycles(tmp_path):
    door = await start(tmp_path)
    before = {pid for pid, _ in children()}
    t0 = time.monotonic()

    async def cycle(http: aiohttp.ClientSession, i: int) -> None:
        ws = await http.ws_connect(url(door, "/ws"))
        await expect(ws, "READY")
        if i % 2:
            ws._response.connection.transport.abort()  # noqa: SLF001 - the tab vanishes
        else:
            await ws.close()

    try:
        async with client() as http:
            await login(http, door)
            for batch in range(10):
                await asyncio.gather(*(cycle(http, batch * 10 + i) for i in range(10)))
        await until(lambda: len(door.ended) == 100 and not door.sessions, timeout=20)
        assert door.started == 100
        assert [p for p, _ in children() if p not in before] == []
        assert os.listdir(tmp_path) == []
    finally:
        await door.close()
    print(f"100 web open/close cycles: {time.monotonic() - t0:.1f} s")


# -- serve --web-port: one class, two doors --------------------------------------------


async def test_serve_web_port_counts_both_doors(tmp_path):
    from rnn_tui.cli import serve
    from rnn_tui.serve.sshd import ClassServer, ServeConfig
    from tests.test_ssh import host_key

    config = ServeConfig(host_keys=[host_key()], command=[sys.executable, "-I", FAKE_APP],
                         port=0, auth="password", password=b"open sesame", max_sessions=1,
                         teacher_password=b"teach", session_root=str(tmp_path))
    server = ClassServer(config)
    await server.start()
    door = serve.web_door(config, server, 0)
    await door.start()
    try:
        assert door.config.password == b"open sesame" and door.config.ask_name
        async with client() as http:
            async with http.get(url(door)) as page:
                assert 'name="name"' in await page.text()  # a class: the name is asked
            assert (await login(http, door, name="Ann <b>")).status == 303
            async with http.ws_connect(url(door, "/ws")) as ws:
                await expect(ws, "READY")
                (member,) = server.hub._members.values()  # noqa: SLF001 - the hub's table
                assert (member.name, member.role, member.via) == ("Ann <b>", "student", "web")
                assert server.other_sessions() == 1  # the SSH door counts it
                second = await http.ws_connect(url(door, "/ws"))
                with pytest.raises(AssertionError, match="class is full"):
                    await expect(second, "READY")
                await second.close()
        await until(lambda: not door.sessions)
        assert not server.hub._members  # noqa: SLF001 - forgotten when the tab closed
    finally:
        await door.close()
        await server.close()


def test_serve_web_port_needs_a_password_or_no_auth(tmp_path):
    from rnn_tui.cli import main as cli
    from rnn_tui.cli import serve

    keys = tmp_path / "keys.pub"
    keys.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0d"
                    "h2l9GKJl a\n")
    args = serve.parser().parse_args(["--authorized-keys", str(keys), "--web-port", "8000"])
    with pytest.raises(cli.CliError, match="--web-port needs --password-file or --no-auth"):
        serve.build_config(args)


def test_web_cli_needs_a_login_choice(capsys):
    from rnn_tui.cli import main as cli

    assert cli.main(["web"]) == 2
    err = capsys.readouterr().err
    assert "--password-file FILE or --no-auth" in err and "Traceback" not in err


# -- the app's keys and driver -----------------------------------------------------------


def test_no_binding_a_browser_keeps_for_itself():
    """Ctrl+W, Ctrl+T and Ctrl+N close a tab, open one, open a window: none of the
    app's own keys (its app, screens and widgets; Textual's Input has Ctrl+W, delete a
    word, which a browser keeps for itself: left as it is)."""
    import importlib
    import pkgutil

    from textual.binding import Binding

    import rnn_tui.tui

    reserved = {"ctrl+w", "ctrl+t", "ctrl+n", "ctrl+shift+w", "ctrl+shift+t", "ctrl+shift+n"}
    found: set[str] = set()
    for info in pkgutil.walk_packages(rnn_tui.tui.__path__, "rnn_tui.tui."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__.startswith("rnn_tui."):
                for b in vars(value).get("BINDINGS", []) or []:
                    keys = b.key if isinstance(b, Binding) else b[0]
                    found |= {k.strip() for k in keys.split(",")}
    assert {"ctrl+l", "q", "L", "end"} <= found
    assert not reserved & found, sorted(reserved & found)


async def test_web_driver_bounds_input_and_drops_the_mouse():
    from textual import events

    from rnn_tui.serve.webdriver import SessionWebDriver
    from rnn_tui.tui.driver import InputGate

    posted = []

    class App:
        input_gate = InputGate(limit=2, stall=0.05)

    class Recording(SessionWebDriver):
        def send_message(self, message) -> None:
            posted.append(message)

    # the driver watches stdin (under pytest /dev/null, which can't be polled): a pipe
    saved, (r, w) = os.dup(0), os.pipe()
    os.dup2(r, 0)
    try:
        driver = Recording(App(), mouse=False)  # type: ignore[arg-type]
        driver.process_message(events.MouseDown(None, 1, 1, 0, 0, 1, False, False, False))
        for key in "abcd":
            driver.process_message(events.Key(key, key))
    finally:
        os.dup2(saved, 0)
        for fd in (saved, r, w):
            os.close(fd)
    assert [getattr(m, "key", None) for m in posted] == ["a", "b"]  # 2 waiting: the rest drop
    assert App.input_gate.dropped == 2


# -- a real browser ----------------------------------------------------------------------

#: Runs before the page's scripts: textual.js keeps its xterm.js Terminal in a
#: property named ``terminal`` of an object of its own; the first such assignment
#: is caught (then the catch is removed) and the Terminal kept as window.__term.
HOOK = """
Object.defineProperty(Object.prototype, "terminal", {configurable: true, set(v) {
  delete Object.prototype.terminal;
  Object.defineProperty(this, "terminal",
                        {value: v, writable: true, configurable: true, enumerable: true});
  window.__term = v;
}});
"""
#: What the terminal shows: xterm.js's buffer, row by row (a wide character once).
READ = """
const t = window.__term; if (!t) return null;
const b = t.buffer.active, rows = [];
for (let i = 0; i < t.rows; i++) {
  const line = b.getLine(b.viewportY + i); rows.push(line ? line.translateToString(true) : "");
}
return {cols: t.cols, rows: t.rows, text: rows.join("\\n")};
"""


class ThreadedDoor:
    """A web door on an event loop in a thread of its own (selenium's calls block)."""

    def __init__(self, config: WebConfig) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.door = WebDoor(config)
        self.call(self.door.start())

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        try:
            self.call(self.door.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install -y "
                    "chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="rnn-tui-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1200,800", "--lang=en-US"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def real_door(*app_options: str, password: bytes | None = b"open sesame") -> ThreadedDoor:
    config = WebConfig(command=app_command(["--seed", str(SEED), *app_options]), port=0,
                       password=password, kill_grace=1.0)
    return ThreadedDoor(config)


def screen(driver, *texts: str, timeout: float = 20.0) -> dict:
    """What the page's terminal shows, once it shows every one of ``texts``."""
    deadline = time.monotonic() + timeout
    while True:
        shown = driver.execute_script(READ)
        if shown and all(t in shown["text"] for t in texts):
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{texts!r} not on the page's terminal:\n"
                                 f"{shown and shown['text']}")
        time.sleep(0.05)


def wait_for_writes(driver, quiet: float = 0.3, timeout: float = 10.0) -> None:
    """Until xterm.js has parsed some writes (window.__writes), then none for ``quiet`` s."""
    deadline = time.monotonic() + timeout
    last, since = 0, time.monotonic()
    while time.monotonic() < deadline:
        n = driver.execute_script("return window.__writes;")
        if n != last:
            last, since = n, time.monotonic()
        elif n and time.monotonic() - since >= quiet:
            return
        time.sleep(0.02)
    raise AssertionError("the terminal got no writes")


def find(driver, css: str, timeout: float = 10.0):
    """The element ``css`` selects, once the page has it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def log_in(driver, door: WebDoor, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(url(door))
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def keys(driver, *pressed: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys(*pressed)


def test_browser_logs_in_steps_and_reads_the_engine(browser):
    """A wrong password: the login page again, no process. The right one: the
    stepper; L shows h₁ and End shows y, as a NumPy run of the test's own says;
    a resize lays the app out again at the new size."""
    from selenium.webdriver.common.keys import Keys

    from rnn_tui.teach import i18n

    served = real_door()
    door = served.door
    try:
        log_in(browser, door, "wrong")
        assert "Wrong password" in find(browser, ".error").text
        assert door.started == 0 and not door.sessions
        log_in(browser, door, "open sesame")
        first = screen(browser, "t = 0/3")
        assert door.started == 1
        keys(browser, "L")
        screen(browser, h1_row(), "t = 1/3")
        keys(browser, Keys.END)
        shown = screen(browser, y_text())
        # only the cells that changed were sent: what they left is what a whole new
        # screen (Ctrl+L: the app forgets what the browser has and writes it all) shows
        browser.execute_script(
            "window.__writes = 0; window.__term.onWriteParsed(() => window.__writes++);")
        keys(browser, Keys.CONTROL, "l")
        wait_for_writes(browser)
        assert browser.execute_script(READ)["text"] == shown["text"]
        if os.environ.get("RNN_TUI_WRITE_SCREENSHOTS") == "1":
            browser.save_screenshot(str(ROOT / "screenshots" / "web.png"))
        keys(browser, "x")  # export: a served session writes no file
        screen(browser, i18n.tr("served.export"))
        (workdir,) = [s.workdir for s in door.sessions]
        assert workdir and os.listdir(workdir) == []
        browser.set_window_size(950, 700)
        smaller = screen(browser, y_text())
        deadline = time.monotonic() + 10
        while smaller["cols"] >= first["cols"] and time.monotonic() < deadline:
            time.sleep(0.05)
            smaller = browser.execute_script(READ)
        assert smaller["cols"] < shown["cols"]
        # the app drew itself again at the new size: its key row is the last row
        smaller = screen(browser, "q Quit")
        assert "q Quit" in smaller["text"].split("\n")[smaller["rows"] - 1]
    finally:
        browser.set_window_size(1200, 800)
        served.close()
    assert not door.sessions and len(door.ended) == 1


def test_browser_korean(browser):
    """--lang ko: Korean labels in the terminal, and Hangul typed in the browser reaches
    the app as text (the sentence editor shows it)."""
    from rnn_tui.teach import i18n

    served = real_door("--lang", "ko")
    try:
        log_in(browser, served.door, "open sesame")
        try:
            i18n.set_lang("ko")
            quit_ko, step_ko = i18n.tr("key.quit"), i18n.tr("key.step")
            editor, new_sentence = i18n.tr("sent.title"), i18n.tr("sent.title_new")
        finally:
            i18n.set_lang("en")
        screen(browser, quit_ko, step_ko, "t = 0/3")
        keys(browser, "L")
        screen(browser, h1_row())
        # Hangul typed in the browser: the sentence editor's new sentence (e, then a)
        keys(browser, "e")
        screen(browser, editor)
        keys(browser, "a")
        screen(browser, new_sentence)
        keys(browser, "고양이 야옹")
        screen(browser, "고양이 야옹")
    finally:
        served.close()


@pytest.mark.slow
def test_browser_100_open_close_cycles_leave_nothing(browser):
    """100 times: open the page (the real stepper), then leave it; every process is
    reaped and every working directory removed."""
    served = real_door(password=None)
    door = served.door
    before = {pid for pid, _ in children()}
    t0 = time.monotonic()
    try:
        browser.delete_all_cookies()
        for _ in range(100):
            browser.get(url(door))
            screen(browser, "t = 0/3")
            browser.get("about:blank")  # the tab leaves: its websocket closes
        deadline = time.monotonic() + 30
        while (door.sessions or len(door.ended) < 100) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert door.started == 100 and len(door.ended) == 100 and not door.sessions
        assert [p for p, _ in children() if p not in before] == []
    finally:
        served.close()
    print(f"100 browser open/close cycles: {time.monotonic() - t0:.1f} s")


# -- one class, two doors: a teacher over SSH, a student in the browser ---------------


def test_roster_marks_browser_students():
    from rnn_tui.tui.panels.roster import roster_lines

    def entry(i, name, via):
        return {"id": i, "name": name, "via": via, "role": "student", "following": True,
                "selected": 0, "t": 0, "steps": 3, "phase": 0, "idle": 0, "hand": False,
                "score": [0, 0, 0]}

    roster = {"connected": 2, "following": 2,
              "students": [entry(1, "ann", "ssh"), entry(2, "bea", "web")]}
    for wide, width, rows in ((True, 100, None), (False, 30, None), (False, 60, 3)):
        text = "\n".join(line.plain for line in roster_lines(roster, None, width, wide=wide,
                                                             rows=rows))
        (ann,) = [line for line in text.splitlines() if "ann" in line]
        (bea,) = [line for line in text.splitlines() if "bea" in line]
        assert "(browser)" in bea and "(browser)" not in ann, text


@pytest.mark.slow  # a whole class in chromium and tmux, 7 s: CI's slow set
async def test_browser_student_follows_the_teacher(browser, tmp_path):
    """serve --web-port: the teacher (OpenSSH in tmux) presses L; the browser student,
    named on the login page, follows (h₁, by NumPy, in xterm.js's buffer) and is in the
    teacher's roster, marked as a browser."""
    from selenium.webdriver.common.by import By

    from tests.test_class_ssh import FOLLOWING, HAVE_SSH, HAVE_TMUX, Class

    if not (HAVE_SSH and HAVE_TMUX):
        pytest.skip("needs ssh and tmux")

    class WebClass(Class):
        async def start(self) -> None:
            from tests.test_class_ssh import keys_file, write_key

            key = write_key(self.tmp / "teacher", "Ms Kim")
            keys_file(self.tmp / "teachers.pub", key)
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "rnn_tui", "serve", "--no-auth", "--port", "0",
            "--student-nice", "0",  # the suite fills the CPUs: nicer sessions would starve
                "--web-port", "0", "--host-key", str(self.tmp / "host_key"),
                "--seed", str(SEED), "--teacher-keys", str(self.tmp / "teachers.pub"),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            banner = b""
            while b"Stop with Ctrl-C" not in banner:
                line = await asyncio.wait_for(self.proc.stdout.readline(), 15)
                assert line, banner
                banner += line
            self.port = int(re.search(rb"ssh -p (\d+) ", banner).group(1))
            self.web = int(re.search(rb"Browsers open:  http://[^:]+:(\d+)/", banner).group(1))
            self._reader = asyncio.create_task(self._read_log())

    klass = WebClass(tmp_path)
    try:
        await klass.start()
        await klass.join("kim", teacher=True)
        await klass.wait_for("kim", "you lead the class", "t = 0/3")

        def log_in_by_name() -> None:
            browser.delete_all_cookies()
            browser.get(f"http://127.0.0.1:{klass.web}/")
            assert not browser.find_elements(By.NAME, "password")  # --no-auth: a name only
            browser.find_element(By.NAME, "name").send_keys("Bea")
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

        await asyncio.to_thread(log_in_by_name)
        await asyncio.to_thread(screen, browser, FOLLOWING, "t = 0/3")
        await klass.keys("kim", "L")
        await asyncio.to_thread(screen, browser, h1_row(), "t = 1/3", FOLLOWING)
        await klass.keys("kim", "c")
        roster = await klass.wait_for("kim", "1 connected, 1 following", "Bea (browser)")
        assert "following" in roster
        await asyncio.to_thread(browser.get, "about:blank")
        await klass.wait_for("kim", "0 connected")
        log = "\n".join(klass.log)
        assert "web: session start" in log and "class: student Bea joined" in log
    finally:
        await klass.close()


async def test_rnn_tui_web_command(tmp_path):
    """The command: --no-auth warns; the banner says where; a page; SIGTERM stops it
    (status 0); a port in use is one line."""
    import signal
    import socket

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rnn_tui", "web", "--no-auth", "--port", "0", "--seed", "3",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        banner = b""
        while b"Stop with Ctrl-C" not in banner:
            line = await asyncio.wait_for(proc.stdout.readline(), 15)
            assert line, banner
            banner += line
        port = int(re.search(rb"http://127\.0\.0\.1:(\d+)/", banner).group(1))
        async with client() as http, http.get(f"http://127.0.0.1:{port}/") as page:
            assert "data-session-websocket-url" in await page.text()
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        err = (await proc.stderr.read()).decode()
        assert "warning: --no-auth lets anyone" in err and "Traceback" not in err
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        run = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rnn_tui", "web", "--no-auth", "--port", str(busy),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(run.communicate(), 15)
    assert run.returncode == 2
    lines = err.decode().strip().splitlines()
    assert lines[-1].startswith(f"rnn-tui: error: can't listen on 127.0.0.1:{busy}"), lines
    assert "Traceback" not in err.decode()
