"""LetsHangOut settings: one file, driven by environment variables (see .env.example).

Development defaults work straight after checkout; DJANGO_ENV=production turns on every
protection and refuses to start without its secrets.
"""

from __future__ import annotations

import sys
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from letshangout.env import env_bool, env_int, env_list, env_required, env_str, env_url
from letshangout.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# pytest-django imports settings before any conftest runs, so a test run is recognised here.
ENVIRONMENT = env_str("DJANGO_ENV") or ("test" if "pytest" in sys.modules else "development")
PRODUCTION = ENVIRONMENT == "production"
TESTING = ENVIRONMENT == "test"

DEBUG = env_bool("DJANGO_DEBUG", default=ENVIRONMENT == "development")

if PRODUCTION:
    SECRET_KEY = env_required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or env_required("ALLOWED_HOSTS").split(",")
else:
    SECRET_KEY = env_str("SECRET_KEY") or "insecure-development-key-never-used-in-production"
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The site's address, before every link in an email (letshangout/mail.py). Development
# defaults to the dev server's (`make run`, on PORT); `manage.py dev` puts in the address it
# actually serves at.
if PRODUCTION:
    SITE_URL = env_url("SITE_URL", env_required("SITE_URL"))
else:
    SITE_URL = env_url("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}")

INSTALLED_APPS = [
    # django.contrib.admin with our site: allauth's sign-in, and lobbies beside the models.
    "hangout.lobby_admin.apps.LetsHangOutAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "statici18n",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "letshangout",
    "lobbies",
    "voting",
    "hangout",
]

# The lobby page as the site composes it (lobbies/page/lobby.py): what apps add, what is live.
LOBBY_PAGE_SECTIONS = ["voting.presenters.places_context"]
LOBBY_JOIN_SECTIONS = ["voting.presenters.settled_for_visitors"]
LOBBY_LIVE_FRAGMENTS = [
    "lobbies/_participants.html#participants",
    "lobbies/_group_view_rendered.html",
    "lobbies/_availability.html#grid-notice",
    "voting/_decision.html#decision",
    "voting/_places.html#places-list",
    "lobbies/_comments.html#comments-list",
]

MIDDLEWARE = [
    "letshangout.middleware.HealthCheckMiddleware",
    # Compresses pages for browsers that ask: the load balancer does not, and bytes sent
    # gzipped are what a first visit waits for. BREACH is mitigated by Django's masked CSRF
    # tokens and the random-length gzip header this middleware adds ("Heal the Breach").
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that can answer early (a bad Host is a 400 from CommonMiddleware,
    # a CSRF failure a 403), so those pages carry the policy too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "letshangout.middleware.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After LocaleMiddleware: a signed-in user's stored language wins over the browser's.
    "letshangout.languages.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the session and the user: keeps a signed-in user's stored zone up to date.
    "letshangout.zones.UserZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "letshangout.middleware.DynamoUnavailableMiddleware",
    "letshangout.ratelimit.RateLimitMiddleware",
]

# Widgets render through the project's templates too (the month calendar lives there).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
ROOT_URLCONF = "hangout.urls"
# The calendar without JavaScript posts two checkboxes per slot: 31 days x 96 slots at most.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 6500
WSGI_APPLICATION = "letshangout.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Django's own tables only: users, email addresses, social accounts, sessions, cache, admin log.
# Product data lives in DynamoDB (letshangout/dynamo.py).
if not env_str("DATABASE_URL"):
    # The embedded default: SQLite in var/, which a fresh checkout does not have yet.
    VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# On AWS the password arrives on its own, from the RDS-managed secret, not inside the URL.
if env_str("DATABASE_PASSWORD"):
    DATABASES["default"]["PASSWORD"] = env_str("DATABASE_PASSWORD")
# RDS IAM authentication (deploy/cloudformation.yaml): each new connection signs a fresh
# 15-minute token with the task role's credentials, so the app holds no database password.
if env_bool("DATABASE_IAM_AUTH"):
    DATABASES["default"]["ENGINE"] = "letshangout.db_backend"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate limits must hold across processes and containers, so the cache is shared:
# Redis when CACHE_URL names it, otherwise the database's cache table.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            # Past MAX_ENTRIES the table drops expired rows, then a third of the live ones,
            # rate-limit counters included: the default (300) would let a few hundred clients
            # wipe each other's limits. Every write also counts the rows, so not much higher;
            # a busy site sets CACHE_URL to Redis instead.
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 20_000)},
        }
    }

