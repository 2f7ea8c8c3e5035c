"""Signing in claims the guest seats this browser held, so they show up in "My lobbies"; where
the account already sits in a lobby, the guest seat is merged into the account's."""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from letshangout.dynamo import is_unavailable
from lobbies import services
from lobbies.people import identity, seats

log = logging.getLogger(__name__)


@receiver(user_logged_in)
def claim_guest_seats(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    held = identity.seats(request)
    if not held:
        return
    try:
        # A lobby where the account already has a seat: one seat, the account's.
        for code, seat in seats.seat_in_lobbies(held, user.pk).items():
            identity.remember(request, code, seat)
            held.pop(code)
        services.claim_participations(held, user.pk)
    except Exception as error:
        # Signing in must still work when DynamoDB hiccups; the seats stay in the session
        # and are claimed at the next sign-in.
        if not is_unavailable(error):
            raise
        log.warning("could not claim guest seats on sign-in", exc_info=True)
