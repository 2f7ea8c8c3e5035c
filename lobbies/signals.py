"""Signing in claims the guest seats this browser held, so they show up in "My lobbies"."""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from letshangout.dynamo import is_unavailable
from lobbies import identity, services

log = logging.getLogger(__name__)


@receiver(user_logged_in)
def claim_guest_seats(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    held = identity.seats(request)
    if not held:
        return
    try:
        services.claim_participations(held, user.pk)
    except Exception as error:
        # Signing in must still work when DynamoDB hiccups; the seats stay in the session
        # and are claimed at the next sign-in.
        if not is_unavailable(error):
            raise
        log.warning("could not claim guest seats on sign-in", exc_info=True)
