"""A small browser for LetsHangOut over HTTP(S): cookies, forms with their CSRF tokens, htmx.

One client for everything that talks to a running site: the deploy smoke hook (smoke_hook.py
beside it, bundled into the Lambda with this file), the container smoke test, the benchmark
and the reliability suite (scripts/stack.py puts this folder on sys.path). Standard library
only: the Lambda has no dependencies.

Production cookies are `__Host-` and Secure. Behind a pretend load balancer (the header
`X-Forwarded-Proto: https` over plain HTTP on loopback) a real browser would not send them,
so the client keeps and sends cookies itself, whatever the scheme.
"""

from __future__ import annotations

import html
import http.client
import re
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie

TIMEOUT_SECONDS = 15


class CheckFailed(Exception):
    """The site answered something other than what the caller expected."""


class OutOfTime(CheckFailed):
    """The client's deadline came before the next request could be sent."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    path: str
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def summary(self) -> str:
        """Status, redirect, form errors and the start of the page's text, for a message."""
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", self.text, flags=re.S | re.I)
        errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>(.*?)</', text, re.S)
        found = "; ".join(html.unescape(re.sub(r"<[^>]+>", " ", e)).strip() for e in errors)
        text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))).strip()
        out = f"status {self.status}" + (f", Location {self.location}" if self.location else "")
        if found:
            out += f"\n      form errors: {found}"
        return out + f"\n      page text: {text[:600]}"


