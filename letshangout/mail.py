"""Email: who can receive it, links that work in a mail reader, and a backend that never
breaks the action that sent it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend

log = logging.getLogger(__name__)


def verified_emails(user_ids: Iterable[int]) -> dict[int, str]:
    """user id -> a verified address (the primary one when it is verified)."""
    wanted = {uid for uid in user_ids if uid is not None}
    if not wanted:
        return {}
    found: dict[int, str] = {}
    rows = EmailAddress.objects.filter(user_id__in=wanted, verified=True).order_by("-primary", "pk")
    for row in rows:
        found.setdefault(row.user_id, row.email)
    return found


def absolute_url(path: str) -> str:
    """A link an email can carry: the site's address before the path. An email is read
    away from the site, where a bare path leads nowhere. Where a request is at hand,
    `request.build_absolute_uri` gives the address it came in on instead."""
    return f"{settings.SITE_URL}{path}"


class ResilientSMTPBackend(EmailBackend):
    """SMTP, but a failing mail server is logged instead of raised: signing up, settling a
    lobby or resetting a password must succeed even when mail is down."""

    def send_messages(self, email_messages):
        try:
            return super().send_messages(email_messages)
        except Exception:
            log.exception("sending email failed", extra={"messages": len(email_messages)})
            return 0


def has_verified_email(user_id: int | None) -> bool:
    """Whether email can reach this account (a guest, None, has no address)."""
    return user_id is not None and bool(verified_emails([user_id]))
