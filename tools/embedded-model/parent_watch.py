"""Ends this process when the process that started it is gone, even if that one was killed with SIGKILL
and could stop nothing (tools/embedded-model/tied-child.ts). Two signs, either one enough:

- stdin is a pipe from the parent that is never written: end-of-file means the parent has exited;
- the parent pid changes (the process was re-parented to pid 1 or a subreaper).

With stdin not a pipe (a terminal, /dev/null: started by hand), only the parent pid is watched.
"""
import os
import stat
import sys
import threading
import time


def _exit_now() -> None:
    # The server's threads hold nothing that needs saving; a plain exit from a thread would not stop them.
    os._exit(0)


def _watch_stdin() -> None:
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    _exit_now()


def _watch_parent(parent: int, every: float) -> None:
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            _exit_now()


def start(every: float = 1.0) -> None:
    """Starts the watch in daemon threads; returns at once."""
    parent = os.getppid()
    try:
        piped = stat.S_ISFIFO(os.fstat(0).st_mode) or stat.S_ISSOCK(os.fstat(0).st_mode)
    except OSError:
        piped = False
    if piped:
        threading.Thread(target=_watch_stdin, name="parent-watch-stdin", daemon=True).start()
    threading.Thread(target=_watch_parent, args=(parent, every), name="parent-watch-pid", daemon=True).start()


if __name__ == "__main__":
    # A stand-in for the server in tests: watch the parent, then sleep.
    start(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
    print(f"pid {os.getpid()}", flush=True)
    while True:
        time.sleep(3600)
