"""The invite link's QR code, as a phone camera sees it: a screenshot of the code on the page,
decoded by Debian's zbarimg, gives back exactly the invite link; on a 375-pixel phone it is
big enough to scan, fits its box, and the lobby page stays clean for axe; print leaves it out."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lobbies import services as lobby_services
from tests.browser.conftest import PHONE
from tests.browser.helpers import SCREENSHOTS, screenshot
from tests.browser.test_accessibility import BLOCKING, audit, readable
from tests.factories import make_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZBARIMG = "/usr/bin/zbarimg"
SMALLEST_SCANNABLE = 160  # CSS px: what a phone reads from across a table


def decode(png: Path) -> str:
    """What zbarimg reads in the image, QR codes only."""
    found = subprocess.run(
        [ZBARIMG, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert found.returncode == 0, f"zbarimg found no QR code: {found.stderr}"
    return found.stdout.rstrip("\n")


def show_qr_code(page: Page):
    page.locator("#share > summary").click()
    page.locator(".qr-summary").click()
    code = page.get_by_role("img", name="QR code of the invite link")
    expect(code).to_be_visible()
    return code


@pytest.fixture
def seated_page(new_context, seat):
    """seated_page(**context options) -> (page on the lobby, as its organizer; the code)."""
    if not shutil.which(ZBARIMG):
        pytest.skip("Decoding the QR code needs Debian's zbar-tools (zbarimg).")
    organizer = lobby_services.create_lobby(make_settings(), "Olivia", None).participant

    def make(**options):
        context = new_context(**options)
        seat(context, organizer.code, organizer.participant_id)
        page = context.new_page()
        page.goto(f"/l/{organizer.code}/")
        return page

    return make


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_code_decodes_to_the_invite_link(seated_page, device):
    page = seated_page(**(PHONE if device == "phone" else {}))
    code = show_qr_code(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = SCREENSHOTS / f"qr-code-{device}.png"
    code.screenshot(path=str(png))
    screenshot(page, f"share-box-{device}", full_page=False)
    assert decode(png) == page.locator("#invite-link").input_value()


def test_on_a_phone_it_is_big_fits_and_passes_axe(seated_page, capsys):
    page = seated_page(bypass_csp=True, **PHONE)
    code = show_qr_code(page)
    box = code.bounding_box()
    width = PHONE["viewport"]["width"]
    assert box["width"] >= SMALLEST_SCANNABLE
    assert box["height"] == pytest.approx(box["width"], abs=1)
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") == width
    rendering = code.locator("svg").evaluate("svg => getComputedStyle(svg).shapeRendering")
    assert rendering == "crispedges"
    page.screenshot(path=str(SCREENSHOTS / "qr-code-share-box-phone.png"), full_page=False)
    found = audit(page, "lobby on a phone, QR code shown")
    blocking = [v for v in found if v["impact"] in BLOCKING]
    with capsys.disabled():
        if found and not blocking:
            print("\naxe: minor and moderate findings (not blocking):" + readable(found))
    assert not blocking, "axe found serious or critical violations:" + readable(blocking)


def test_print_leaves_it_out(seated_page):
    page = seated_page()
    code = show_qr_code(page)
    page.emulate_media(media="print")
    expect(code).to_be_hidden()
    page.emulate_media(media="screen")
    expect(code).to_be_visible()
