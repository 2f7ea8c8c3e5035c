"""The invite link's QR code on the lobby page: inline SVG, strict-CSP clean, participants only."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from letshangout.templatetags.qr_codes import qr_svg
from tests.html import elements

INVITE = "https://letshangout.example/l/ABCDEFGH/"
SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def render(source: str, **context) -> str:
    return Template("{% load qr_codes %}" + source).render(Context(context))


class TestTheSvg:
    def test_is_inline_markup_sized_by_the_stylesheet(self):
        markup = str(qr_svg(INVITE))
        assert markup.startswith("<svg ")
        assert "<?xml" not in markup
        assert "viewBox=" in markup
        assert "width=" not in markup.split(">", 1)[0]

    def test_needs_nothing_a_strict_csp_blocks(self):
        markup = str(qr_svg(INVITE))
        assert "style" not in markup
        assert "data:" not in markup
        assert "href" not in markup
        assert "<script" not in markup

    def test_has_a_quiet_zone_drawn_light(self):
        size = int(re.search(r'viewBox="0 0 (\d+) \1"', str(qr_svg(INVITE)))[1])
        # Versions are 21 + 4n modules wide; the rest is four light modules on each side.
        assert (size - 8 - 21) % 4 == 0
        assert f'fill="#fff" d="M0 0h{size}v{size}h-{size}z"' in str(qr_svg(INVITE))

    def test_is_cached_by_the_text(self):
        assert qr_svg(INVITE) is qr_svg(INVITE)
        assert qr_svg(INVITE) != qr_svg(INVITE + "x")


class TestTheTag:
    def test_with_a_label_is_a_named_image(self):
        html = render('{% qr_code url label="QR code of the invite link" %}', url=INVITE)
        assert 'role="img"' in html
        assert 'aria-label="QR code of the invite link"' in html
        assert "aria-hidden" not in html

    def test_without_a_label_is_hidden_from_screen_readers(self):
        html = render("{% qr_code url %}", url=INVITE)
        assert 'aria-hidden="true"' in html
        assert "role=" not in html

    def test_the_label_is_escaped(self):
        html = render("{% qr_code url label=label %}", url=INVITE, label='"><b>x')
        assert "<b>" not in html
        assert "&quot;&gt;&lt;b&gt;x" in html


@pytest.mark.django_db
class TestOnTheLobbyPage:
    def test_participants_see_the_invite_links_code(self, organizer_client, lobby):
        response = organizer_client.get(reverse("lobbies:detail", args=[lobby.code]))
        assert response.status_code == HTTPStatus.OK
        page = response.content.decode()
        (field,) = [i for i in elements(page, "input") if i.attrs.get("id") == "invite-link"]
        invite = field.attrs["value"]
        assert invite.endswith(f"/l/{lobby.code}/")
        assert 'aria-label="QR code of the invite link"' in page
        assert str(qr_svg(invite)) in page
        assert "Show QR code" in page

    def test_outsiders_get_no_code(self, lobby):
        response = Client().get(reverse("lobbies:detail", args=[lobby.code]))
        assert response.status_code == HTTPStatus.OK
        page = response.content.decode()
        assert "Join the lobby" in page
        assert "qr-code" not in page
        assert not SVG.search(page)

    def test_a_guest_who_joined_sees_it_too(self, lobby, join_as):
        guest, _ = join_as(lobby, "Ann")
        page = guest.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert 'aria-label="QR code of the invite link"' in page
