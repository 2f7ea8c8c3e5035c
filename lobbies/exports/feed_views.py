"""My lobbies' calendar address: making it, and replacing it with a new one. The feed itself
is voting/calendar/views.py; its token is lobbies/exports/feed_tokens.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from letshangout.mail import absolute_url
from lobbies.exports import feed_tokens

# The new token rides in the session to the next page, which shows it once and drops it.
NEW_TOKEN_KEY = "new_feed_token"


def feed_section(request: HttpRequest) -> dict:
    """What My lobbies shows of the user's calendar address: the address itself only right
    after it was made (only its hash is kept), otherwise when it was made."""
    token = request.session.pop(NEW_TOKEN_KEY, None)
    if token is None:
        return {"issued_at": feed_tokens.issued_at(request.user.pk)}
    https_url = absolute_url(reverse("voting:feed", args=[token]))
    return {
        "issued_at": feed_tokens.issued_at(request.user.pk),
        "https_url": https_url,
        "webcal_url": "webcal://" + https_url.split("://", 1)[1],
    }


@login_required
@require_http_methods(["GET", "POST"])
def calendar_address(request: HttpRequest) -> HttpResponse:
    """GET: the question before replacing an address (a first one needs none). POST: a new
    address; the old one stops working at once."""
    issued_at = feed_tokens.issued_at(request.user.pk)
    if request.method == "GET":
        if issued_at is None:
            return redirect(reverse("lobbies:mine") + "#calendar-feed")
        return render(request, "lobbies/calendar_address.html", {"issued_at": issued_at})
    request.session[NEW_TOKEN_KEY] = feed_tokens.issue(request.user.pk)
    if issued_at is not None:
        messages.success(
            request, _("Your calendar has a new address. The old one no longer works.")
        )
    return redirect(reverse("lobbies:mine") + "#calendar-feed")
