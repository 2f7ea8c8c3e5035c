"""Container smoke test without Docker: prove what the image holds and does (`make smoke`).

    python scripts/smoke.py [VENV_DIR]      (VENV_DIR: default .venv; makes the fresh venv)

1. a FRESH virtual environment with requirements.txt only (the image's dependencies);
   SMOKE_REUSE_VENV=1 uses VENV_DIR itself instead, to save time;
2. the image's build steps with production settings: compilemessages, compilejsi18n,
   collectstatic;
3. DynamoDB Local in memory on a free port, an SMTP sink; migrate, createcachetable,
   dynamo_create_table; PostgreSQL when SMOKE_DATABASE_URL is set (it must name an empty
   database), else SQLite in a temporary folder;
4. exactly the image's CMD, `gunicorn -c gunicorn.conf.py letshangout.wsgi:application`,
   with DJANGO_ENV=production behind a pretend proxy (X-Forwarded-Proto: https);
5. checks: /healthz as the load balancer asks it, /readyz, the HTTPS redirect, security
   headers, a hashed static file with far-future caching and compression, then the deploy
   smoke flow (deploy/lambda/smoke_hook.py's `run`: sign up, create a lobby, a second browser
   joins it); the 503 page while DynamoDB is down; gunicorn stops gracefully on SIGTERM, and
   its log lines are JSON.

Exits non-zero with a message naming the failed check; stops only what it started.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import stack  # first: it puts the project and deploy/lambda/ on sys.path

# isort: split
from smoke_hook import run as smoke_flow
from webclient import CheckFailed, Client

ROOT = stack.ROOT
PROXY = {"X-Forwarded-Proto": "https"}
# Unset in the app's environment: nothing from the caller's may point it elsewhere.
CALLER_ONLY = (
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "GUNICORN_ACCESS_LOG",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    # The benchmark's relaxations: the smoke test keeps production's defaults.
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "EMAIL_TIMEOUT",
    "TRUSTED_PROXY_COUNT",
    "FORWARDED_ALLOW_IPS",
)


def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def ok(text: str) -> None:
    print(f"    ok: {text}", flush=True)


def warn(text: str) -> None:
    print(f"    WARNING: {text}", file=sys.stderr, flush=True)


def check(condition: bool, failure: str) -> None:
    if not condition:
        raise CheckFailed(failure)


class MailSink(socketserver.ThreadingTCPServer):
    """An SMTP server that accepts every message and counts it."""

    daemon_threads = True
    messages = 0

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(b"220 smoke ESMTP\r\n")
            while line := self.rfile.readline():
                verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250-smoke\r\n250 8BITMIME\r\n")
                elif verb == "DATA":
                    self.wfile.write(b"354 end with <CRLF>.<CRLF>\r\n")
                    while (data := self.rfile.readline()) and data not in (b".\r\n", b".\n"):
                        pass
                    self.server.messages += 1
                    self.wfile.write(b"250 queued\r\n")
                elif verb == "QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:  # MAIL, RCPT, RSET, NOOP...
                    self.wfile.write(b"250 ok\r\n")

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), self.Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def image_venv(base: Path, workdir: Path) -> Path:
    """The bin folder of a fresh virtual environment with requirements.txt only."""
    if os.environ.get("SMOKE_REUSE_VENV") == "1":
        say(f"Reusing {base} (SMOKE_REUSE_VENV=1)")
        return base.resolve() / "bin"
    python = base / "bin" / "python"
    python = python if python.exists() else Path(sys.executable)
    venv = workdir / "venv"
    say(f"Fresh virtual environment in {venv} with requirements.txt only")
    subprocess.run([python, "-m", "venv", venv], check=True)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet"]
    done = subprocess.run([*pip, "--disable-pip-version-check", "-r", ROOT / "requirements.txt"])
    check(done.returncode == 0, "pip could not install requirements.txt")
    return venv / "bin"


def smoke_env(smoke: stack.Stack, web_port: int, mail_port: int) -> dict[str, str]:
    env = {key: value for key, value in smoke.env.items() if key not in CALLER_ONLY}
    origins = f"https://127.0.0.1:{web_port},https://localhost:{web_port}"
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=origins,
        DYNAMODB_TABLE="letshangout-smoke",
        AWS_REGION="eu-west-1",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="smoke",
        AWS_SECRET_ACCESS_KEY="smoke",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(mail_port),
        EMAIL_USE_TLS="0",
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        DEFAULT_FROM_EMAIL="smoke@example.com",
        SITE_URL=f"https://127.0.0.1:{web_port}",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if os.environ.get("SMOKE_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["SMOKE_DATABASE_URL"]
    return env


def manage(smoke: stack.Stack, *args: str) -> None:
    """A manage.py command with the image's Python and production settings."""
    env = {**smoke.env, "PATH": f"{smoke.bin_dir}{os.pathsep}{smoke.env.get('PATH', '')}"}
    done = subprocess.run([smoke.bin_dir / "python", "manage.py", *args], cwd=ROOT, env=env)
    check(done.returncode == 0, f"manage.py {' '.join(args)} failed")


