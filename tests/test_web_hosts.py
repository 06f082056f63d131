"""The web door answers only to its own names: a page elsewhere whose name is
made to point at this machine (DNS rebinding) gets 421, not the login page or a
session, with or without --no-auth."""

from __future__ import annotations

import aiohttp
import pytest

from rnn_tui.cli.serve import host_arg
from rnn_tui.serve.web import host_name, machine_names
from tests.test_web import login, start, url


async def get(door, host: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url(door), headers={"Host": host}) as response:
            return response.status, await response.text()


@pytest.mark.parametrize("password", [b"open sesame", None])
async def test_an_unknown_host_name_is_refused(tmp_path, password):
    door = await start(tmp_path, password=password, allowed_hosts=("class.example",))
    try:
        status, text = await get(door, f"evil.example:{door.port}")
        assert status == 421
        assert "'evil.example' is not a name of this server" in text
        assert "--allow-host evil.example" in text
        for host in (f"127.0.0.1:{door.port}", f"localhost:{door.port}", "[::1]:8000",
                     "10.1.2.3", f"class.example:{door.port}", "CLASS.example."):
            status, text = await get(door, host)
            assert status == 200, host
            assert "<form" in text or "<html" in text.lower()
        async with aiohttp.ClientSession() as http:  # a refused name starts nothing
            async with http.post(url(door, "/login"), data={"password": "open sesame"},
                                 headers={"Host": "evil.example"},
                                 allow_redirects=False) as response:
                assert response.status == 421
        assert door.started == 0
    finally:
        await door.close()


async def test_the_machine_s_own_names_are_known(tmp_path):
    door = await start(tmp_path)
    try:
        for name in sorted(machine_names()):
            status, _ = await get(door, name)
            assert status == 200, name
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            response = await login(http, door)
            assert response.status == 303
    finally:
        await door.close()


def test_host_names():
    assert host_name("Example.COM:8000") == "example.com"
    assert host_name("[::1]:8000") == "::1"
    assert host_name("::1") == "::1"
    assert host_name("") == ""
    assert host_arg("Class.Example.") == "class.example"
    for bad in ("", "a b", "evil/x", "x" * 300, "é.example"):
        with pytest.raises(Exception, match="is not a host name"):
            host_arg(bad)
