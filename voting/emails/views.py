"""A guest's address for a lobby's emails (save, remove, confirm from the email), and the
unsubscribe link every email about a lobby carries.

The address form works as a plain POST-then-redirect and, with htmx, comes back in place.
The links in emails are opened away from the lobby page, maybe in another browser: they need
no seat, the signed token in the URL is their authority, and a GET only shows a button, so a
mail scanner that fetches links confirms or unsubscribes nothing.
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from letshangout.ratelimit import rate_limit
from lobbies.errors import LobbyError
from lobbies.page.lobby import lobby_context
from lobbies.people.access import canonical_code, load_for_participant, lobby_url
from lobbies.snapshot import LobbySnapshot
from voting.emails import guest_email, unsubscribe
from voting.forms import GuestEmailForm
from voting.presenters import guest_email_context

SECTION = "voting/_guest_email.html#guest_email"


def _typed_address(request: HttpRequest) -> str:
    return request.POST.get("email", "")[:254].strip().lower()


def _not_an_address(request: HttpRequest, code: str) -> bool:
    """A form that cannot send anything is not counted against the limits."""
    return not GuestEmailForm(request.POST).is_valid()


def _per_lobby(request: HttpRequest, code: str) -> str:
    return f"lobby:{canonical_code(code)}"


def _per_address(request: HttpRequest, code: str) -> str:
    return f"address:{_typed_address(request)}"


def _form_back(
    request: HttpRequest, snapshot: LobbySnapshot, seat: str, form: GuestEmailForm, **extra
) -> HttpResponse:
    """The form sent back with what was typed: the block for htmx, else the page."""
    me = snapshot.participant(seat)
    block = guest_email_context(me, form, **extra)
    if request.htmx:
        # htmx swaps only a 2xx answer (and a 429): the form comes back with the address.
        return render(request, SECTION, {"lobby": snapshot.lobby, **block})
    context = {**lobby_context(request, snapshot, seat), **block}
    return render(request, "lobbies/lobby.html", context, status=HTTPStatus.BAD_REQUEST)


def _too_often(request: HttpRequest, message: str, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    form = GuestEmailForm(request.POST)
    form.is_valid()
    return _form_back(request, snapshot, seat, form, guest_email_error=message)


def _done(request: HttpRequest, snapshot: LobbySnapshot, seat: str, message: str):
    if request.htmx:
        fresh = guest_email.load_lobby(snapshot.code)
        block = guest_email_context(fresh.participant(seat), guest_email_status=message)
        return render(request, SECTION, {"lobby": fresh.lobby, **block})
    messages.success(request, message)
    return redirect(lobby_url(snapshot.code) + "#guest-email")


@require_POST
@rate_limit("guest_email_lobby", refused=_too_often, exempt=_not_an_address, per=_per_lobby)
@rate_limit("guest_email_address", refused=_too_often, exempt=_not_an_address, per=_per_address)
def save(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    form = GuestEmailForm(request.POST)
    if not form.is_valid():
        return _form_back(request, snapshot, seat, form)
    address = form.cleaned_data["email"]
    try:
        changed = guest_email.save_address(snapshot, seat, address, get_language())
    except LobbyError as error:
        return _form_back(request, snapshot, seat, form, guest_email_error=error.message)
    if not changed:
        return _done(request, snapshot, seat, _("This address is already confirmed."))
    guest_email.send_verification(guest_email.load_lobby(snapshot.code), seat, address)
    sent = _("We sent a link to %(address)s. Open it to confirm your address.")
    return _done(request, snapshot, seat, sent % {"address": address})


@require_POST
def remove(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    try:
        guest_email.remove_address(snapshot, seat)
    except LobbyError as error:
        messages.error(request, error.message)
        return redirect(lobby_url(snapshot.code))
    return _done(request, snapshot, seat, _("Your address is removed. No more emails."))


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the address and a Confirm button; POST: confirms it."""
    try:
        link = guest_email.read_verification(token)
        if request.method == "POST":
            guest = guest_email.confirm(link)
            return render(request, "voting/email_confirmed.html", {"address": guest.guest_email})
        guest = guest_email.pending(link)
    except LobbyError as error:
        return _link_problem(request, error.message)
    return render(request, "voting/email_confirm.html", {"address": guest.guest_email})


def _link_problem(request: HttpRequest, message: str) -> HttpResponse:
    context = {"message": message}
    return render(request, "voting/email_link_problem.html", context, status=HTTPStatus.BAD_REQUEST)


# Mail readers send the one-click unsubscribe (RFC 8058) as a bare POST with no cookie and
# no CSRF token, so CSRF cannot protect it; the signed token in the URL is the authority,
# and it can only silence the one seat it names.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page that asks first; POST (the mail reader's one click, or the page's button):
    no more emails about that lobby to that seat."""
    try:
        wanted = unsubscribe.read_token(token)
    except LobbyError as error:
        return _link_problem(request, error.message)
    if request.method == "POST":
        unsubscribe.unsubscribe(wanted)
        return render(request, "voting/unsubscribed.html")
    context = {"title": unsubscribe.lobby_title(wanted)}
    return render(request, "voting/unsubscribe.html", context)