class _Connection(http.client.HTTPSConnection):
    """HTTPS to `connect_to` (a load balancer's DNS name) while asking for, and verifying the
    certificate of, the site's own name."""

    def __init__(self, host: str, port: int, connect_to: str | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._connect_to = connect_to or host

    def connect(self) -> None:
        sock = socket.create_connection((self._connect_to, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Client:
    """One browser on one site: its cookies, a keep-alive connection, its own headers.

    `headers` go with every request (say `X-Forwarded-Proto: https`, or a test listener's
    header); `forwarded_for` plays the address a load balancer reports, so rate limits apply
    per pretend client; `csrf_cookie` names the cookie whose value goes in `X-CSRFToken` on
    unsafe methods (htmx's way); `deadline` (a time.monotonic() value) bounds every request's
    timeout, past it the client raises OutOfTime.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        forwarded_for: str | None = None,
        connect_to: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
        deadline: float | None = None,
        csrf_cookie: str | None = None,
        cookies: dict[str, str] | None = None,
    ) -> None:
        self.headers = dict(headers or {})
        self.forwarded_for = forwarded_for
        self.connect_to = connect_to
        self.default_timeout = timeout
        self.deadline = deadline
        self.csrf_cookie = csrf_cookie
        self.cookies: dict[str, str] = dict(cookies or {})
        self.cookie_attrs: dict[str, dict] = {}
        self._conn: http.client.HTTPConnection | None = None
        self.use(base_url)

    def use(self, base_url: str) -> Client:
        """Talk to another server from now on, keeping the cookies (a load balancer)."""
        if base_url == getattr(self, "base_url", None):
            return self
        self.close()
        self.base_url = base_url
        parts = urllib.parse.urlsplit(base_url)
        self.scheme, self.host = parts.scheme, parts.hostname or ""
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        # What the browser sees: the proxy's scheme when one is pretended.
        scheme = self.headers.get("X-Forwarded-Proto", self.scheme)
        self.origin = f"{scheme}://{parts.netloc}"
        return self

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def timeout(self) -> float:
        """The socket timeout of the next request: never past the deadline."""
        if self.deadline is None:
            return self.default_timeout
        left = self.deadline - time.monotonic()
        if left < 1:
            raise OutOfTime("out of time before the deadline")
        return min(self.default_timeout, left)

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.scheme == "https":
                self._conn = _Connection(self.host, self.port, self.connect_to, timeout)
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        self._conn.timeout = timeout
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        form: dict | list | None = None,
        *,
        body: bytes | None = None,
        htmx: bool = False,
        headers: dict | None = None,
        referer: str | None = None,
        expect: int | tuple[int, ...] | None = None,
    ) -> Response:
        sent = {"User-Agent": "letshangout-client", "Accept": "text/html", **self.headers}
        if self.forwarded_for:
            sent["X-Forwarded-For"] = self.forwarded_for
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method not in ("GET", "HEAD"):
            sent["Origin"] = self.origin
            sent["Referer"] = self.origin + (referer or "/")
            if self.csrf_cookie and self.csrf_cookie in self.cookies:
                sent["X-CSRFToken"] = self.cookies[self.csrf_cookie]
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            sent["HX-Request"] = "true"
        sent.update(headers or {})
        timeout = self.timeout()
        started = time.perf_counter()
        for attempt in range(2):
            conn = self._connection(timeout)
            try:
                conn.request(method, path, body=body, headers=sent)
                raw = conn.getresponse()
                data = raw.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed meanwhile: one fresh try.
                self.close()
                if attempt:
                    raise
        seconds = time.perf_counter() - started
        for value in raw.headers.get_all("Set-Cookie") or []:
            self._store_cookie(value)
        if (raw.getheader("Connection") or "").lower() == "close":
            self.close()
        response_headers = {k.lower(): v for k, v in raw.getheaders()}
        response = Response(raw.status, response_headers, data, path, seconds)
        wanted = (expect,) if isinstance(expect, int) else expect
        if wanted is not None and response.status not in wanted:
            raise CheckFailed(f"{method} {path} expected {expect}, got {response.summary()}")
        return response

    def _store_cookie(self, header: str) -> None:
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)  # a deletion
                continue
            self.cookies[name] = morsel.value
            self.cookie_attrs[name] = {
                "secure": bool(morsel["secure"]),
                "path": morsel["path"],
                "domain": morsel["domain"],
            }

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict | list | None = None, **kwargs) -> Response:
        return self.request("POST", path, form if form is not None else {}, **kwargs)

    def submit(
        self, page: Response, form: dict, values: dict[str, str], expect=(302, 303)
    ) -> Response:
        """Send `form` as a browser would after filling in `values`."""
        fields = [(k, v) for k, v in form["fields"] if k not in values] + list(values.items())
        return self.request("POST", form["action"], fields, referer=page.path, expect=expect)


class FormParser(HTMLParser):
    """Every form on a page, with the fields a browser would submit without edits."""

    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[dict] = []
        self.form: dict | None = None
        self.select: dict | None = None
        self.option: dict | None = None
        self.textarea: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            action = urllib.parse.urlsplit(
                urllib.parse.urljoin(self.page_path, a.get("action") or self.page_path)
            )
            self.form = {
                "action": action.path + (f"?{action.query}" if action.query else ""),
                "method": a.get("method", "get").lower(),
                "fields": [],
                "names": set(),
                "button": None,
            }
            self.forms.append(self.form)
            return
        if tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
            return
        name = a.get("name")
        if self.form is None or not name or "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            self.form["names"].add(name)
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.form["fields"].append((name, a.get("value", "on")))
            elif kind in ("submit", "image"):
                self.form["button"] = self.form["button"] or (name, a.get("value", ""))
            elif kind not in ("button", "reset", "file"):
                self.form["fields"].append((name, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self.form["button"] = self.form["button"] or (name, a.get("value", ""))
        elif tag == "select":
            self.form["names"].add(name)
            self.select = {"name": name, "multiple": "multiple" in a, "chosen": [], "first": None}
        elif tag == "textarea":
            self.form["names"].add(name)
            self.textarea = {"name": name, "text": ""}

    def handle_data(self, data: str) -> None:
        for open_element in (self.option, self.textarea):
            if open_element is not None:
                open_element["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self.select is not None and self.option is not None:
            value = self.option["value"]
            value = self.option["text"].strip() if value is None else value
            if self.select["first"] is None:
                self.select["first"] = value
            if self.option["selected"]:
                self.select["chosen"].append(value)
            self.option = None
        elif tag == "select" and self.select is not None and self.form is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and self.select["first"] is not None:
                chosen = [self.select["first"]]
            for value in chosen if self.select["multiple"] else chosen[-1:]:
                self.form["fields"].append((self.select["name"], value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            text = self.textarea["text"]
            self.form["fields"].append((self.textarea["name"], text.removeprefix("\n")))
            self.textarea = None
        elif tag == "form" and self.form is not None:
            if self.form["button"] is not None:
                self.form["fields"].append(self.form["button"])
            self.form = None


def find_form(page: Response, action: str | None = None, field: str | None = None) -> dict | None:
    """The first POST form on the page posting to `action` and/or holding a `field`."""
    parser = FormParser(page.path)
    parser.feed(page.text)
    for form in parser.forms:
        if form["method"] != "post":
            continue
        if action is not None and form["action"] != action:
            continue
        if field is not None and field not in form["names"]:
            continue
        return form
    return None