def build(smoke: stack.Stack) -> None:
    """The image's build steps, in its order: the JavaScript catalogs are made from the .mo
    files, and collectstatic takes them in."""
    if shutil.which("msgfmt") is None:
        warn("gettext's msgfmt is not installed: compilemessages skipped (the image runs it)")
    else:
        say("Build step: compilemessages")
        ignored = (".venv", "node_modules", "staticfiles", "var")
        manage(smoke, "compilemessages", *(f"--ignore={name}" for name in ignored))
    say("Build steps: compilejsi18n, collectstatic (production settings)")
    manage(smoke, "compilejsi18n")
    check((ROOT / "static/jsi18n/de/djangojs.js").exists(), "no static/jsi18n/de/djangojs.js")
    manage(smoke, "collectstatic", "--noinput", "--verbosity", "1")
    check((ROOT / "staticfiles/staticfiles.json").exists(), "no staticfiles/staticfiles.json")


def check_server(base: str) -> None:
    """What the load balancer and a browser see of the container before any lobby."""
    plain, proxied = Client(base), Client(base, headers=PROXY)
    say("/healthz as the load balancer asks (plain HTTP, Host is the task's IP), /readyz")
    answer = plain.get("/healthz", headers={"Host": "10.0.12.34:8000"}, expect=200)
    ok(f"/healthz 200 {answer.text[:100]}")
    proxied.get("/healthz", expect=200)
    ok(f"/readyz 200 {proxied.get('/readyz', expect=200).text[:200]}")

    say("GET / over plain HTTP is redirected to HTTPS; the HTTPS page's security headers")
    answer = plain.get("/", expect=301)
    check(answer.location.startswith("https://"), f"/ redirected to {answer.location!r}")
    ok(f"301 -> {answer.location}")
    answer = proxied.get("/", expect=200)
    for name in ("Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options"):
        check(bool(answer.header(name)), f"no {name} header on / in production")
    ok("Strict-Transport-Security, Content-Security-Policy, X-Content-Type-Options")

    say("Static file: css/app.css through the staticfiles.json manifest")
    manifest = json.loads((ROOT / "staticfiles/staticfiles.json").read_text())["paths"]
    check("css/app.css" in manifest, "css/app.css is not in staticfiles/staticfiles.json")
    path = f"/static/{manifest['css/app.css']}"
    answer = proxied.get(path, headers={"Accept-Encoding": "br, gzip"}, expect=200)
    cache, encoding = answer.header("Cache-Control") or "", answer.header("Content-Encoding")
    max_age = cache.partition("max-age=")[2].split(",")[0]
    check(max_age.isdigit() and int(max_age) >= 31536000, f"{path} Cache-Control is {cache!r}")
    check(encoding in ("br", "gzip"), f"{path} came without br or gzip ({encoding!r})")
    ok(f"{path} 200, Cache-Control: {cache}, Content-Encoding: {encoding}")
    answer = proxied.get(path, headers={"Accept-Encoding": "gzip"}, expect=200)
    check(answer.header("Content-Encoding") == "gzip", f"{path} is not gzip to gzip-only clients")
    ok("gzip-only clients get gzip")


