"""Which language a person reads: the browser's on a first visit (LocaleMiddleware), the
footer switcher's choice (Django's set_language, remembered in its cookie), and for a
signed-in user the choice stored on the account, which follows them to every device and
into their emails.

The stored choice travels in the session (a signed cookie), so applying it on each request
reads no table; signing out drops it with the session.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from letshangout.models import LanguagePreference

SESSION_KEY = "language"


def supported(code: object) -> str | None:
    """`code` when it is one of LANGUAGES, else None."""
    if isinstance(code, str) and code in dict(settings.LANGUAGES):
        return code
    return None


def languages_of(user_ids: Iterable[int | None]) -> dict[int, str]:
    """user id -> stored language, for those who have one."""
    wanted = {uid for uid in user_ids if uid is not None}
    if not wanted:
        return {}
    rows = LanguagePreference.objects.filter(user_id__in=wanted)
    return {row.user_id: row.language for row in rows if supported(row.language)}


def language_of(user_id: int | None) -> str:
    """The language to write to this user in: theirs, or the site's default."""
    return languages_of([user_id]).get(user_id, settings.LANGUAGE_CODE)


def _apply(request: HttpRequest, language: str) -> None:
    request.session[SESSION_KEY] = language
    translation.activate(language)
    request.LANGUAGE_CODE = language


@receiver(user_logged_in)
def apply_stored_language(sender, request, user, **kwargs) -> None:
    """At sign-in: the account's language from now on; an account without one keeps the
    language this visit was in, so its emails match the pages it saw."""
    if request is None:
        return
    stored = languages_of([user.pk]).get(user.pk)
    if stored is None:
        # LocaleMiddleware's choice; a sign-in outside a request (a test's force_login) has none.
        stored = supported(getattr(request, "LANGUAGE_CODE", None))
        if stored is None:
            return
        LanguagePreference.objects.update_or_create(user=user, defaults={"language": stored})
    _apply(request, stored)


class UserLanguageMiddleware:
    """Activates a signed-in user's stored language (set at sign-in, changed by the
    switcher); everyone else keeps what LocaleMiddleware chose."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        language = supported(session.get(SESSION_KEY)) if session is not None else None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie, and the redirect back), and for a signed-in user
    the choice stored on the account as well."""
    response = django_set_language(request)
    language = supported(request.POST.get("language"))
    if language and request.user.is_authenticated:
        LanguagePreference.objects.update_or_create(
            user=request.user, defaults={"language": language}
        )
        _apply(request, language)
    return response
