"""Leading a class over SSH (issue 16): teachers' logins, the hub behind ``serve``,
and, end to end, a teacher and students with the real OpenSSH client in tmux.

The first part runs the server in the test's loop with a tiny session command
that joins the hub and prints what it was told (no app); the end-to-end part
runs the real ``python -m rnn_tui serve`` and the real app.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

import asyncssh
import pytest

from rnn_tui.cli import main as cli
from rnn_tui.cli import serve
from rnn_tui.serve.sshd import ClassServer, ServeConfig, key_names
from tests.test_ssh import HAVE_SSH, SSH_OPTS, host_key, run_ssh, settle

#: A session command that joins the class and says what it learnt, then ends.
CLASS_FAKE = r"""
import asyncio, json, os, sys
sock, token = os.environ.get("RNN_TUI_CLASS"), os.environ.get("RNN_TUI_CLASS_TOKEN")
nice = os.getpriority(os.PRIO_PROCESS, 0)
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
        teacher_nice = int(out.split("NICE=")[1].split()[0])
        rc, out, err = await run_ssh(*dest, "minji@127.0.0.1", env=env)
        assert "CLASS=welcome ROLE=student NAME=minji" in out, (out, err)
        assert int(out.split("NICE=")[1].split()[0]) == min(19, teacher_nice + 5)
        rc, out, err = await run_ssh("-i", str(tmp_path / "own"), *dest, "joon@127.0.0.1", env=env)
        assert "ROLE=student NAME=joon" in out, (out, err)
        assert server.stats.auth_failures == 0
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
    plain = serve.build_config(serve.parser().parse_args(["--no-auth"]))
    assert not plain.has_teachers and plain.command[-1] == "--"
    text = serve.banner(config, tmp_path / "k", host_key(), False, 2222)
    assert "Teachers connect with:  ssh -p 2222 -i YOUR_KEY teacher@127.0.0.1" in text


async def test_killed_session_leaves_the_class():
    """A session process killed mid-class: the hub forgets it, the rest go on."""
    script = CLASS_FAKE.replace('os.write(1, (asyncio.run(main()) + "\\r\\n").encode())', """
async def stay():
    line = await main()
    os.write(1, (line + " READY\\r\\n").encode())
    await asyncio.sleep(60)
asyncio.run(stay())
""")
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
                buf += await asyncio.wait_for(proc.stdout.read(1024), 10)
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


# SSH_OPTS is used by the end-to-end tests below.
assert SSH_OPTS
