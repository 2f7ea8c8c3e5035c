"""Accessibility audit: axe-core (node_modules/axe-core, pinned in package.json) in chromium.

Every main page is audited as people reach it: home, create, sign-in and sign-up, the join
page, the lobby page with a filled grid, heatmap, places and votes (desktop and phone), the
settle form, the time zone picker and the settled lobby with its banner. No violation of
serious or critical impact is allowed; the rest are printed for the record. Results go to
test-artifacts/axe-results.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lobbies import services as lobby_services
from tests.browser.helpers import PHONE
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, propose, reload, slots, vote
from voting import decisions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = ROOT / "test-artifacts" / "axe-results.json"
BLOCKING = {"serious", "critical"}
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def audit(page, name: str) -> list[dict]:
    """axe on the page as it is now; returns the violations, each with its nodes."""
    page.wait_for_load_state("load")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)["violations"]
    return [
        {
            "page": name,
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [
                {"target": n["target"], "html": n["html"][:200], "summary": n["failureSummary"]}
                for n in v["nodes"]
            ],
        }
        for v in violations
    ]


def readable(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"\n[{v['impact']}] {v['page']}: {v['id']} - {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html']}")
            for detail in node["summary"].splitlines()[:4]:
                lines.append(f"        {detail}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


@pytest.fixture
def answered_lobby(django_user_model):
    """A lobby of three with marks, two places and votes; returns (code, organizer, guest)."""
    organizer = lobby_services.create_lobby(make_settings(), "Olivia", None).participant
    code = organizer.code
    ann = lobby_services.join_lobby(reload(code), "Ann", None).participant
    ben = lobby_services.join_lobby(reload(code), "Ben", None).participant
    start = evening_window(reload(code), 1, 19)
    mark(code, organizer.participant_id, yes=slots(start, 4))
    mark(code, ann.participant_id, yes=slots(start, 4), maybe=slots(start + 4, 2))
    mark(code, ben.participant_id, maybe=slots(start, 2))
    cafe = propose(code, organizer.participant_id, "Café Rouge", address="1 Main Street")
    sushi = propose(code, ann.participant_id, "Sushi Go", link="https://example.com/sushi")
    vote(code, organizer.participant_id, sushi.place_id, "yes")
    vote(code, ann.participant_id, sushi.place_id, "yes")
    vote(code, ann.participant_id, cafe.place_id, "maybe")
    vote(code, ben.participant_id, cafe.place_id, "no")
    return code, organizer, ann, start, sushi


def test_main_pages_have_no_serious_violations(new_context, seat, answered_lobby, capsys):
    code, organizer, ann, start, sushi = answered_lobby
    found: list[dict] = []

    visitor = new_context(bypass_csp=True).new_page()
    for name, path in [
        ("home", "/"),
        ("create", "/lobbies/new/"),
        ("sign-in", "/accounts/login/"),
        ("sign-up", "/accounts/signup/"),
        ("join", f"/l/{code}/"),
        ("not found", "/l/ABCDEFGH/"),
    ]:
        visitor.goto(path)
        found += audit(visitor, name)
    # A form sent back with its errors shown.
    visitor.goto("/lobbies/new/")
    visitor.get_by_role("button", name="Create lobby").click()
    found += audit(visitor, "create with errors")

    organizer_context = new_context(bypass_csp=True)
    seat(organizer_context, code, organizer.participant_id)
    olivia = organizer_context.new_page()
    olivia.goto(f"/l/{code}/")
    found += audit(olivia, "lobby: grid, heatmap, places, votes (organizer)")
    olivia.goto(f"/l/{code}/settle/")
    found += audit(olivia, "settle form")
    olivia.goto(f"/l/{code}/timezone/")
    found += audit(olivia, "time zone picker")
    olivia.goto(f"/l/{code}/places/{sushi.place_id}/delete/")
    found += audit(olivia, "asked before removing a place")

    phone_context = new_context(bypass_csp=True, **PHONE)
    seat(phone_context, code, ann.participant_id)
    phone = phone_context.new_page()
    phone.goto(f"/l/{code}/")
    found += audit(phone, "lobby on a phone (guest)")

    decisions.settle(reload(code), organizer.participant_id, start, sushi.place_id)
    olivia.goto(f"/l/{code}/")
    found += audit(olivia, "settled lobby (organizer)")
    phone.goto(f"/l/{code}/")
    found += audit(phone, "settled lobby on a phone (guest)")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(found, indent=2, ensure_ascii=False))
    blocking = [v for v in found if v["impact"] in BLOCKING]
    others = [v for v in found if v["impact"] not in BLOCKING]
    with capsys.disabled():
        if others:
            print("\naxe: minor and moderate findings (not blocking):" + readable(others))
    assert not blocking, "axe found serious or critical violations:" + readable(blocking)
