"""A tiny stand-in for the stepper, run by tests/test_ssh.py as the session command.

Prints what it sees (environment, terminal size, whether the pty is its
controlling terminal), then echoes key presses as hex in raw mode; prints the
new size on SIGWINCH (its handler is installed before the first line is
printed); exits with status 3 on ``q``. ``--stubborn`` ignores
SIGHUP and SIGTERM (the server must SIGKILL it).
"""

import os
import signal
import sys
import tty


def out(text: str) -> None:
    os.write(1, (text + "\r\n").encode())


def size() -> str:
    cols, rows = os.get_terminal_size(0)
    return f"{cols}x{rows}"


def main() -> int:
    if "--stubborn" in sys.argv:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.close(os.open("/dev/tty", os.O_RDWR))
        ctty = "yes"
    except OSError:
        ctty = "no"
    # The SIGWINCH handler goes in before anything is printed: a test that resizes
    # as soon as it reads SIZE= (or READY) must not race the handler's install.
    signal.signal(signal.SIGWINCH, lambda *_: out(f"RESIZED={size()}"))
    env = os.environ
    out(f"FAKEAPP TERM={env.get('TERM')} COLORTERM={env.get('COLORTERM', '-')} "
        f"ANIM={env.get('TEXTUAL_ANIMATIONS', '-')} SERVED={env.get('RNN_TUI_SERVED', '-')} "
        f"CTTY={ctty} SIZE={size()} ARGS={' '.join(sys.argv[1:]) or '-'}")
    tty.setraw(0)
    out("READY")
    while True:
        data = os.read(0, 1024)
        if not data:
            return 0
        if b"q" in data:
            out("BYE")
            return 3
        out(f"KEY={data.hex()}")


if __name__ == "__main__":
    sys.exit(main())
