"""Django's database sessions, read with one plain SELECT instead of a QuerySet.

Every lobby page and every live poll (each open tab, every few seconds) reads the session to
know which participant the browser is. `Session.objects.get()` spent ~0.6 ms building and
running its query and a model instance for one column, twenty times what the query itself
costs. Writing, rotating and expiring sessions stay Django's own.
"""

from __future__ import annotations

from functools import cache

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        connection = connections[router.db_for_read(self.model)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_select_live_session(connection.alias), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # unknown or expired: a new one is made when needed
            return {}
        return self.decode(row[0])


@cache
def _select_live_session(alias: str) -> str:
    """The SELECT of one session's data that has not expired, quoted for that database."""
    model = SessionStore.get_model_class()
    quote = connections[alias].ops.quote_name
    column = {
        name: quote(model._meta.get_field(name).column)
        for name in ("session_data", "session_key", "expire_date")
    }
    return (
        f"SELECT {column['session_data']} FROM {quote(model._meta.db_table)}"
        f" WHERE {column['session_key']} = %s AND {column['expire_date']} > %s"
    )
