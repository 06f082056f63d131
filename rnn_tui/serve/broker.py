"""The class broker: several ``rnn-tui serve`` processes share one class through Redis.

``rnn-tui serve --class-broker redis://host:port/db --class-name NAME`` gives
the server's :class:`~rnn_tui.serve.hub.Hub` a :class:`Bridge`. The hub tells
the bridge of its local changes (``bridge.publish(kind, value)``, never
blocking); the bridge sends them to Redis, and calls the hub's ``remote_*``
methods for the other servers' changes. Without the option there is no bridge
and no Redis: one machine's class is the hub alone.

What travels, under keys and a channel named after the class
(``rnn-tui:class:NAME:...``):

- ``state`` (a hash): who leads (``lead``: {epoch, server, name}), ``locked``,
  and the leader's ``content`` and ``position`` lines (the hub's own messages,
  with their ``rev``). A server that (re)connects reads it: a late joiner on
  any server gets the class as it is.
- ``roster:SERVER`` (a string, expiring): that server's roster entries (its
  own sessions); every teacher's roster shows every server's. Member ids are
  unique across servers: each server numbers its sessions from its own base
  (``ids``, a counter).
- ``events`` (pub/sub): ``lead``, ``lock``, ``content``, ``position``,
  ``quiz``, ``answer``, ``roster``, ``clear_hand`` (a teacher lowers the hand of another server's
  student) and ``hello`` (a server (re)connected: the others send their
  rosters). A frame is ``KIND SERVER PAYLOAD``.

Who leads: a teacher who takes the lead makes a claim (epoch, server), the
epoch one more than any seen; the highest claim leads on every server, so two
teachers who take the lead at once on two servers end with the same leader.

If Redis goes away, every session keeps working on its own server (its hub
goes on as on one machine); the status lines say the class link is lost and
being retried (``class`` messages carry ``broker: ok|lost``); the bridge tries
again every ``retry`` seconds (doubling, at most ``MAX_RETRY``). On reconnect
the leader's server writes its current state again (a Redis that lost its data
gets it back) and every server reads it, so following resumes from where the
leader is.

The class quiz (issue 18): the leader's server asks, grades, counts and writes
the results (once). Its ``quiz`` frames (in ``state`` too) carry the question,
the counts and, for each other server's student, [guess, points, totals]; each
server makes its sessions' own quiz messages from them. Other servers forward
their students' ``answer`` s; the leader's server counts a student's last one
before the reveal, like its own students' (never twice: one per student id).

Limits: each kind keeps at most one unsent value (latest wins; lowered hands:
at most ``MAX_CLEARS``); a frame read is at most ``MAX_FRAME`` bytes; at most
``MAX_SERVERS`` other servers' rosters, each at most ``classroom.MAX_ROSTER``
entries, dropped when not refreshed for ``ROSTER_TTL`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from rnn_tui.teach import classroom
from rnn_tui.teach.classroom import MessageError, decode, encode

#: The environment variable a broker's password may come from.
ENV_PASSWORD = "REDIS_PASSWORD"
#: A frame on the channel: a content line and a little more.
MAX_FRAME = classroom.MAX_LINE + 256
#: Other servers whose rosters are kept.
MAX_SERVERS = 64
#: Lowered hands waiting to be sent.
MAX_CLEARS = 64
#: A server's roster is dropped when not refreshed for this long (seconds).
ROSTER_TTL = 10.0
#: The longest wait between two tries to reach Redis (seconds).
MAX_RETRY = 2.0
#: Member ids: each server's from its own base, a multiple of this.
ID_SPAN = 100_000
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: The order a batch of unsent values is written in.
SEND_ORDER = ("lead", "lock", "content", "position", "quiz", "roster", "clear_hand", "answer",
              "hello")
#: Answers (of this server's students, to the leader's server) waiting to be sent.
MAX_ANSWERS = classroom.MAX_ROSTER


class BrokerError(ValueError):
    """A bad --class-broker URL or class name (one line, for the command line)."""


@dataclass(frozen=True)
class BrokerURL:
    host: str
    port: int
    db: int

    def __str__(self) -> str:  # never with a password: for logs
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{host}:{self.port}/{self.db}"


def parse_url(text: str) -> BrokerURL:
    """``redis://host[:port][/db]``; a password in it is refused (it would show
    in the process listing): it comes from a file or the environment."""
    try:
        parts = urlsplit(text)
        port = parts.port or 6379
    except ValueError as exc:
        raise BrokerError(f"--class-broker: {exc}") from None
    if parts.scheme != "redis":
        raise BrokerError("--class-broker: expected redis://HOST:PORT/DB")
    if parts.password is not None or parts.username:
        raise BrokerError("--class-broker: put no password in the URL (it would show in the "
                          f"process listing): use --class-broker-password-file FILE or "
                          f"{ENV_PASSWORD}")
    if not parts.hostname:
        raise BrokerError("--class-broker: expected redis://HOST:PORT/DB (no host)")
    path = unquote(parts.path).strip("/") or "0"
    if not path.isdigit() or int(path) > 1000 or parts.query or parts.fragment:
        raise BrokerError("--class-broker: the database is a number (redis://HOST:PORT/DB)")
    return BrokerURL(parts.hostname, port, int(path))


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name or ""):
        raise BrokerError("--class-name: 1 to 64 letters, digits, '.', '_' or '-' "
                          "(starting with a letter or digit)")
    return name


def read_password(path: str | None) -> str | None:
    """The password from the first line of ``path``, else from REDIS_PASSWORD (which
    is then taken out of this process's environment: sessions don't inherit it)."""
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                line = f.readline(4097).rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise BrokerError(f"--class-broker-password-file: cannot read {path}: "
                              f"{exc.__class__.__name__}") from None
        if not line or len(line) > 4096:
            raise BrokerError(f"--class-broker-password-file: {path}: expected the password "
                              "on the first line (at most 4096 characters)")
        return line
    value = os.environ.pop(ENV_PASSWORD, None)
    return value or None


def _claim_key(lead: dict) -> tuple[int, str]:
    return (int(lead["epoch"]), str(lead["server"]))


def _lead(payload: bytes) -> dict | None:
    """A ``lead`` value, if well formed."""
    try:
        lead = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(lead, dict) or type(lead.get("epoch")) is not int \
            or not isinstance(lead.get("server"), str) or len(lead["server"]) > 64:
        return None
    name = lead.get("name")
    if name is not None and not isinstance(name, str):
        return None
    if name is not None:
        lead["name"] = classroom.display_name(name)
    return lead


def check_entries(entries: Any) -> list[dict] | None:
    """Another server's roster entries, if they are what a roster message may hold."""
    if not isinstance(entries, list) or len(entries) > classroom.MAX_ROSTER:
        return None
    try:
        decode(encode("roster", connected=0, following=0, students=entries), "hub")
    except (MessageError, ValueError, TypeError):
        return None
    return entries


