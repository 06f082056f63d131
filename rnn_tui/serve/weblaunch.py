"""Start a browser session's app process: ``python -I -S -B weblaunch.py SPEC``.

textual-serve's ``AppService`` starts its ``command`` string with a shell, in
the server's environment; :class:`rnn_tui.serve.web.SessionService` makes that
command ``exec python -I -S -B .../weblaunch.py WORKDIR/.rnn-tui-launch.json``.
This launcher (standard library only) reads the spec file (argv, env, cwd,
rlimits, nice; written 0600 by the server) and deletes it at once, leaves the
server's process session (``setsid``), and forks the app:

- the app (the child): a process session of its own (``setsid``), ``chdir``,
  the resource limits (never above the hard limits it has), a nice value (and
  its session's autogroup), then ``execvpe(argv, env)``: exactly the session's
  environment (with ``COLUMNS``/``ROWS`` of the first size);
- the launcher stays its parent, holding nothing of the app's pipes. Once the
  ``exec`` worked it writes ``WORKDIR/.rnn-tui-pid`` (``{"pid": APP, "launcher":
  ITSELF}``; ``{"error": "..."}`` if the app could not start); then it waits for
  the app and writes its exit status to ``WORKDIR/.rnn-tui-status`` (as asyncio
  says one: ``-N`` for signal N) before it ends.

Why a parent and not ``exec`` in place: the server's child is reaped by
asyncio's child watcher, and only AppService (privately) holds its status; the
app's own parent can tell it. The cost: a second small process per session
(about 5 MB PSS; no site-packages).

Files are written whole (a temporary name, then ``rename``) and 0600.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys

SPEC_NAME = ".rnn-tui-launch.json"
PID_NAME = ".rnn-tui-pid"
STATUS_NAME = ".rnn-tui-status"
#: A spec file, at most (an environment and a command line: a few kB).
MAX_SPEC = 1 << 20
#: What the app's side says when it could not start, at most.
MAX_ERROR = 1000


def write_whole(path: str, text: str) -> None:
    """``text`` at ``path`` (0600): under a temporary name, then renamed."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_spec(path: str) -> dict:
    """The spec at ``path``, deleted as soon as it is open. ValueError if malformed."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.unlink(path)
        data = b""
        while len(data) <= MAX_SPEC:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    if len(data) > MAX_SPEC:
        raise ValueError("spec file too large")
    spec = json.loads(data)
    argv, env = spec.get("argv"), spec.get("env")
    if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
        raise ValueError("argv: a non-empty list of strings")
    if not (isinstance(env, dict) and all(isinstance(k, str) and isinstance(v, str)
                                          for k, v in env.items())):
        raise ValueError("env: a dict of strings")
    if not isinstance(spec.get("cwd"), str):
        raise ValueError("cwd: a string")
    rlimits = spec.get("rlimits", [])
    if not (isinstance(rlimits, list) and all(
            isinstance(r, list) and len(r) == 3 and all(type(n) is int for n in r)
            for r in rlimits)):
        raise ValueError("rlimits: [resource, soft, hard] lists")
    if type(spec.get("nice", 0)) is not int:
        raise ValueError("nice: an integer")
    return spec


def size_from_environment(name: str, default: str) -> str:
    """COLUMNS or ROWS as textual-serve set them for the first size (digits only)."""
    value = os.environ.get(name, "")
    return value if value.isdigit() and len(value) <= 4 else default


def become_app(spec: dict, env: dict[str, str], report: int) -> None:
    """In the forked child: its own session, cwd, limits, nice; then the app. On any
    failure, the reason goes to ``report`` (closed by a good exec) and it exits 127."""
    argv = spec["argv"]
    try:
        for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ"):  # as subprocess restores them
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        os.setsid()
        os.chdir(spec["cwd"])
        for res, soft, hard in spec["rlimits"]:
            _, own_hard = resource.getrlimit(res)
            if own_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, own_hard), min(hard, own_hard)
            resource.setrlimit(res, (soft, hard))
        nice = spec.get("nice", 0)
        if nice > 0:
            try:
                os.setpriority(os.PRIO_PROCESS, 0,
                               min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice))
                with open("/proc/self/autogroup", "w") as f:  # its own session's group
                    f.write(str(min(19, nice)))
            except OSError:
                pass
        os.execvpe(argv[0], argv, env)  # PATH from env, as subprocess does
    except BaseException as exc:  # noqa: BLE001 - told to the launcher, then gone
        try:
            os.write(report, f"{argv[0]}: {exc}".encode("utf-8", "replace")[:MAX_ERROR])
        finally:
            os._exit(127)


def main(args: list[str]) -> int:
    if len(args) != 1:
        sys.stderr.write("usage: weblaunch.py SPEC_FILE\n")
        return 2
    spec_path = os.path.abspath(args[0])
    home = os.path.dirname(spec_path)
    pid_path = os.path.join(home, PID_NAME)
    try:
        spec = read_spec(spec_path)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"rnn-tui weblaunch: bad spec file {spec_path}: {exc}\n")
        try:
            write_whole(pid_path, json.dumps({"error": f"bad spec file: {exc}"[:MAX_ERROR]}))
        except OSError:
            pass
        return 2
    env = dict(spec["env"], COLUMNS=size_from_environment("COLUMNS", "80"),
               ROWS=size_from_environment("ROWS", "24"))
    os.setsid()  # out of the server's process group: its terminal's Ctrl-C is not ours
    report, told = os.pipe()  # both close-on-exec
    pid = os.fork()
    if pid == 0:
        os.close(report)
        become_app(spec, env, told)
    os.close(told)
    error = b""
    while len(error) <= MAX_ERROR:
        chunk = os.read(report, 4096)
        if not chunk:
            break
        error += chunk
    os.close(report)
    # the app's stdin, stdout and stderr are its own: none held here
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    if error:
        os.waitpid(pid, 0)
        write_whole(pid_path, json.dumps({"error": error.decode("utf-8", "replace")}))
        return 1
    write_whole(pid_path, json.dumps({"pid": pid, "launcher": os.getpid()}))
    _, status = os.waitpid(pid, 0)
    try:
        write_whole(os.path.join(home, STATUS_NAME), str(os.waitstatus_to_exitcode(status)))
    except OSError:  # the server already removed the directory: it no longer asks
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
