"""Deleting one's account: a confirmation page where an organizer chooses who takes over each
of their lobbies, then a POST that hands them over and releases the person's seats
(lobbies/people/accounts.py), deletes the user with their email addresses and ends the session.
Beside it, taking over a lobby left without an organizer."""

from __future__ import annotations

from http import HTTPStatus

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from lobbies.errors import LobbyError
from lobbies.people import accounts
from lobbies.people.access import load_for_participant, lobby_url

SUCCESSOR_PREFIX = "successor_"


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand: my account is deleted for good."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )

    def __init__(self, *args, handovers: list[accounts.Handover] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.handovers = list(handovers)
        for handover in self.handovers:
            gone = accounts.SuccessorGone(handover.title).message
            self.fields[SUCCESSOR_PREFIX + handover.code] = forms.ChoiceField(
                label=_("Who organizes “%(title)s” after you?") % {"title": handover.title},
                choices=handover.candidates,
                initial=handover.default,
                required=False,  # nothing chosen: the default, as the form shows it
                # Django formats this message with the value: a title's own % signs stay.
                error_messages={"invalid_choice": gone.replace("%", "%%")},
            )
        # The choices come first on the page, the confirmation last.
        self.order_fields([*(SUCCESSOR_PREFIX + h.code for h in self.handovers), "confirm"])

    def successor_fields(self) -> list:
        return [self[SUCCESSOR_PREFIX + handover.code] for handover in self.handovers]

    def successors(self) -> dict[str, str]:
        """Lobby code -> the participant chosen to take it over (absent: the default)."""
        return {
            handover.code: self.cleaned_data.get(SUCCESSOR_PREFIX + handover.code) or ""
            for handover in self.handovers
        }


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    data = request.POST if request.method == "POST" else None
    form = DeleteAccountForm(data, handovers=accounts.handovers(user.pk))
    if request.method == "POST" and form.is_valid():
        # Seats first: if DynamoDB fails, or a successor left, the account is still there.
        try:
            accounts.release_seats(user.pk, form.successors())
        except accounts.SuccessorGone as error:
            form = DeleteAccountForm(data, handovers=accounts.handovers(user.pk))
            form.is_valid()
            form.add_error(None, error.message)
            return _page(request, form, HTTPStatus.CONFLICT)
        with transaction.atomic():
            user.delete()  # allauth's email addresses and social accounts go with it
        logout(request)
        messages.success(request, _("Your account is deleted."))
        return redirect("lobbies:home")
    return _page(request, form, HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK)


def _page(request: HttpRequest, form: DeleteAccountForm, status: int) -> HttpResponse:
    return render(request, "lobbies/delete_account.html", {"form": form}, status=status)


@require_POST
def take_over(request: HttpRequest, code: str) -> HttpResponse:
    """Any participant of a lobby without an organizer becomes its organizer."""
    snapshot, seat = load_for_participant(request, code)
    try:
        accounts.take_over(snapshot, seat)
    except LobbyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You organize this lobby now."))
    return redirect(lobby_url(snapshot.code))
