"""``manage.py run_local``: the embedded mode of ``make run`` — the development server and
``run_cron.py`` side by side, stopped together.

Ctrl-C (SIGINT) or SIGTERM stops both children and exits 0, with no noise. Each child runs in a
process group of its own (the server's autoreloader has a child of its own too), so the stop
reaches the whole group of each, and nothing else; one that does not stop within the grace
period is killed. When a child ends by itself (the port is taken, say), the other is stopped
and the command fails with that child's exit code.

Started from a terminal (``make run``), the command also takes the terminal's foreground for
itself while it runs, as a shell does for a job: Ctrl-C then reaches only this command, not
``make`` above it, which would otherwise report "Interrupt" and fail although everything
stopped cleanly.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

GRACE_SECONDS = 10.0


class Command(BaseCommand):
    help = "Run the development server and run_cron.py together; Ctrl-C stops both cleanly."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="the server's address:port")
        parser.add_argument("--cron-interval", type=float, default=20.0, help="run_cron.py's seconds between checks")
        parser.add_argument("--noreload", action="store_true", help="the server does not restart on code changes")

    def handle(self, *args: Any, addrport: str, cron_interval: float, noreload: bool, **options: Any) -> None:
        base = str(settings.BASE_DIR)
        server = [sys.executable, os.path.join(base, "manage.py"), "runserver", addrport]
        if noreload:
            server.append("--noreload")
        cron = [sys.executable, os.path.join(base, "run_cron.py"), "--interval", f"{cron_interval:g}"]

        terminal = _take_terminal()
        stop = threading.Event()
        previous = {
            sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        children: dict[str, subprocess.Popen[bytes]] = {}
        try:
            self.stdout.write(
                f"Agora: http://{addrport}  (run_cron.py runs the scheduled jobs beside it; Ctrl-C stops both)"
            )
            self.stdout.flush()
            for name, command in (("the server", server), ("run_cron.py", cron)):
                children[name] = subprocess.Popen(command, cwd=base, process_group=0)  # noqa: S603  # nosec B603
            while not stop.is_set() and all(child.poll() is None for child in children.values()):
                stop.wait(0.5)
            ended = [(name, child.returncode) for name, child in children.items() if child.poll() is not None]
        finally:
            for child in children.values():
                _stop(child)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            _give_back_terminal(terminal)
        if not stop.is_set() and ended:
            name, code = ended[0]
            raise CommandError(f"{name} ended with exit code {code}; the other was stopped.")
        self.stdout.write("Agora stopped.")


def _take_terminal() -> tuple[int, int] | None:
    """Move this process into a group of its own and make that the terminal's foreground group;
    returns what ``_give_back_terminal`` needs, or None when not in the foreground of a terminal."""
    try:
        fd = sys.stdin.fileno()
        if not os.isatty(fd) or os.tcgetpgrp(fd) != os.getpgrp():
            return None
        foreground = os.tcgetpgrp(fd)
        os.setpgid(0, 0)
        # A process outside the foreground group that changes it is sent SIGTTOU (and stopped).
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(fd, os.getpgrp())
    except (OSError, ValueError):
        return None
    return fd, foreground


def _give_back_terminal(terminal: tuple[int, int] | None) -> None:
    if terminal is not None:
        fd, foreground = terminal
        # OSError: the group that had it (make) has gone, so there is nothing to give back.
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, foreground)


def _stop(child: "subprocess.Popen[bytes]") -> None:
    """Ask a child's process group to stop as Ctrl-C would; kill it after the grace period."""
    if child.poll() is None:
        _signal_group(child, signal.SIGINT)
    try:
        child.wait(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(child, signal.SIGKILL)
        child.wait()
    # The server's autoreloader child shares the group: make sure nothing of it outlives us.
    _signal_group(child, signal.SIGKILL)


def _signal_group(child: "subprocess.Popen[bytes]", sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has ended already
        os.killpg(child.pid, sig)
