"""LetsHangOut as production runs it, on loopback, for `make bench` and `make reliability`.

A `Stack` owns everything it starts: DynamoDB Local (in memory, or persisted so it can be
stopped and started again), optionally the proxy that enforces DynamoDB's rules in front of
it (letshangout/emulator/rules.py, when `rules_hold_ms` is set), a SQLite database in a
temporary folder, and one or more gunicorn servers started exactly as the container starts
them (`gunicorn -c gunicorn.conf.py`) with DJANGO_ENV=production. The calling process
configures Django with the same environment, so it can seed data through the services and
read back what was stored.

`client()` gives a browser for those servers: deploy/lambda/webclient.py's Client behind a
pretend load balancer (X-Forwarded-Proto: https), seated in a lobby when given a session.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The project, and the folder of the shared HTTP client (bundled with the deploy hook there).
for path in (ROOT, ROOT / "deploy" / "lambda"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from webclient import Client  # noqa: E402

from letshangout.emulator.local import free_port  # noqa: E402

TABLE = "letshangout"


def production_env(workdir: Path, dynamo_port: int, **extra: str) -> dict[str, str]:
    """The environment of a production container, pointed at loopback services."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "DYNAMODB_", "CACHE_", "RATE_LIMIT_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="letshangout.settings",
        DJANGO_ENV="production",
        SECRET_KEY="stack-" + secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS="",
        EMAIL_HOST="localhost",
        SITE_URL="http://127.0.0.1",
        EMAIL_PORT="1",
        EMAIL_TIMEOUT="1",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        DYNAMODB_ENDPOINT_URL=f"http://127.0.0.1:{dynamo_port}",
        DYNAMODB_TABLE=TABLE,
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        LOG_LEVEL="INFO",
        METRICS_EMF="0",
        TRUSTED_PROXY_COUNT="1",
        FORWARDED_ALLOW_IPS="127.0.0.1,::1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def request_lines(self, start: int = 0, route: str | None = None) -> list[dict]:
        """The app's one-JSON-line-per-request records written since a log offset (of one
        route, when given), once the last requests' lines have reached the file."""
        time.sleep(0.3)
        with self.log_path.open("rb") as log:
            log.seek(start)
            chunk = log.read()
        lines = []
        for raw in chunk.splitlines():
            if not raw.startswith(b"{"):
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if line.get("message") == "request" and "dynamodb_calls" in line:
                lines.append(line)
        return [line for line in lines if route is None or line.get("route") == route]

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the master's children."""
        pid = self.process.pid
        return [
            int(n)
            for task in Path(f"/proc/{pid}/task").glob("*/children")
            for n in task.read_text().split()
        ]

    def worker_rss_mb(self) -> list[float]:
        """VmRSS of each worker, in MB."""
        sizes = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                kb = next(line for line in status.splitlines() if line.startswith("VmRSS"))
                sizes.append(int(kb.split()[1]) / 1024)
        return sizes


@dataclass
class RulesProxyProcess:
    """letshangout.emulator.rules in a process of its own, which dies with the one that started
    it; its threads then compete with nobody's for the GIL."""

    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def start_rules_proxy(upstream: str, hold_ms: int, port: int | None = None) -> RulesProxyProcess:
    """Start the DynamoDB rules proxy in front of `upstream` (DynamoDB Local's URL) and return
    once it listens; point DYNAMODB_ENDPOINT_URL at `.url`."""
    from letshangout.emulator import local as dynamo_local

    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "letshangout.emulator.rules", "--upstream", upstream]
        + ["--port", str(port), "--hold-ms", str(hold_ms)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        preexec_fn=dynamo_local.dies_with_this_process(),
    )
    deadline = time.monotonic() + 30
    while not dynamo_local.is_ready(port):  # answers through the proxy: both are up
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the DynamoDB rules proxy did not start on port {port}")
        time.sleep(0.05)
    return RulesProxyProcess(f"http://127.0.0.1:{port}", process)


