"""letshangout.db_backend: an RDS IAM token per connection, and the app role's grants."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from psycopg import sql

from letshangout.db_backend import app_role, base

pytestmark = pytest.mark.no_dynamodb


def wrapper(**overrides) -> base.DatabaseWrapper:
    settings_dict = {
        "ENGINE": "letshangout.db_backend",
        "NAME": "letshangout",
        "USER": "letshangout_app",
        "PASSWORD": "",
        "HOST": "db.example.eu-west-1.rds.amazonaws.com",
        "PORT": 5432,
        "OPTIONS": {"sslmode": "require"},
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TIME_ZONE": None,
        "TEST": {},
        **overrides,
    }
    return base.DatabaseWrapper(settings_dict)


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch, settings):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.AWS_REGION = "eu-west-1"
    base._rds_client.cache_clear()
    yield
    base._rds_client.cache_clear()


def test_password_is_a_fresh_iam_token():
    params = wrapper().get_connection_params()
    token = params["password"]
    assert token.startswith("db.example.eu-west-1.rds.amazonaws.com:5432/?Action=connect")
    assert "DBUser=letshangout_app" in token
    assert "X-Amz-Signature=" in token
    assert params["sslmode"] == "require"
    assert params["user"] == "letshangout_app"


def test_each_connection_signs_its_own_token(monkeypatch):
    tokens = iter(["first", "second"])
    monkeypatch.setattr(base, "auth_token", lambda *args: next(tokens))
    db = wrapper()
    assert db.get_connection_params()["password"] == "first"
    assert db.get_connection_params()["password"] == "second"


def test_tls_is_required_even_when_the_url_forgets_it():
    assert wrapper(OPTIONS={}).get_connection_params()["sslmode"] == "require"


def test_host_and_user_are_required():
    with pytest.raises(ImproperlyConfigured):
        wrapper(HOST="").get_connection_params()
    with pytest.raises(ImproperlyConfigured):
        wrapper(USER="").get_connection_params()


def test_connection_pools_are_refused():
    with pytest.raises(ImproperlyConfigured):
        wrapper(OPTIONS={"pool": True}).get_connection_params()


def render(statements: list[sql.Composed]) -> list[str]:
    # Identifiers and literals render without a connection for plain ASCII names.
    return [s.as_string(None) for s in statements]


def test_app_role_on_rds_gets_data_access_and_iam_login_only():
    text = render(
        app_role.statements(
            "letshangout_app", "letshangout", create=True, password="", rds_iam=True
        )
    )
    assert text[0] == 'CREATE ROLE "letshangout_app" LOGIN'
    assert 'GRANT rds_iam TO "letshangout_app"' in text
    assert not any("PASSWORD" in t for t in text)
    assert (
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "letshangout_app"'
        in text
    )
    assert any(t.startswith("ALTER DEFAULT PRIVILEGES") and "TABLES" in t for t in text)
    assert not any(word in t for t in text for word in ("CREATE ON", "SUPERUSER", "CREATEDB"))


def test_app_role_without_iam_gets_a_password_and_is_not_recreated():
    text = render(
        app_role.statements("app", "letshangout", create=False, password="pw'1", rds_iam=False)
    )
    assert not any(t.startswith("CREATE ROLE") for t in text)
    assert "ALTER ROLE \"app\" WITH LOGIN PASSWORD 'pw''1'" in text
    assert not any("rds_iam" in t for t in text)
