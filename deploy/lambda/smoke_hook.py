"""Smoke test of a LetsHangOut deployment: readiness, then sign up, create a lobby, join it.

Two ways in, one flow:

- AWS Lambda, as the ECS deployment lifecycle hook at POST_TEST_TRAFFIC_SHIFT
  (deploy/cloudformation.yaml embeds this file; `python3 deploy/lambda/embed.py` copies it
  there after an edit). Its requests go to the load balancer with the test listener rule's
  header, so only the new (green) tasks answer them, before any production traffic does.
  Answering FAILED makes ECS roll the deployment back.
- The command line, as the pipeline's smoke step against an environment's own URL:
      python3 deploy/lambda/smoke_hook.py https://staging.letshangout.example.com

Standard library only: the Lambda runtime and CodeBuild's image both have it.
"""

from __future__ import annotations

import html
import http.client
import http.cookies
import json
import os
import re
import secrets
import socket
import ssl
import sys
import time
import urllib.parse
from html.parser import HTMLParser

TIMEOUT_SECONDS = 15
# A run stops asking for more once less than this is left of the Lambda's own time, and answers
# IN_PROGRESS: a Lambda that times out rolls the deployment back at once, retries unused.
MARGIN_SECONDS = TIMEOUT_SECONDS + 5
# /readyz is asked this many times: with several green tasks, each answers some of them.
READY_CHECKS = 4
# A failed run is tried again this many times in all before the hook answers FAILED: a task
# that has just turned healthy may still be warming up.
MAX_ATTEMPTS = 3
# Seconds ECS waits before invoking the hook again after an IN_PROGRESS answer.
CALLBACK_DELAY_SECONDS = 30
# Amazon SES's mailbox simulator: sign-up emails to it are accepted and dropped, and count
# neither against the sending quota nor the bounce rate.
DEFAULT_EMAIL_DOMAIN = "simulator.amazonses.com"


class SmokeFailure(Exception):
    pass


class OutOfTime(SmokeFailure):
    """The run would outlast the Lambda: stop, and let the hook try again."""


