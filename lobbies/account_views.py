"""Deleting one's account: a confirmation page, then a POST that releases the person's seats
(lobbies/accounts.py), deletes the user with their email addresses and ends the session."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from lobbies import accounts


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand: my account is deleted for good."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        # Seats first: if DynamoDB fails, the account is still there to try again.
        accounts.release_seats(user.pk, _("Former participant"))
        with transaction.atomic():
            user.delete()  # allauth's email addresses and social accounts go with it
        logout(request)
        messages.success(request, _("Your account is deleted."))
        return redirect("lobbies:home")
    status = 400 if form.is_bound else 200
    return render(request, "lobbies/delete_account.html", {"form": form}, status=status)
