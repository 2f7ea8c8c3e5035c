"""Smoke test of a LetsHangOut deployment: readiness, then sign up, create a lobby, join it.

Three ways in, one flow (`run`):

- AWS Lambda, as the ECS deployment lifecycle hook at POST_TEST_TRAFFIC_SHIFT
  (deploy/cloudformation.yaml's SmokeHookFunction: `aws cloudformation package` zips this
  folder, this file and webclient.py). Its requests go to the load balancer with the test
  listener rule's header, so only the new (green) tasks answer them, before any production
  traffic does. Answering FAILED makes ECS roll the deployment back.
- The command line, as the pipeline's smoke step against an environment's own URL:
      python3 deploy/lambda/smoke_hook.py https://staging.letshangout.example.com
- scripts/smoke.py (`make smoke`), against the container's start command on loopback.

Standard library only: the Lambda runtime and CodeBuild's image both have it.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import secrets
import sys
import time

from webclient import TIMEOUT_SECONDS, CheckFailed, Client, find_form

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


def step(text: str) -> None:
    print(f"  - {text}", flush=True)


def run(
    site: str,
    connect_to: str | None = None,
    extra_headers: dict[str, str] | None = None,
    deadline: float | None = None,
) -> None:
    """The whole check; raises CheckFailed (or OSError) naming what failed, OutOfTime when it
    could not finish by `deadline` (a time.monotonic() value)."""

    def browser() -> Client:
        return Client(site, headers=extra_headers, connect_to=connect_to, deadline=deadline)

    probe = browser()
    for _ in range(READY_CHECKS):
        page = probe.get("/readyz")
        if page.status != 200:
            raise CheckFailed(f"/readyz answered {page.status}: {page.text[:200]}")
    step(f"/readyz 200 x{READY_CHECKS}")

    organizer = browser()
    page = organizer.get("/accounts/signup/", expect=200)
    form = find_form(page, field="password1")
    if form is None or not dict(form["fields"]).get("csrfmiddlewaretoken"):
        raise CheckFailed("no sign-up form with a CSRF token on /accounts/signup/")
    domain = os.environ.get("SMOKE_EMAIL_DOMAIN", DEFAULT_EMAIL_DOMAIN)
    email = f"success+lho-smoke-{secrets.token_hex(4)}@{domain}"
    password = "Smoke-" + secrets.token_urlsafe(18)
    organizer.submit(page, form, {"email": email, "password1": password, "password2": password})
    step(f"signed up as {email}")

    page = organizer.get("/lobbies/new/", expect=200)
    if not page.header("Strict-Transport-Security"):
        raise CheckFailed("no Strict-Transport-Security header on an HTTPS page")
    form = find_form(page, action="/lobbies/new/") or find_form(page, field="title")
    if form is None:
        raise CheckFailed("no create-lobby form on /lobbies/new/")
    created = organizer.submit(
        page, form, {"title": "Smoke test lobby", "display_name": "Smoke Organizer"}
    )
    match = re.fullmatch(r"(?:https?://([^/]+))?/l/([^/]+)/", created.location)
    if not match or match[1] not in (None, organizer.origin.split("://")[1]):
        raise CheckFailed(f"creating a lobby redirected to {created.location!r}")
    code = match[2]
    step(f"created /l/{code}/")

    friend = browser()
    page = friend.get(f"/l/{code}/", expect=200)
    form = find_form(page, action=f"/l/{code}/join/") or find_form(page, field="display_name")
    if form is None:
        raise CheckFailed(f"no join form on /l/{code}/")
    friend.submit(page, form, {"display_name": "Smoke Friend"})
    text = html.unescape(friend.get(f"/l/{code}/", expect=200).text)
    missing = [name for name in ("Smoke Organizer", "Smoke Friend") if name not in text]
    if missing:
        raise CheckFailed(f"/l/{code}/ does not show {', '.join(missing)}")
    step("joined from a second browser; the lobby shows both")
    check_cookies(organizer, friend)


def check_cookies(*browsers: Client) -> None:
    """Every cookie Secure, `__Host-` ones by their rules, the session and CSRF ones set."""
    for browser in browsers:
        for name, attrs in browser.cookie_attrs.items():
            if not attrs["secure"]:
                raise CheckFailed(f"cookie {name} was set without Secure")
            if name.startswith("__Host-") and (attrs["path"] != "/" or attrs["domain"]):
                raise CheckFailed(f"cookie {name} breaks the __Host- rules: {attrs}")
    names = {name for browser in browsers for name in browser.cookie_attrs}
    for wanted in ("__Host-sessionid", "__Host-csrftoken"):
        if wanted not in names:
            raise CheckFailed(f"no {wanted} cookie was set (cookies: {sorted(names)})")
    step("cookies: " + ", ".join(sorted(names)) + " (all Secure)")


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
    except (CheckFailed, OSError, http.client.HTTPException) as error:
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
    except (CheckFailed, OSError, http.client.HTTPException) as error:
        print(f"SMOKE TEST FAILED: {error}", file=sys.stderr)
        return 1
    print("==> Smoke test passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
