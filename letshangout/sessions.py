"""Django's database sessions, read with one plain SELECT instead of a QuerySet.

Every lobby page and every live poll (each open tab, every few seconds) reads the session to
know which participant the browser is. `Session.objects.get()` spent ~0.6 ms building and
running its query and a model instance for one column, twenty times what the query itself
costs. Writing, rotating and expiring sessions stay Django's own.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote(model._meta.get_field('session_data').column)}"
            f" FROM {quote(model._meta.db_table)}"
            f" WHERE {quote(model._meta.get_field('session_key').column)} = %s"
            f" AND {quote(model._meta.get_field('expire_date').column)} > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # unknown or expired: a new one is made when needed
            return {}
        return self.decode(row[0])