def check_quiz(frame: Any) -> dict | None:
    """The leader's server's question frame, if well formed (its parts that go into
    each session's quiz message are checked again when that is made)."""
    if not isinstance(frame, dict) or type(frame.get("qid")) is not int \
            or not isinstance(frame.get("open"), bool) or not isinstance(frame.get("top"), list) \
            or not isinstance(frame.get("anonymous"), bool):
        return None
    per = frame.get("per")
    if not isinstance(per, dict) or len(per) > classroom.MAX_ROSTER:
        return None
    for value in per.values():
        if not (isinstance(value, list) and len(value) == 3
                and (value[0] is None or (isinstance(value[0], (int, float))
                                          and not isinstance(value[0], bool)))
                and (value[1] is None or type(value[1]) is int)
                and isinstance(value[2], list) and len(value[2]) == 3
                and all(type(v) is int and 0 <= v <= 2**31 for v in value[2])):
            return None
    return frame


class Bridge:
    """One server's link to the class in Redis (see the module's docstring)."""

    def __init__(self, hub: Any, url: BrokerURL, name: str, password: str | None = None,
                 log: logging.Logger | None = None, *, retry: float = 0.2,
                 roster_every: float = 1.0, client_factory: Any = None) -> None:
        self.hub = hub
        self.url = url
        self.name = check_name(name)
        self._password = password
        self.log = log or logging.getLogger("rnn_tui.cli.serve")
        self.retry = retry
        self.roster_every = roster_every
        self.server = secrets.token_hex(6)
        self.status = "lost"
        self.connects = 0
        prefix = f"rnn-tui:class:{self.name}:"
        self.k_state = prefix + "state"
        self.k_events = prefix + "events"
        self.k_servers = prefix + "servers"
        self.k_ids = prefix + "ids"
        self.k_roster = prefix + "roster:"
        #: The leader's claim (epoch, server) on every server, and the highest epoch seen.
        self.claim: tuple[int, str] | None = None
        self.epoch = 0
        self._pending: dict[Any, Any] = {}  # bytes, or a function making them
        self._wake = asyncio.Event()
        self._rosters: dict[str, tuple[float, list[dict]]] = {}
        self._last_roster: str | None = None
        self._roster_sent = 0.0
        self._task: asyncio.Task | None = None
        self._up = asyncio.Event()
        self._closing = False
        self._factory = client_factory

    # -- the server's side -----------------------------------------------------

    async def start(self, wait: float = 3.0) -> None:
        """Plug into the hub and connect (waiting at most ``wait`` seconds: the
        server starts anyway, and keeps trying)."""
        self.hub.bridge = self
        self._task = asyncio.get_running_loop().create_task(self._run())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._up.wait(), wait)
        if self.hub._next_id == 1:  # no ids yet from Redis: a random base
            self.hub._next_id = (secrets.randbelow(20000) + 1) * ID_SPAN

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            # bounded: Python 3.10/3.11's wait_for may swallow a cancel (redis-py uses it)
            await asyncio.wait({self._task}, timeout=3.0)
            self._task = None

    # -- the hub's side ------------------------------------------------------------

    def publish(self, kind: str, value: Any) -> None:
        """A local change (the hub calls this; it never waits)."""
        if kind == "lead":
            if value is not None:
                self.epoch += 1
                self.claim = (self.epoch, self.server)
                self._queue("lead", self._lead_payload(value))
            elif self.claim is not None and self.claim[1] == self.server:
                self._queue("lead", self._lead_payload(None))
                self.claim = None
        elif kind == "lock":
            self._queue("lock", b"1" if value else b"0")
        elif kind in ("content", "position"):
            if kind == "content":
                self._pending.pop("position", None)  # it belonged to the older content
            self._queue(kind, value)
        elif kind == "clear_hand":
            clears = [k for k in self._pending if isinstance(k, tuple) and k[0] == kind]
            if len(clears) < MAX_CLEARS:
                self._queue(("clear_hand", value), str(int(value)).encode())
        elif kind == "quiz":  # a function: the frame is made when it is sent
            self._queue("quiz", value)
        elif kind == "answer":  # a student's last answer counts: one per student
            answers = [k for k in self._pending if isinstance(k, tuple) and k[0] == kind]
            if len(answers) < MAX_ANSWERS or ("answer", value["id"]) in self._pending:
                self._queue(("answer", value["id"]), json.dumps(value).encode())

    def remote_roster(self) -> list[dict]:
        """The other servers' roster entries (fresh ones), in order of server."""
        now = time.monotonic()
        out: list[dict] = []
        for server in sorted(self._rosters):
            when, entries = self._rosters[server]
            if now - when <= ROSTER_TTL:
                out += entries
        return out

    def _lead_payload(self, name: str | None) -> bytes:
        epoch = self.claim[0] if self.claim is not None else self.epoch
        return json.dumps({"epoch": epoch, "server": self.server, "name": name}).encode()

    def _queue(self, key: Any, data: Any) -> None:
        self._pending[key] = data
        self._wake.set()

    # -- the link to Redis -----------------------------------------------------------

    def _client(self) -> Any:
        if self._factory is not None:
            return self._factory()
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # No retries inside the client: a lost Redis is this bridge's to say and retry.
        return aioredis.Redis(host=self.url.host, port=self.url.port, db=self.url.db,
                              password=self._password, socket_connect_timeout=2.0,
                              socket_timeout=5.0, socket_keepalive=True,
                              retry=Retry(NoBackoff(), 0))

    def _set_status(self, status: str, why: str = "") -> None:
        if status == self.status:
            return
        self.status = status
        if status == "ok":
            self.log.info("class broker: linked to %s as class %s (server %s)",
                          self.url, self.name, self.server)
        else:
            self.log.warning("class broker: lost %s (%s); sessions go on here; retrying",
                             self.url, why[:200])
        self.hub.broker_changed()

    async def _run(self) -> None:
        wait = self.retry
        while not self._closing:
            client = self._client()
            try:
                await self._linked(client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # redis' errors, OSError, a bad reply: retry
                if self.connects and self.status == "ok":
                    wait = self.retry
                self._set_status("lost", f"{exc.__class__.__name__}: {exc}")
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(wait)
            wait = min(MAX_RETRY, wait * 2)

    async def _linked(self, r: Any) -> None:
        await r.ping()  # (the client's socket_timeout bounds every reply)
        pubsub = r.pubsub()
        try:
            await pubsub.subscribe(self.k_events)
            if self.connects == 0 and self.hub._next_id == 1:
                n = int(await r.incr(self.k_ids))
                self.hub._next_id = (n % 20000 + 1) * ID_SPAN
            await self._sync(r)
            self.connects += 1
            self._set_status("ok")
            self._up.set()
            tasks = [asyncio.ensure_future(c) for c in
                     (self._listen(pubsub), self._send(r), self._beat(r))]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
                for t in done:
                    t.result()
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.wait(tasks, timeout=2.0)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _sync(self, r: Any) -> None:
        """After (re)connecting: write what this server holds, read what others do."""
        self._pending.clear()
        hub = self.hub
        state = await r.hgetall(self.k_state)
        lead = _lead(state.get(b"lead", b"")) if state.get(b"lead") else None
        if lead is not None:
            self.epoch = max(self.epoch, lead["epoch"])
        claim = self.claim
        mine = claim is not None and claim[1] == self.server and hub.leader is not None
        if mine and lead is not None and lead["name"] is not None and claim is not None \
                and _claim_key(lead) > claim:
            mine = False  # another took the lead meanwhile
        if lead is not None and lead["server"] == self.server and lead["name"] is not None \
                and not mine:  # our leader, who left while Redis was away
            self._queue("lead", json.dumps({"epoch": lead["epoch"], "server": self.server,
                                            "name": None}).encode())
            lead = None
        if mine and hub.leader is not None:  # the leader is here: its state is the class's
            self._queue("lead", self._lead_payload(hub.leader.name))
            self._queue("lock", b"1" if hub.locked else b"0")
            if hub._content is not None:
                self._queue("content", hub._content)
            if hub._position is not None:
                self._queue("position", hub._position)
            if hub.quiz is not None:
                hub._publish_quiz(hub.quiz)
        else:
            if lead is not None:
                self._apply_lead(lead)
            locked = state.get(b"locked")
            if locked in (b"0", b"1"):
                hub.remote_lock(locked == b"1")
            else:
                self._queue("lock", b"1" if hub.locked else b"0")
            for kind in ("content", "position"):
                line = state.get(kind.encode())
                if line:
                    self._apply_state(kind, line)
            if state.get(b"quiz") and hub.leader is None:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    self._receive("quiz", "", state[b"quiz"])
        servers = [s for s in await r.smembers(self.k_servers)][:MAX_SERVERS + 1]
        others = [s.decode("ascii", "replace") for s in servers
                  if s.decode("ascii", "replace") != self.server]
        if others:
            values = await r.mget([self.k_roster + s for s in others])
            for server, value in zip(others, values, strict=False):
                if value is None:
                    await r.srem(self.k_servers, server)  # gone: its roster expired
                else:
                    self._apply_roster(server, value)
        self._last_roster = None  # send ours now
        self._queue("hello", b"")

    async def _send(self, r: Any) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            keys: list[Any] = [k for k in SEND_ORDER if k in self._pending]
            keys += [k for k in self._pending if isinstance(k, tuple)]
            if not keys:
                continue
            pipe = r.pipeline(transaction=False)
            for key in keys:
                data = self._pending.pop(key)
                if callable(data):
                    data = json.dumps(data(), separators=(",", ":")).encode()
                kind = key[0] if isinstance(key, tuple) else key
                if kind in ("lead", "content", "position", "quiz"):
                    pipe.hset(self.k_state, kind, data)
                elif kind == "lock":
                    pipe.hset(self.k_state, "locked", data)
                elif kind == "roster":
                    pipe.set(self.k_roster + self.server, data, ex=int(ROSTER_TTL))
                    pipe.sadd(self.k_servers, self.server)
                pipe.publish(self.k_events, f"{kind} {self.server} ".encode() + data)
            await pipe.execute()

    async def _beat(self, r: Any) -> None:
        """Our roster (when it changes, and at least every few seconds: it expires),
        and a ping: a Redis that hangs is a lost one."""
        while not self._closing:
            entries = self.hub.roster()[:classroom.MAX_ROSTER]
            same = json.dumps([{k: v for k, v in e.items() if k != "idle"} for e in entries])
            now = time.monotonic()
            if same != self._last_roster or now - self._roster_sent >= ROSTER_TTL / 3:
                self._last_roster, self._roster_sent = same, now
                self._queue("roster", json.dumps(entries, separators=(",", ":")).encode())
            await r.ping()
            await asyncio.sleep(self.roster_every)

    async def _listen(self, pubsub: Any) -> None:
        while not self._closing:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is None or msg.get("type") != "message":
                continue
            data = msg.get("data")
            if not isinstance(data, bytes) or len(data) > MAX_FRAME:
                continue
            parts = data.split(b" ", 2)
            if len(parts) != 3:
                continue
            kind, server = parts[0].decode("ascii", "replace"), parts[1].decode(
                "ascii", "replace")
            if server == self.server:
                continue
            try:
                self._receive(kind, server, parts[2])
            except Exception as exc:  # a bad frame (or a slip of ours): say it, go on
                if isinstance(exc, (ConnectionError, OSError)):
                    raise
                self.log.warning("class broker: ignored a %s from server %s: %s",
                                 kind[:20], server[:20], str(exc)[:120])

    # -- other servers' changes -----------------------------------------------------

    def _receive(self, kind: str, server: str, payload: bytes) -> None:
        if kind == "lead":
            lead = _lead(payload)
            if lead is not None:
                self._apply_lead(lead)
        elif kind == "lock":
            self.hub.remote_lock(payload == b"1")
        elif kind in ("content", "position"):
            self._apply_state(kind, payload)
        elif kind == "roster":
            self._apply_roster(server, payload)
        elif kind == "clear_hand":
            self.hub.remote_clear_hand(int(payload))
        elif kind == "hello":
            self._last_roster = None  # a server (re)joined: it gets ours at once
        elif kind == "quiz":
            frame = check_quiz(json.loads(payload))
            if frame is None:
                raise ValueError("not a question")
            self.hub.remote_quiz_frame(frame)
        elif kind == "answer":
            a = json.loads(payload)
            if not (isinstance(a, dict) and type(a.get("qid")) is int
                    and type(a.get("id")) is int and isinstance(a.get("name"), str)
                    and isinstance(a.get("text"), str)
                    and len(a["text"]) <= classroom.MAX_GUESS):
                raise ValueError("not an answer")
            self.hub.remote_answer(a["qid"], a["id"], a["name"], a["text"])

    def _apply_lead(self, lead: dict) -> None:
        key = _claim_key(lead)
        self.epoch = max(self.epoch, key[0])
        if key[1] == self.server:
            return  # our own, read back
        if lead["name"] is not None:
            if self.claim is None or key >= self.claim:
                self.claim = key
                self.hub.remote_lead(lead["name"])
        elif self.claim == key:
            self.claim = None
            self.hub.remote_lead(None)

    def _apply_state(self, kind: str, line: bytes) -> None:
        msg = decode(line.rstrip(b"\n"), "hub")
        if msg["type"] != kind:
            raise ValueError(f"expected {kind}, got {msg['type']}")
        if not line.endswith(b"\n"):
            line += b"\n"
        self.hub.remote_state(kind, line, msg["rev"])

    def _apply_roster(self, server: str, payload: bytes) -> None:
        entries = check_entries(json.loads(payload))
        if entries is None:
            raise ValueError("not a roster")
        if server not in self._rosters and len(self._rosters) >= MAX_SERVERS:
            now = time.monotonic()
            stale = [s for s, (w, _) in self._rosters.items() if now - w > ROSTER_TTL]
            if not stale:
                return
            for s in stale:
                del self._rosters[s]
        changed = self._rosters.get(server, (0.0, None))[1] != entries
        self._rosters[server] = (time.monotonic(), entries)
        if changed:
            self.hub._roster_changed()
