"""Production settings: Django's deploy checks pass at warning level, and what they check
(HTTPS behind a proxy, HSTS, __Host- cookies, real mail) is really set."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.no_dynamodb

PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "letshangout.example",
    "EMAIL_HOST": "smtp.example.com",
    "SITE_URL": "https://letshangout.example",
}


def production_env(**changes: str | None) -> dict:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_"))
        and name not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "PYTEST_CURRENT_TEST"}
    }
    env |= PRODUCTION | {"DJANGO_SETTINGS_MODULE": "letshangout.settings"}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(*args: str, **env_changes: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=production_env(**env_changes),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_at_warning_level():
    done = manage("check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_deploy_check_would_catch_a_weakened_setting():
    # The same check, with HSTS switched off, must fail: the test above is not vacuous.
    done = manage("check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_SECONDS="0")
    assert done.returncode != 0
    assert "security.W004" in done.stdout + done.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_HOST", "SITE_URL"])
def test_production_refuses_to_start_without_its_secrets(missing):
    done = manage("check", **{missing: None})
    assert done.returncode != 0
    assert missing in done.stderr


def test_production_refuses_a_site_url_that_is_not_a_full_address():
    done = manage("check", SITE_URL="letshangout.example")
    assert done.returncode != 0
    assert "SITE_URL must be a full address" in done.stderr


def test_production_settings_in_force():
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'DEBUG', 'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', 'SECURE_HSTS_SECONDS', "
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_NAME', "
        "'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_NAME', 'SESSION_COOKIE_HTTPONLY', "
        "'X_FRAME_OPTIONS', 'TRUSTED_PROXY_COUNT', 'ALLAUTH_TRUSTED_PROXY_COUNT')} "
        "| {'mail': s.MAILERS['default']['BACKEND'], "
        "'csp': {k: list(map(str, v)) for k, v in s.SECURE_CSP.items()}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["DEBUG"] is False
    assert got["SECURE_SSL_REDIRECT"] is True
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert got["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert got["SESSION_COOKIE_SECURE"] is got["CSRF_COOKIE_SECURE"] is True
    assert got["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert got["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert got["SESSION_COOKIE_HTTPONLY"] is True
    assert got["X_FRAME_OPTIONS"] == "DENY"
    assert got["TRUSTED_PROXY_COUNT"] == got["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1
    assert got["mail"] == "letshangout.mail.ResilientSMTPBackend"
    csp = got["csp"]
    assert csp["frame-ancestors"] == csp["object-src"] == csp["base-uri"] == ["'none'"]
    for directive in ("default-src", "script-src", "style-src"):
        assert csp[directive] == ["'self'"], directive