@dataclass
class Stack:
    """DynamoDB Local + SQLite + gunicorn servers, all on loopback, all stopped by `close`."""

    persist_dynamo: bool = False
    # Milliseconds each transaction stays in flight in the rules proxy; None: no proxy, the
    # app talks to DynamoDB Local directly.
    rules_hold_ms: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lho-stack-")))
    dynamo_port: int = field(default_factory=free_port)
    servers: list[Server] = field(default_factory=list)
    rules_port: int = field(default_factory=free_port)
    dynamo: object | None = None
    rules: RulesProxyProcess | None = None
    env: dict[str, str] = field(default_factory=dict)
    # The virtual environment whose gunicorn serves (the image's own, for the smoke test).
    bin_dir: Path = BIN

    def __post_init__(self):
        app_port = self.dynamo_port if self.rules_hold_ms is None else self.rules_port
        self.env = production_env(self.workdir, app_port, **self.extra_env)

    # --- the calling process ------------------------------------------------------------

    def configure_django(self) -> None:
        """Make this process a production-configured Django talking to the stack."""
        os.environ.update(self.env)
        import django

        django.setup()

    def prepare(self) -> None:
        """What the container's build and release steps do: static files, tables."""
        from django.core.management import call_command

        call_command("compilejsi18n", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("dynamo_create_table", verbosity=0)

    # --- DynamoDB Local ---------------------------------------------------------------------

    def start_dynamo(self) -> None:
        from letshangout.emulator import local as dynamo_local

        db_path = self.workdir / "dynamodb" if self.persist_dynamo else None
        self.dynamo = dynamo_local.start(self.dynamo_port, db_path)
        if self.rules_hold_ms is not None and self.rules is None:
            # Started once: it stays up while DynamoDB Local is stopped and started again.
            upstream = f"http://127.0.0.1:{self.dynamo_port}"
            self.rules = start_rules_proxy(upstream, self.rules_hold_ms, self.rules_port)

    def stop_dynamo(self) -> None:
        if self.dynamo is not None:
            self.dynamo.stop()
            self.dynamo = None

    # --- gunicorn -----------------------------------------------------------------------

    def start_server(
        self, name: str = "app", port: int | None = None, loopback: bool = True, **extra_env: str
    ) -> Server:
        """gunicorn as the image's CMD starts it, on `port` (a free one by default); bound to
        127.0.0.1 unless `loopback` is False (then exactly the CMD: gunicorn.conf.py's bind)."""
        port = port or free_port()
        log_path = self.workdir / f"{name}.log"
        env = {**self.env, "PORT": str(port), **extra_env}
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        bind = ["--bind", f"127.0.0.1:{port}"] if loopback else []
        log = log_path.open("ab")
        process = subprocess.Popen(
            [str(self.bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", *bind]
            + ["letshangout.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        server = Server(name, port, process, log_path)
        self.servers.append(server)
        wait_for_http(server, "/healthz", timeout=60)
        return server

    def stop_server(self, server: Server) -> None:
        if server.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGTERM)
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait()

    def close(self, keep_workdir: bool = False) -> None:
        for server in self.servers:
            self.stop_server(server)
        self.stop_dynamo()
        if self.rules is not None:
            self.rules.stop()
        if not keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def wait_for_http(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"gunicorn {server.name} exited at start:\n{tail}")
        probe = Client(server.base_url, timeout=2)
        with contextlib.suppress(OSError), contextlib.closing(probe):
            if probe.get(path).status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn {server.name} did not answer {path} within {timeout:.0f}s")


# --- HTTP clients ---------------------------------------------------------------------------


def random_csrf_secret() -> str:
    # Django accepts an unmasked 32-character secret in both the cookie and the header.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def client(
    server: Server,
    session: str | None = None,
    forwarded_for: str | None = None,
    timeout: float = 15.0,
) -> Client:
    """A browser behind the pretend load balancer, holding a CSRF secret and, when given, a
    session cookie (from `new_session_cookie`). Needs `configure_django` first."""
    from django.conf import settings

    cookies = {settings.CSRF_COOKIE_NAME: random_csrf_secret()}
    if session is not None:
        cookies[settings.SESSION_COOKIE_NAME] = session
    return Client(
        server.base_url,
        headers={"X-Forwarded-Proto": "https"},
        forwarded_for=forwarded_for,
        timeout=timeout,
        csrf_cookie=settings.CSRF_COOKIE_NAME,
        cookies=cookies,
    )


def new_session_cookie(seats: dict[str, str]) -> str:
    """A server-side session that already sits in the given lobbies (code -> participant id),
    as joining or a personal link would leave it. Needs `configure_django` first."""
    from importlib import import_module

    from django.conf import settings

    from lobbies.people import identity

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[identity.SESSION_KEY] = dict(seats)
    store.save()  # a database row, or the signed cookie itself, whichever engine is set
    return store.session_key


def marks_form(pid: str, grid: str, slot_count: int, yes: frozenset, maybe: frozenset) -> dict:
    """What the grid's form posts to save a participant's marks."""
    from lobbies.availability.grid import bitmap_to_text, encode_bitmap

    return {
        "participant": pid,
        "grid": grid,
        "yes": bitmap_to_text(encode_bitmap(yes, slot_count)),
        "maybe": bitmap_to_text(encode_bitmap(maybe, slot_count)),
    }


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]
