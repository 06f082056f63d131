"""Sessions run nicer than the server also without a class (no teacher keys):
else forty sessions building their first frames keep the server's SSH work for
the logins still arriving waiting (issue 17's burst)."""

from __future__ import annotations

import os

import pytest

from tests.test_class_ssh import session_says, start_class
from tests.test_ssh import HAVE_SSH


@pytest.mark.skipif(not HAVE_SSH, reason="needs ssh")
async def test_sessions_without_a_class_run_nicer_than_the_server():
    server = await start_class(auth="none")
    try:
        assert server.hub is None  # no teachers: no class
        out = await session_says(server)
    finally:
        await server.close()
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert "CLASS=- NICE=" in out, out
    assert int(out.split("NICE=")[1].split()[0]) == min(19, mine + 15), out
    if os.path.exists("/proc/self/autogroup") and mine + 15 <= 19:
        assert "AG=15" in out, out


@pytest.mark.skipif(not HAVE_SSH, reason="needs ssh")
async def test_student_nice_zero_leaves_sessions_at_the_servers_priority():
    server = await start_class(auth="none", student_nice=0)
    try:
        out = await session_says(server)
    finally:
        await server.close()
    assert int(out.split("NICE=")[1].split()[0]) == os.getpriority(os.PRIO_PROCESS, 0), out
