"""The Content Security Policy on every page type, and pages that need nothing it forbids:
no inline script, no inline style (elements or attributes), no event-handler attributes,
no javascript: URLs. The admin gets the same strict policy: Django's admin templates put
their data in data-* attributes of src'd scripts, and its one inline <style> (a change list
without actions) never renders here, since every model admin keeps "delete selected".
"""

from __future__ import annotations

from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import path, reverse
from django.utils.csp import build_policy

from hangout import urls as site_urls
from lobbies.store import load_lobby
from tests.factories import small_demo
from tests.test_logging import boom
from voting import services as voting

urlpatterns = [path("l/<str:code>/boom/", boom, name="boom"), *site_urls.urlpatterns]
handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500

# Non-executable data blocks ({{ value|json_script }}): the browser never runs them, so CSP
# has nothing to say about them; they replace inline scripts, they are not one.
DATA_SCRIPT_TYPES = {"application/json"}


class InlineFinder(HTMLParser):
    """Everything in a page that a strict CSP would block or that needs 'unsafe-inline'."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.scripts_with_src = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.scripts_with_src += 1
            elif attributes.get("type") not in DATA_SCRIPT_TYPES:
                self.problems.append(f"inline <script {attrs}>")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>: {value}")
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name} on <{tag}>")


def assert_strict(response, settings) -> InlineFinder:
    header = response.headers.get("Content-Security-Policy")
    assert header == build_policy(settings.SECURE_CSP), header
    for needed in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        assert needed in header
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    finder = InlineFinder()
    finder.feed(response.content.decode())
    assert finder.problems == [], finder.problems
    return finder


@pytest.fixture
def demo(db):
    """A lobby with answers, places and votes, and a client seated as its organizer."""
    report = small_demo(2)
    organizer = Client()
    link = reverse("lobbies:personal_link", args=[report.code, report.organizer.token])
    assert organizer.get(link).status_code == HTTPStatus.OK  # it asks first
    assert organizer.post(link).status_code == HTTPStatus.FOUND
    participant = Client()
    second = report.participants[1]
    participant.post(reverse("lobbies:personal_link", args=[report.code, second.token]))
    return {
        "code": report.code,
        "organizer": organizer,
        "participant": participant,
        "snapshot": load_lobby(report.code),
    }


@pytest.fixture
def staff_client(db, django_user_model):
    staff = django_user_model.objects.create_superuser(
        username="root", email="root@example.com", password="pw-root-123"
    )
    client = Client()
    client.force_login(staff)
    return client, staff


# --- the site ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/lobbies/new/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/login/code/",
    ],
)
def test_public_pages(client, db, settings, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    finder = assert_strict(response, settings)
    assert finder.scripts_with_src >= 1  # htmx and app.js, from our own origin


def test_find_miss_page(client, db, settings):
    response = client.get(reverse("lobbies:find"), {"code": "ZZZZ-ZZZZ"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert_strict(response, settings)


def test_htmx_is_configured_for_the_policy(client, db):
    body = client.get("/").content.decode()
    assert '"allowEval":false' in body
    assert '"includeIndicatorStyles":false' in body  # htmx would inject a <style> otherwise


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("organizer", "lobbies:detail"),
        ("organizer", "lobbies:edit"),
        ("organizer", "lobbies:delete"),
        ("organizer", "voting:settle"),
        ("participant", "lobbies:detail"),
    ],
)
def test_lobby_pages(demo, settings, who, name):
    response = demo[who].get(reverse(name, args=[demo["code"]]))
    assert response.status_code == HTTPStatus.OK
    assert_strict(response, settings)


@pytest.mark.parametrize(
    ("name", "query"), [("lobbies:detail", ""), ("lobbies:group", ""), ("lobbies:poll", "?rev=0")]
)
def test_htmx_fragments(demo, settings, name, query):
    url = reverse(name, args=[demo["code"]]) + query
    response = demo["organizer"].get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == HTTPStatus.OK
    assert_strict(response, settings)


def test_place_edit_page(demo, settings):
    snapshot = demo["snapshot"]
    place = voting.propose_place(
        snapshot, snapshot.lobby.owner_id, voting.PlaceValues(name="Mine", address="1 Road")
    )
    response = demo["organizer"].get(
        reverse("voting:edit_place", args=[demo["code"], place.place_id])
    )
    assert response.status_code == HTTPStatus.OK
    assert_strict(response, settings)


def test_join_page_for_outsiders(client, demo, settings):
    response = client.get(reverse("lobbies:detail", args=[demo["code"]]))
    assert response.status_code == HTTPStatus.OK
    assert b'action="' in response.content
    assert_strict(response, settings)


@pytest.mark.parametrize(
    "name", ["lobbies:mine", "account_email", "account_change_password", "account_logout"]
)
def test_signed_in_pages(client, user, settings, name):
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == HTTPStatus.OK
    assert_strict(response, settings)


# --- the admin -----------------------------------------------------------------------------


def test_admin_pages(staff_client, demo, settings):
    client, staff = staff_client
    code = demo["code"]
    for url in [
        reverse("admin:index"),
        reverse("admin:lobbies_lobby_changelist"),
        reverse("admin:lobbies_lobby_changelist") + "?q=demo&state=open",
        reverse("admin:lobbies_lobby_change", args=[code]),
        reverse("admin:lobbies_lobby_action", args=[code, "settle"]),
        reverse("admin:lobbies_lobby_action", args=[code, "delete"]),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[staff.pk]),
        reverse("admin:auth_user_add"),
        reverse("admin:account_emailaddress_changelist"),
        reverse("admin:account_emailaddress_add"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:password_change"),
    ]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        assert_strict(response, settings)


# --- error pages ---------------------------------------------------------------------------


def test_error_pages(client, db, settings, demo):
    bad_host = client.get("/", HTTP_HOST="evil.example")
    assert bad_host.status_code == HTTPStatus.BAD_REQUEST
    assert_strict(bad_host, settings)

    forbidden = demo["participant"].get(reverse("lobbies:edit", args=[demo["code"]]))
    assert forbidden.status_code == HTTPStatus.FORBIDDEN
    assert_strict(forbidden, settings)

    csrf = Client(enforce_csrf_checks=True).post(reverse("lobbies:create"), {})
    assert csrf.status_code == HTTPStatus.FORBIDDEN
    assert_strict(csrf, settings)

    missing = client.get("/no/such/page/")
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert_strict(missing, settings)

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_lookup": (1, 60)}
    client.get(reverse("lobbies:find"), {"code": "ZZZZ-ZZZZ"})
    limited = client.get(reverse("lobbies:find"), {"code": "ZZZZ-ZZZZ"})
    assert limited.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert_strict(limited, settings)


@pytest.mark.urls("tests.test_security_csp")
def test_500_page(lobby, settings):
    response = Client(raise_request_exception=False).get(f"/l/{lobby.code}/boom/")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert_strict(response, settings)


def test_503_page(organizer_client, lobby, dynamodb_outage, settings):
    with dynamodb_outage():
        response = organizer_client.get(reverse("lobbies:detail", args=[lobby.code]))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert_strict(response, settings)


def test_the_checker_catches_what_it_looks_for():
    finder = InlineFinder()
    finder.feed(
        '<script>alert(1)</script><style>p{}</style><p style="color:red" onclick="x()">'
        '<a href="javascript:void(0)">x</a><script src="/s.js"></script>'
        '<script type="application/json">{}</script>'
    )
    assert len(finder.problems) == 5
    assert finder.scripts_with_src == 1
