"""Django's PostgreSQL backend, with an RDS IAM token as the password of each new connection."""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base


@functools.lru_cache(maxsize=4)
def _rds_client(region: str) -> Any:
    # One client per process and region: building one loads botocore's service model, which
    # takes far longer than signing a token with it.
    return botocore.session.get_session().create_client("rds", region_name=region)


def auth_token(host: str, port: int, user: str, region: str) -> str:
    """An RDS IAM authentication token for `user`: a presigned request, made locally from the
    current AWS credentials without a network call, which RDS accepts as the password for 15
    minutes. It only has to be valid when the connection opens."""
    return _rds_client(region).generate_db_auth_token(
        DBHostname=host, Port=port, DBUsername=user, Region=region
    )


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        if self.settings_dict["OPTIONS"].get("pool"):
            # A pool opens connections later with the parameters it was made with, by then
            # with an expired token.
            raise ImproperlyConfigured(
                "letshangout.db_backend signs a token per connection; use CONN_MAX_AGE, not "
                "OPTIONS['pool']."
            )
        params = super().get_connection_params()
        host, user = params.get("host"), params.get("user")
        if not host or not user:
            raise ImproperlyConfigured(
                "letshangout.db_backend needs the database host and user (DATABASE_URL)."
            )
        region = getattr(settings, "AWS_REGION", "") or "eu-west-1"
        params["password"] = auth_token(host, int(params.get("port") or 5432), user, region)
        # RDS accepts IAM tokens over TLS only.
        params.setdefault("sslmode", "require")
        return params
