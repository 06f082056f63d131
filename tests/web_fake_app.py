"""A tiny stand-in for the stepper under Textual's web driver, run by tests/test_web.py.

Speaks the driver's side of textual-serve's protocol on stdin/stdout: prints
``__GANGLION__``, then data packets (``D`` + 4-byte length + text): what it
sees (environment, working directory, limits), ``READY``, each key press as
hex (``KEY=...``), each resize meta packet (``RESIZED=WxH``); on a ``quit``
meta packet it says ``BYE`` and exits 0, on key ``q`` it sends the ``exit``
meta packet and exits 3. ``--stubborn`` ignores quit, SIGHUP and SIGTERM;
``--crash`` exits 5 at once.
"""

import json
import os
import resource
import signal
import sys


def packet(kind: bytes, payload: bytes) -> None:
    os.write(1, kind + len(payload).to_bytes(4, "big") + payload)


def out(text: str) -> None:
    packet(b"D", (text + "\r\n").encode())


def read_exactly(n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = os.read(0, n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def main() -> int:
    stubborn = "--stubborn" in sys.argv
    if "--crash" in sys.argv:  # dies before it is up
        sys.stderr.write("fake app: crashed on purpose\n")
        return 5
    if stubborn:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.write(1, b"__GANGLION__\n")
    env = os.environ
    soft_as = resource.getrlimit(resource.RLIMIT_AS)[0]
    out(f"FAKEAPP SERVED={env.get('RNN_TUI_SERVED', '-')} DRIVER={env.get('TEXTUAL_DRIVER')} "
        f"SIZE={env.get('COLUMNS')}x{env.get('ROWS')} LANG={env.get('LANG')} "
        f"HOME={env.get('HOME')} CWD={os.getcwd()} AS={soft_as} "
        f"SECRET={env.get('RNN_TUI_TEST_SECRET', '-')} SID={os.getsid(0) == os.getpid()}")
    out("READY")
    while True:
        try:
            kind = read_exactly(1)
            payload = read_exactly(int.from_bytes(read_exactly(4), "big"))
        except EOFError:
            return 0
        if kind == b"D":
            if b"q" in payload:
                packet(b"M", json.dumps({"type": "exit"}).encode())
                return 3
            out(f"KEY={payload.hex()}")
        elif kind == b"M":
            meta = json.loads(payload)
            if meta.get("type") == "resize":
                out(f"RESIZED={meta['width']}x{meta['height']}")
            elif meta.get("type") == "quit" and not stubborn:
                out("BYE")
                return 0


if __name__ == "__main__":
    sys.exit(main())
