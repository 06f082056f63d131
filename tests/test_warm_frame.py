"""The first frame drawn ahead (issue 17, item 2b): the warm process rehearses a
session (rnn_tui/cli/session.py) and keeps its first screen; a session forked
from it whose terminal size and environment fit (rnn_tui/serve/warm.py,
FirstFrame) is drawn that screen at once, then the app starts and draws its own
over it.

Each test runs a real warm process and real sessions on ptys (no SSH), and
reads the screens with pyte.
"""

from __future__ import annotations

import asyncio
import os
import time

import pyte
import pytest

from rnn_tui.serve.ptyproc import PtyProcess
from rnn_tui.serve.sshd import app_command, session_env
from rnn_tui.serve.warm import WarmProcess

ALT = b"\x1b[?1049h"


@pytest.fixture
async def warm():
    process = WarmProcess.for_command(app_command([]))
    assert process is not None
    process.start()
    assert await process.wait_ready(30)
    try:
        yield process
    finally:
        await process.close()


class Session:
    def __init__(self, warm: WarmProcess | None, home: str, term: str = "xterm-256color",
                 size: tuple[int, int] = (80, 24), **client_env: str) -> None:
        self.out = bytearray()
        self.done = asyncio.Event()
        self.last = time.monotonic()
        env = session_env(term, client_env, home)
        self.proc = PtyProcess(app_command([]), env, cols=size[0], rows=size[1],
                               on_output=self._output, on_exit=lambda _: self.done.set(),
                               warm=warm)
        self.proc.start()
        if warm is not None:
            assert self.proc.forked

    #: Called with the session's pid as its first output comes (a test's hook).
    on_first = None

    def _output(self, data: bytes) -> None:
        if not self.out and self.on_first is not None:
            self.on_first(self.proc.pid)
        self.out += data
        self.last = time.monotonic()

    async def settle(self, quiet: float = 0.4, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not self.out or time.monotonic() - self.last < quiet:
            assert time.monotonic() < deadline, bytes(self.out[-300:])
            await asyncio.sleep(0.05)

    async def wait_for(self, text: bytes, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.out:
            assert time.monotonic() < deadline, bytes(self.out[-300:])
            await asyncio.sleep(0.02)

    async def wait_for_app(self, frame: bytes, text: bytes = b"t = 0/3",
                           timeout: float = 30) -> None:
        """Until the app itself wrote ``text`` after the picture ``frame`` drawn
        ahead (the picture has it too; under load the app may take seconds)."""
        deadline = time.monotonic() + timeout
        while not (self.out.startswith(frame) and text in self.out[len(frame):]):
            assert time.monotonic() < deadline, bytes(self.out[-300:])
            await asyncio.sleep(0.02)

    async def quit(self) -> int | None:
        self.proc.write(b"q")
        await asyncio.wait_for(self.done.wait(), 30)
        return self.proc.returncode


def screen(data: bytes, size: tuple[int, int] = (80, 24)) -> list[list[tuple]]:
    """Every cell as it looks: its character, background, and for what paints
    (not a plain space) its colour and attributes. (A space's colour is not
    written when nothing paints it: rnn_tui/term/sgr.py.)"""
    s = pyte.Screen(*size)
    pyte.ByteStream(s).feed(data)
    out = []
    for y in range(size[1]):
        row = []
        for x in range(size[0]):
            c = s.buffer[y][x]
            if c.reverse or c.underscore or c.strikethrough or c.data != " ":
                row.append((c.data, c.bg, c.fg, c.bold, c.italics, c.reverse, c.underscore))
            else:
                row.append((c.data, c.bg))
        out.append(row)
    return out


async def test_the_frame_drawn_ahead_is_the_apps_own_first_frame(warm, tmp_path):
    frame = warm.first_frame
    assert frame is not None and warm.first_frames[0][1] == (80, 24)
    assert frame.startswith(ALT) and b"t = 0/3" in frame
    s = Session(warm, str(tmp_path))
    await s.wait_for(b"Quit", timeout=5)
    assert bytes(s.out[:len(frame)]) == frame  # drawn ahead, first
    await s.wait_for_app(frame)
    await s.settle()
    own = bytes(s.out[len(frame):])  # what the app then wrote: its own first frame
    assert b"t = 0/3" in own
    assert ALT not in own  # not on the alternate screen twice (VTE would clear it)
    assert b"\x1b[?1049l" not in own  # nor off it
    # the same picture, cell for cell, colours too: before the app drew, and after
    assert screen(frame) == screen(bytes(s.out))
    # and the same as a session that started the old way, with nothing drawn ahead
    fresh = Session(None, str(tmp_path / "fresh") if (tmp_path / "fresh").mkdir() is None
                    else "")
    await fresh.wait_for(b"t = 0/3")
    await fresh.settle()
    assert screen(bytes(fresh.out)) == screen(frame)
    # keys work as before: → answered, q ends it with 0
    s.proc.write(b"\x1b[C")
    await s.wait_for(b"one-hot")
    assert await s.quit() == 0
    assert await fresh.quit() == 0


def test_drawing_ahead_turns_echo_and_line_editing_off_first():
    """``_draw_ahead`` (in a forked session, before the app starts): echo and line
    editing off, then the picture; so a key typed at the picture waits in the pty
    for the app, not echoed over it. (A child on a pty of its own, here.)"""
    import termios

    from rnn_tui.serve import warm as warm_module

    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.dup2(slave, 0)
            os.dup2(slave, 1)
            warm_module._draw_ahead(b"PICTURE")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    try:
        lflag = termios.tcgetattr(slave)[3]
        assert not lflag & termios.ECHO and not lflag & termios.ICANON
        assert os.read(master, 100) == b"PICTURE"
    finally:
        os.close(master)
        os.close(slave)


async def test_a_key_typed_at_the_picture_is_the_apps_unechoed(warm, tmp_path):
    # → sent the moment the picture comes, the app perhaps not started yet (in a
    # burst that takes a second or more): it must reach the app, not be echoed.
    s = Session(warm, str(tmp_path))
    await s.wait_for(warm.first_frame[-40:], timeout=5)
    s.proc.write(b"\x1b[C")
    await s.wait_for(b"one-hot")
    await s.settle()
    assert b"^[" not in s.out
    rows = ["".join(c[0] for c in row) for row in screen(bytes(s.out))]
    assert "t = 1/3" in rows[0]  # the app got it
    assert await s.quit() == 0


async def test_drawn_ahead_only_where_it_fits(warm, tmp_path):
    ((default, size),) = warm.first_frames  # xterm-256color, no COLORTERM
    assert size == (80, 24)
    cases = [
        ((100, 30), "xterm-256color", {}, None),  # another size
        ((80, 24), "xterm", {}, None),  # another terminal
        ((80, 24), "xterm-256color", {"COLORTERM": "truecolor"}, None),  # other colours
        ((80, 24), "xterm-256color", {"LANG": "ko_KR.UTF-8"}, None),  # another language
        ((80, 24), "xterm-256color", {"LANG": "en_US.UTF-8"}, default),  # Debian's ssh sends it
    ]
    sessions = []
    for i, (size, term, env, _) in enumerate(cases):
        (tmp_path / str(i)).mkdir()
        sessions.append(Session(warm, str(tmp_path / str(i)), term=term, size=size, **env))
    for s, (size, _, _, frame) in zip(sessions, cases, strict=True):
        await s.wait_for(b"t = 0/3")
        if frame is not None:
            await s.wait_for_app(frame)
        await s.settle()
        assert s.out.count(ALT) == 1  # the frame's, or the app's own
        if frame is None:
            assert not s.out.startswith(default)
        else:
            assert s.out.startswith(frame)
            assert screen(frame) == screen(bytes(s.out))  # the app's own picture
        rows = ["".join(c[0] for c in row) for row in screen(bytes(s.out), size)]
        assert "t = 0/3" in rows[0] and rows[0].startswith(" rnn-tui")
    for s in sessions:
        assert await s.quit() == 0


async def test_a_resize_right_after_login_is_drawn_right(warm, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    s = Session(warm, str(tmp_path / "a"))
    await s.wait_for(warm.first_frame[-40:], timeout=5)  # the 80x24 picture drawn ahead
    s.proc.resize(100, 30)  # before the app has drawn, most likely (it takes ~50 ms)
    await s.wait_for_app(warm.first_frame)
    await s.settle()
    assert s.out.startswith(warm.first_frame)
    direct = Session(None, str(tmp_path / "b"), size=(100, 30))
    await direct.wait_for(b"Quit")
    await direct.settle()
    # the 80x24 picture, then the app at 100x30 over all of it: as if started there
    # (each may still be drawing on a loaded machine: until they agree, 20 s at most)
    deadline = time.monotonic() + 20
    while screen(bytes(s.out), (100, 30)) != screen(bytes(direct.out), (100, 30)) \
            and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert screen(bytes(s.out), (100, 30)) == screen(bytes(direct.out), (100, 30))
    assert await s.quit() == 0
    assert await direct.quit() == 0


async def test_an_app_that_does_not_start_leaves_the_picture(tmp_path):
    """Drawn ahead, then the app fails before it takes the screen (here its data
    file is gone since the warm process rehearsed): the error is written on the
    normal screen, not left on the alternate one with the picture."""
    data = tmp_path / "d.tsv"
    data.write_text("1\tas soon\n0\tas\n", encoding="utf-8")
    process = WarmProcess.for_command(app_command(["--data", str(data)]))
    assert process is not None
    process.start()
    try:
        assert await process.wait_ready(30)
        assert process.first_frame is not None
        data.unlink()
        (tmp_path / "home").mkdir()
        env = session_env("xterm-256color", None, str(tmp_path / "home"))
        out = bytearray()
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        proc = PtyProcess(app_command(["--data", str(data)]), env, on_output=out.extend,
                          on_exit=lambda code: done.done() or done.set_result(code),
                          warm=process)
        proc.start()
        assert proc.forked
        assert await asyncio.wait_for(done, 20) == 2  # as the app exits on a bad option
        assert out.startswith(process.first_frame)
        rest = bytes(out[len(process.first_frame):])
        assert rest.startswith(b"\x1b[?1049l\x1b[?25h\x1b[?7h")  # off the picture first
        assert b"d.tsv" in rest and b"Traceback" not in rest  # then the app's one line
        assert rest.count(b"\x1b[?1049l") == 1
    finally:
        await process.close()
