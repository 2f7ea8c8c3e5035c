"""The calendar feed of a user's lobbies: opened by its secret address alone (calendar
apps carry no session), GET only, answered with 304 when nothing changed."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import conditional_page, require_safe

from letshangout.ratelimit import rate_limit
from lobbies.exports import feed_tokens
from voting.calendar import feed


def _per_token(request: HttpRequest, token: str) -> str:
    return feed_tokens.fingerprint(token)


@require_safe
@rate_limit(
    "calendar_feed",
    methods=("GET", "HEAD"),
    per=_per_token,
    backstop="calendar_feed_address",
)
@conditional_page
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    # Unknown, malformed and replaced tokens all take the same one indexed lookup to 404.
    user_id = feed_tokens.owner_of(token)
    if user_id is None:
        raise Http404
    response = HttpResponse(feed.feed_for(user_id), content_type="text/calendar; charset=utf-8")
    # The address is the secret: no shared cache keeps it, and clients revalidate by ETag.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response