# What this process keeps of the lobbies it has shown (DESIGN.md: only the snapshot cache holds
# snapshots; what is derived from one is kept under its code and rev, in a bounded cache).
# `make bench` measures what the defaults hold per worker (docs/benchmarks.md).
LOBBY_SNAPSHOTS_KEPT = env_int("LOBBY_SNAPSHOTS_KEPT", 16)
LOBBY_GRIDS_KEPT = env_int("LOBBY_GRIDS_KEPT", 32)
LOBBY_DERIVED_KEPT = env_int("LOBBY_DERIVED_KEPT", 128)
LOBBY_CACHE = "lobbies"
CACHES[LOBBY_CACHE] = {
    # In this process only: its keys carry the lobby's rev, so no other worker needs them.
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "lobbies",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": LOBBY_DERIVED_KEPT},
}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# django-allauth: email is the login; codes by email; Google only when configured.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[LetsHangOut] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "login": "30/m/ip",
}
LOGIN_REDIRECT_URL = "lobbies:mine"
LOGIN_URL = "account_login"
SOCIALACCOUNT_LOGIN_ON_GET = False
GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
SOCIALACCOUNT_PROVIDERS = (
    {
        "google": {
            "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}],
            "SCOPE": ["profile", "email"],
        }
    }
    if GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET
    else {}
)

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("de", _("German")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("it", _("Italian")),
    ("pt-br", _("Brazilian Portuguese")),
    ("nl", _("Dutch")),
    ("pl", _("Polish")),
    ("ja", _("Japanese")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Day labels, times and the calendar's month headings per language (letshangout/formats/).
FORMAT_MODULE_PATH = ["letshangout.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 365 * 24 * 3600 if PRODUCTION else 0
# `compilejsi18n` writes static/jsi18n/<language>/djangojs.js (static: no inline script for
# the CSP). An app without a locale folder limits it to LOCALE_PATHS: not the admin's strings.
STATICI18N_ROOT = BASE_DIR / "static"
STATICI18N_OUTPUT_DIR = "jsi18n"
STATICI18N_PACKAGES = ["letshangout"]

# Email. A broken mail server is logged, never shown to the user (letshangout/mail.py).
EMAIL_SMTP_HOST = env_str("EMAIL_HOST")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LetsHangOut <hello@letshangout.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The mailto half of List-Unsubscribe (voting/emails/recipients.py); the signed link is the other.
UNSUBSCRIBE_EMAIL = env_str("UNSUBSCRIBE_EMAIL") or parseaddr(DEFAULT_FROM_EMAIL)[1]
if PRODUCTION or EMAIL_SMTP_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "letshangout.mail.ResilientSMTPBackend",
            "OPTIONS": {
                "host": EMAIL_SMTP_HOST or env_required("EMAIL_HOST"),
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", default=True),
                "timeout": env_int("EMAIL_TIMEOUT", 5),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# DynamoDB: the product's data. Unset endpoint means AWS itself.
DYNAMODB_LOCAL_PORT = env_int("DYNAMODB_LOCAL_PORT", 8765)
DYNAMODB_ENDPOINT_URL = env_str("DYNAMODB_ENDPOINT_URL") or None
if not PRODUCTION and DYNAMODB_ENDPOINT_URL is None and not env_bool("DYNAMODB_USE_AWS"):
    # Development talks to the local emulator that `make run` starts.
    DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{DYNAMODB_LOCAL_PORT}"
DYNAMODB_TABLE = env_str("DYNAMODB_TABLE", "letshangout")
AWS_REGION = env_str("AWS_REGION", "eu-west-1")
DYNAMODB_CONNECT_TIMEOUT = 1
DYNAMODB_READ_TIMEOUT = 2
DYNAMODB_MAX_RETRIES = 2
# How long a lobby lives after its last candidate date (DynamoDB TTL on expires_at).
LOBBY_RETENTION_DAYS = env_int("LOBBY_RETENTION_DAYS", 30)
# A weekly lobby has no last date: it lives this long after it was created.
WEEKLY_LOBBY_RETENTION_DAYS = env_int("WEEKLY_LOBBY_RETENTION_DAYS", 90)
# A weekly series settled with no end runs on in calendars: its lobby is kept this long
# after settling (a series with a last date or a count: past its last meeting).
WEEKLY_SERIES_RETENTION_DAYS = env_int("WEEKLY_SERIES_RETENTION_DAYS", 365)
LOBBY_MAX_PARTICIPANTS = env_int("LOBBY_MAX_PARTICIPANTS", 1000)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sessions live in a signed cookie: every page and live poll needs one, and a cookie costs no
# database read. They hold little (this browser's seat in each lobby, the signed-in user),
# and signing out or changing the password ends them (Django keeps the password's hash in
# the session), so the usual reasons for a server-side store do not apply here.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 90
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF, "https://accounts.google.com"],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = False
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Client IP for rate limits: behind exactly this many trusted proxies (the load balancer).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
RATE_LIMITS = {
    # name: (requests, seconds) per client IP, unless the view names whom it counts
    "lobby_lookup": (env_int("RATE_LIMIT_LOOKUP", 20), 60),
    # Per signed-in user, or per browser for guests (lobbies/views.py); an office or a mobile
    # carrier puts many people behind one address, so the per-address limit is only a backstop.
    "lobby_create": (env_int("RATE_LIMIT_CREATE", 10), 3600),
    "lobby_create_address": (env_int("RATE_LIMIT_CREATE_ADDRESS", 60), 3600),
    # Actions in a lobby: per participant, with a per-address backstop (as creating above).
    "place_propose": (env_int("RATE_LIMIT_PROPOSE", 30), 600),
    "place_propose_address": (env_int("RATE_LIMIT_PROPOSE_ADDRESS", 150), 600),
    "comment_post": (env_int("RATE_LIMIT_COMMENT", 20), 600),
    "comment_post_address": (env_int("RATE_LIMIT_COMMENT_ADDRESS", 100), 600),
    "calendar_import": (env_int("RATE_LIMIT_CALENDAR", 20), 600),
    "calendar_import_address": (env_int("RATE_LIMIT_CALENDAR_ADDRESS", 100), 600),
    # Calendar feeds: per address (token), with a per-client-IP backstop against guessing.
    "calendar_feed": (env_int("RATE_LIMIT_FEED", 30), 600),
    "calendar_feed_address": (env_int("RATE_LIMIT_FEED_ADDRESS", 120), 600),
    # Verification emails to guests' addresses (voting/emails/views.py): per lobby, and per
    # address so that nobody can flood one inbox from many lobbies.
    "guest_email_lobby": (env_int("RATE_LIMIT_GUEST_EMAIL_LOBBY", 20), 3600),
    "guest_email_address": (env_int("RATE_LIMIT_GUEST_EMAIL_ADDRESS", 3), 3600),
}

METRICS_EMF = env_bool("METRICS_EMF")
# `make bench` only: a baseline route (one GetItem, a trivial template) to compare pages with.
BENCHMARK_ROUTES = env_bool("BENCHMARK_ROUTES")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = logging_config(LOG_LEVEL)