class _Connection(http.client.HTTPSConnection):
    """HTTPS to `connect_to` (the load balancer's DNS name) while asking for, and verifying
    the certificate of, the site's own name."""

    def __init__(self, host: str, port: int, connect_to: str | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._connect_to = connect_to or host

    def connect(self) -> None:
        sock = socket.create_connection((self._connect_to, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Page:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: str, path: str):
        self.status, self.headers, self.body, self.path = status, headers, body, path

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class Browser:
    """A cookie jar and forms with CSRF tokens, over one site."""

    def __init__(
        self,
        site: str,
        connect_to: str | None,
        extra_headers: dict[str, str],
        deadline: float | None = None,
    ):
        parts = urllib.parse.urlsplit(site)
        self.scheme, self.host = parts.scheme, parts.hostname or ""
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.origin = f"{self.scheme}://{parts.netloc}"
        self.connect_to = connect_to
        self.extra_headers = extra_headers
        self.cookies: dict[str, str] = {}
        # time.monotonic() by which the whole run must be over (None: no limit).
        self.deadline = deadline

    def timeout(self) -> float:
        """The socket timeout of the next request: never past the deadline."""
        if self.deadline is None:
            return TIMEOUT_SECONDS
        left = self.deadline - time.monotonic()
        if left < 1:
            raise OutOfTime("out of time before the Lambda's own timeout")
        return min(TIMEOUT_SECONDS, left)

    def request(self, method: str, path: str, form: list | None = None, referer: str = "") -> Page:
        timeout = self.timeout()
        if self.scheme == "https":
            conn = _Connection(self.host, self.port, self.connect_to, timeout)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        headers = {"User-Agent": "letshangout-smoke", "Accept": "text/html", **self.extra_headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + (referer or path)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie = http.cookies.SimpleCookie()
                cookie.load(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
        page = Page(response.status, response.getheaders(), text, path)
        if response.status >= 500:
            raise SmokeFailure(f"{method} {path} answered {response.status}")
        return page

    def get(self, path: str) -> Page:
        page = self.request("GET", path)
        if page.status != 200:
            raise SmokeFailure(f"GET {path} answered {page.status}, not 200")
        return page

    def submit(self, page: Page, form: dict, values: dict[str, str]) -> Page:
        fields = [(k, v) for k, v in form["fields"] if k not in values] + list(values.items())
        action = form["action"] or page.path
        answer = self.request("POST", action, fields, referer=page.path)
        if answer.status not in (302, 303):
            errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>(.*?)</', answer.body, re.S)
            shown = "; ".join(html.unescape(re.sub(r"<[^>]+>", " ", e)).strip() for e in errors)
            raise SmokeFailure(f"POST {action} answered {answer.status}, not a redirect: {shown}")
        return answer


class FormParser(HTMLParser):
    """The POST forms of a page: action, field names, and what a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.form: dict | None = None
        self.select: dict | None = None
        self.textarea: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = {"action": a.get("action", ""), "method": a.get("method", "get").lower()}
            self.form.update(fields=[], names=set())
            self.forms.append(self.form)
            return
        if tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in a:
                self.select["chosen"] = value
            return
        name = a.get("name")
        if self.form is None or not name or "disabled" in a:
            return
        self.form["names"].add(name)
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "image", "reset", "file"):
                self.form["fields"].append(
                    (name, a.get("value", "on" if kind == "checkbox" else ""))
                )
        elif tag == "select":
            self.select = {"name": name, "first": None, "chosen": None}
        elif tag == "textarea":
            self.textarea = {"name": name, "text": ""}

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select is not None and self.form is not None:
            value = (
                self.select["chosen"] if self.select["chosen"] is not None else self.select["first"]
            )
            if value is not None:
                self.form["fields"].append((self.select["name"], value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self.form["fields"].append((self.textarea["name"], self.textarea["text"].lstrip("\n")))
            self.textarea = None
        elif tag == "form":
            self.form = None


def find_form(page: Page, action: str | None = None, field: str | None = None) -> dict | None:
    parser = FormParser()
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


def step(text: str) -> None:
    print(f"  - {text}", flush=True)


def run(
    site: str,
    connect_to: str | None = None,
    extra_headers: dict[str, str] | None = None,
    deadline: float | None = None,
):
    """The whole check; raises SmokeFailure (or OSError) naming what failed, OutOfTime when it
    could not finish by `deadline` (a time.monotonic() value)."""
    headers = extra_headers or {}
    probe = Browser(site, connect_to, headers, deadline)
    for _ in range(READY_CHECKS):
        page = probe.request("GET", "/readyz")
        if page.status != 200:
            raise SmokeFailure(f"/readyz answered {page.status}: {page.body[:200]}")
    step(f"/readyz 200 x{READY_CHECKS}")

    organizer = Browser(site, connect_to, headers, deadline)
    page = organizer.get("/accounts/signup/")
    form = find_form(page, field="password1")
    if form is None:
        raise SmokeFailure("no sign-up form on /accounts/signup/")
    domain = os.environ.get("SMOKE_EMAIL_DOMAIN", DEFAULT_EMAIL_DOMAIN)
    email = f"success+lho-smoke-{secrets.token_hex(4)}@{domain}"
    password = "Smoke-" + secrets.token_urlsafe(18)
    organizer.submit(page, form, {"email": email, "password1": password, "password2": password})
    step(f"signed up as {email}")

    page = organizer.get("/lobbies/new/")
    form = find_form(page, action="/lobbies/new/") or find_form(page, field="title")
    if form is None:
        raise SmokeFailure("no create-lobby form on /lobbies/new/")
    created = organizer.submit(
        page, form, {"title": "Smoke test lobby", "display_name": "Smoke Organizer"}
    )
    match = re.fullmatch(r"(?:https?://[^/]+)?/l/([^/]+)/", created.header("Location") or "")
    if not match:
        raise SmokeFailure(f"creating a lobby redirected to {created.header('Location')!r}")
    code = match.group(1)
    step(f"created /l/{code}/")

    friend = Browser(site, connect_to, headers, deadline)
    page = friend.get(f"/l/{code}/")
    form = find_form(page, action=f"/l/{code}/join/") or find_form(page, field="display_name")
    if form is None:
        raise SmokeFailure(f"no join form on /l/{code}/")
    friend.submit(page, form, {"display_name": "Smoke Friend"})
    text = html.unescape(friend.get(f"/l/{code}/").body)
    missing = [name for name in ("Smoke Organizer", "Smoke Friend") if name not in text]
    if missing:
        raise SmokeFailure(f"/l/{code}/ does not show {', '.join(missing)}")
    step("joined from a second browser; the lobby shows both")


def deadline_of(context: object) -> float | None:
    """When the run must stop to answer before the Lambda times out (None outside Lambda)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return time.monotonic() + remaining() / 1000 - MARGIN_SECONDS


def handler(event: dict, context: object) -> dict:
    """ECS lifecycle hook: SUCCEEDED lets traffic shift to the new tasks, FAILED rolls back."""
    details = event.get("hookDetails") or {}
    attempt = int(details.get("attempt", 1)) if isinstance(details, dict) else 1
    site = "https://" + os.environ["SITE_HOST"]
    headers = {os.environ["TEST_HEADER_NAME"]: os.environ["TEST_HEADER_VALUE"]}
    print(json.dumps({"stage": "smoke", "attempt": attempt, "event": event}, default=str))
    try:
        run(site, os.environ.get("CONNECT_TO") or None, headers, deadline_of(context))
    except (SmokeFailure, OSError, http.client.HTTPException) as error:
        print(f"SMOKE TEST FAILED (attempt {attempt} of {MAX_ATTEMPTS}): {error}", flush=True)
        if attempt < MAX_ATTEMPTS:
            return {
                "hookStatus": "IN_PROGRESS",
                "callBackDelay": CALLBACK_DELAY_SECONDS,
                "hookDetails": {"attempt": attempt + 1},
            }
        return {"hookStatus": "FAILED"}
    print("Smoke test passed", flush=True)
    return {"hookStatus": "SUCCEEDED"}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].startswith(("https://", "http://")):
        print("usage: smoke_hook.py https://<site>", file=sys.stderr)
        return 2
    print(f"==> Smoke test of {argv[1]}", flush=True)
    try:
        run(argv[1].rstrip("/"))
    except (SmokeFailure, OSError, http.client.HTTPException) as error:
        print(f"SMOKE TEST FAILED: {error}", file=sys.stderr)
        return 1
    print("==> Smoke test passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
