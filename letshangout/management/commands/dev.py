from __future__ import annotations

import _thread
import os
import signal
import threading
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from letshangout import dynamo
from letshangout.emulator import local as dynamo_local


class Command(BaseCommand):
    help = (
        "Serve the app for development: starts its own persisted DynamoDB Local (data in "
        "var/dynamodb; on DYNAMODB_LOCAL_PORT, or a free port if that one is taken), creates the "
        "table, migrates, then runs the dev server."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--dynamodb-dir",
            type=Path,
            default=Path(settings.VAR_DIR) / "dynamodb",
            help="where DynamoDB Local keeps its data (default: var/dynamodb)",
        )

    def handle(self, *args, addrport: str, dynamodb_dir: Path, **options):
        # `make run` killed outright must not leave this server, and so its emulator, behind:
        # the kernel turns make's death into a SIGTERM here, which stops both in order.
        dynamo_local.die_with_parent(os.getppid())
        # Ctrl+C must stop the server even when it starts with SIGINT ignored, as everything
        # run as an asynchronous list (`cmd &`) by a non-interactive shell does (a CI script,
        # a task runner): Python then leaves SIGINT ignored and raises no KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        web_port = _port_of(addrport)
        if web_port is not None and not dynamo_local.port_is_free(web_port):
            # Said now, not after starting everything and claiming the app "is at" it.
            raise CommandError(f"Port {web_port} is already in use: choose another one.")
        port = self._emulator_port(web_port)
        self.stdout.write(f"• Starting DynamoDB Local on port {port} (data in {dynamodb_dir})…")
        try:
            local = dynamo_local.start(port, dynamodb_dir)
        except dynamo_local.DynamoLocalError as error:
            raise CommandError(str(error)) from error
        dynamo.configure(local.endpoint_url, settings.DYNAMODB_TABLE)
        if not os.environ.get("SITE_URL"):
            settings.SITE_URL = dev_site_url(addrport)  # emails link to this very server
        _stop_with(local, self.stderr)
        # A closed terminal (SIGHUP) or a `kill` (SIGTERM) must stop DynamoDB Local too, as
        # Ctrl+C does: without this the jar outlived the server and held the port.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _exit_cleanly)
        try:
            self.stdout.write("• Creating the DynamoDB table if needed…")
            dynamo.create_table()
            self.stdout.write("• Applying database migrations…")
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write(self.style.SUCCESS(f"• LetsHangOut is at http://{addrport}/"))
            call_command("runserver", addrport, use_reloader=False)
        finally:
            local.stop()
            self.stdout.write(f"• DynamoDB Local stopped; your lobbies are kept in {dynamodb_dir}.")

    def _emulator_port(self, web_port: int | None) -> int:
        """DynamoDB Local's port: DYNAMODB_LOCAL_PORT unless the app is to serve there or
        something else listens there (another checkout's emulator); then a free one."""
        port = settings.DYNAMODB_LOCAL_PORT
        if port == web_port:
            why = f"Port {port} is the app's"
        elif not dynamo_local.port_is_free(port):
            why = f"Port {port} is taken (another checkout's DynamoDB Local?)"
        else:
            return port
        free = dynamo_local.free_port()
        while free == web_port:
            free = dynamo_local.free_port()
        self.stdout.write(
            self.style.WARNING(
                f"• {why}; using port {free} for DynamoDB Local. Set DYNAMODB_LOCAL_PORT to choose."
            )
        )
        return free


def _port_of(addrport: str) -> int | None:
    """The port runserver is to listen on ("8080", "127.0.0.1:8000", "[::1]:8000")."""
    port = addrport.rpartition(":")[2]
    return int(port) if port.isdigit() else None


def dev_site_url(addrport: str) -> str:
    """The address runserver serves `addrport` at ("8080", "0.0.0.0:8000", "[::1]:8000")."""
    host, _, port = addrport.rpartition(":")
    if host in {"", "0.0.0.0", "0"}:
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _stop_with(local, stderr) -> None:
    """The emulator dying under the server must stop the server too, loudly: a server that
    runs on without its database only answers 503s."""

    def watch() -> None:
        code = local.process.wait()
        if not local.stopping:
            stderr.write(f"DynamoDB Local exited (code {code}); stopping the server.")
            _thread.interrupt_main()

    threading.Thread(target=watch, daemon=True).start()


def _exit_cleanly(signum, _frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through handle's `finally`