def check_outage(smoke: stack.Stack, base: str, lobby_path: str) -> None:
    say("DynamoDB stopped: /readyz 503, a lobby page 503 with Retry-After, not a 500")
    smoke.stop_dynamo()
    client = Client(base, headers=PROXY, timeout=30)
    client.get("/readyz", expect=503)
    answer = client.get(lobby_path, expect=503)
    check(bool(answer.header("Retry-After")), f"{lobby_path}'s 503 has no Retry-After")
    ok(f"/readyz 503; {lobby_path} 503, Retry-After: {answer.header('Retry-After')}")


def stop_gracefully(server: stack.Server) -> None:
    say("gunicorn stops gracefully on SIGTERM (as ECS stops a task)")
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        status = server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise CheckFailed("gunicorn was still running 30 s after SIGTERM") from None
    check(status == 0, f"gunicorn exited with status {status} after SIGTERM")
    ok("gunicorn exited cleanly")
    say("Log lines on stdout and stderr are JSON")
    bad = []
    for line in server.log_path.read_text(errors="replace").splitlines():
        try:
            json.loads(line) if line.strip() else None
        except ValueError:
            bad.append(line)
    for line in bad[:10]:
        print(f"      not JSON: {line[:200]}")
    if bad:
        warn(f"{len(bad)} log lines are not JSON (listed above)")
    else:
        ok("every line is JSON")


def main(argv: list[str]) -> int:
    base_venv = Path(argv[1] if len(argv) > 1 else ".venv")
    smoke = stack.Stack()
    mail = MailSink()
    failed = False
    try:
        smoke.bin_dir = image_venv(base_venv, smoke.workdir)
        web_port = stack.free_port()
        smoke.env = smoke_env(smoke, web_port, mail.server_address[1])
        build(smoke)
        say(f"DynamoDB Local in memory on port {smoke.dynamo_port}; migrations")
        smoke.start_dynamo()
        for command in ("migrate", "createcachetable", "dynamo_create_table"):
            manage(smoke, command, *(["--noinput"] if command == "migrate" else []))
        say(f"gunicorn -c gunicorn.conf.py letshangout.wsgi:application (PORT={web_port})")
        server = smoke.start_server("gunicorn", port=web_port, loopback=False)
        ok(f"gunicorn answers (pid {server.process.pid})")
        check_server(server.base_url)
        say("The deploy smoke flow: sign up, create a lobby, join it from a second browser")
        smoke_flow(server.base_url, extra_headers=PROXY)
        if mail.messages:
            ok(f"{mail.messages} email(s) reached the SMTP server")
        else:
            warn("signing up sent no email")
        check_outage(smoke, server.base_url, "/l/ABCDEFGH/")
        stop_gracefully(server)
    except (CheckFailed, OSError) as error:
        failed = True
        print(f"\nSMOKE TEST FAILED: {error}", file=sys.stderr)
        for log in smoke.workdir.glob("*.log"):
            print(f"\n----- last lines of {log.name} -----", file=sys.stderr)
            for line in log.read_text(errors="replace").splitlines()[-60:]:
                print(line[:500], file=sys.stderr)
    finally:
        mail.shutdown()
        smoke.close()
    if not failed:
        say("Smoke test passed")
    return 1 if failed else 0


if __name__ == "__main__":
    started = time.monotonic()
    status = main(sys.argv)
    print(f"({time.monotonic() - started:.0f} s)")
    sys.exit(status)
