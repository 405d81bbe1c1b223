"""Settings for the editorial review service, read entirely from the environment.

Every variable is listed, with its default, in the README's configuration table. The defaults are
the zero-set-up ones (SQLite and Celery's filesystem broker under ``var/``); production sets
``DATABASE_URL`` and ``CELERY_BROKER_URL`` and a real ``SECRET_KEY``.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import dj_database_url
import structlog
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# --- Core -----------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DEBUG=1 for a local development run."
        )
    SECRET_KEY = "django-insecure-development-only-never-use-this-key-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    # Swagger UI's files, served from our static files (no CDN).
    "drf_spectacular_sidecar",
    "simple_history",
    "django_fsm",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "config.security",
    "reviewers",
    "articles",
    "config.idempotency",
    "django_structlog",
    "editorial.observability",
    "editorial",
    "editorial.comments",
    "editorial.webhooks",
    "editorial.triage",
]

MIDDLEWARE = [
    # /health/live, /health/ready and /metrics, answered before the host check and the HTTPS
    # redirect, which would turn a load balancer's probe by IP over plain HTTP away.
    "editorial.observability.middleware.ProbeMiddleware",
    # Request latency for /metrics (when METRICS_ENABLED), including the middleware below.
    "editorial.observability.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the collected static files (admin, API docs) itself, before any other work.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy header on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # 400 for NUL in the URL or a header, before anything can pass it to the database.
    "config.api.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether the session gave a second factor, then the admin closed to those who owe one
    # (config/security/).
    "django_otp.middleware.OTPMiddleware",
    "config.security.middleware.SecondFactorMiddleware",
    # Every log line of a request carries its request id (X-Request-ID, echoed) and the user's id.
    "editorial.observability.middleware.RequestIdMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Lets history rows written during a request (the admin) record the signed-in user.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a sign-in that django-axes locked out into the lockout page (last, as axes asks).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Our versions of third-party pages (the API docs page, under the CSP).
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------

_DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL") or _DEFAULT_DATABASE_URL
if DATABASE_URL == _DEFAULT_DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", default=60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: wait for locks instead of failing, and
    # take the write lock when a transaction starts so two writers cannot deadlock on upgrade.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ----------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Internationalisation and time ---------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# WhiteNoise serves what `collectstatic` wrote: names carry a hash of the content, so the files
# are cached for good (max-age ten years, immutable), and gzip copies are made at collection.
# With DEBUG off a page refers to the hashed names, so collectstatic must run before the web
# processes start (the Dockerfile does it at build); with DEBUG on, runserver serves the sources.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Security ------------------------------------------------------------------------------

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
_trust_proxy = env_bool("TRUST_X_FORWARDED_PROTO", default=False)
if _trust_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A deployment declares that it is reached over HTTPS by redirecting to it, by trusting the
# proxy's X-Forwarded-Proto, or by an https:// SITE_URL; browsers are then told to use nothing
# else for a year (HSTS, sent on HTTPS responses only).
_https_declared = SECURE_SSL_REDIRECT or _trust_proxy or env_str("SITE_URL").startswith("https://")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31_536_000 if _https_declared else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading commits the whole registrable domain (example.org, not review.example.org) to HTTPS in
# browsers' built-in lists: its owner's decision, so off unless asked for, and not a warning.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, images, fonts and requests from this site
# only; an inline <script> or <style> runs only with the nonce of its response (none of ours
# needs one but the API docs page's style); no plugins, no <base> elsewhere, forms post here only,
# and no framing. data: images are Swagger UI's and the admin's icons, set from their stylesheets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

# --- Email ---------------------------------------------------------------------------------

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Medical Advisory Board <review@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the site is reached, for the links in emails (``https://review.example.org``). Without it
# the emails name the review desk but carry no link.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")

# --- Cache ---------------------------------------------------------------------------------

# Throttling counts requests in the cache: with several web processes, point CACHE_URL at Redis
# so that they share one count.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL.startswith(("redis://", "rediss://")):
    # A Redis that accepts connections and never answers would otherwise hold every request (the
    # throttles and the lockout read the cache on each one) for good.
    _cache_timeout = env_int("CACHE_SOCKET_TIMEOUT", default=2, minimum=1)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_timeout": _cache_timeout, "socket_connect_timeout": _cache_timeout},
        }
    }
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL; got {CACHE_URL!r}.")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Sign-in ------------------------------------------------------------------------------

# Lockout (django-axes, config/security/lockout.py): every password form (the admin's login, the
# browsable API's, the token endpoint) counts failures in the default cache, per username and per
# client address; at SIGN_IN_FAILURE_LIMIT the username or address is refused, right password or
# not, until SIGN_IN_LOCKOUT_MINUTES pass without another attempt. `check --deploy` refuses a
# process-local cache (config/security/checks.py), which would give each web process its own count.
AUTHENTICATION_BACKENDS = [
    "config.security.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# An attempt while locked out starts the wait again, so "try again in N minutes" is exact.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_CLIENT_IP_CALLABLE = "config.security.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "config.security.lockout.lockout_response"
AXES_ENABLE_ADMIN = False  # the cache handler writes no rows for it to show
# axes warns (axes.W001) about a process-local cache even for one development process;
# config.security.checks refuses it where it matters, in `check --deploy`.
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "axes.W001"]

# Second factor (django-otp, config/security/two_factor.py): these roles (groups) give a code from
# an authenticator app, or a recovery code, before any admin page opens; editors-in-chief (and
# superusers) can reset a member's. Editors and the API are not affected.
SECOND_FACTOR_ROLES = ["board_member", "editor_in_chief"]
SECOND_FACTOR_RESET_ROLES = ["editor_in_chief"]
SECOND_FACTOR_USER_ROLES = "reviewers.roles.user_roles"  # a user's role names, cached on the user
OTP_TOTP_ISSUER = "Medical Advisory Board"

# --- REST API ------------------------------------------------------------------------------

# Bodies above this many bytes are refused with a 400 before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("API_MAX_BODY_BYTES", default=1_000_000, minimum=1024)
# JSON bodies nested deeper than this (arrays and objects) are refused with a 400 before they are
# decoded (config.api.parsers). Python's decoder recurses once per level, hence the ceiling.
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", default=32, minimum=1)
if API_MAX_JSON_DEPTH > 200:
    raise ImproperlyConfigured(f"API_MAX_JSON_DEPTH must be at most 200; got {API_MAX_JSON_DEPTH}.")
# A PATCH of an article must send the ETag the client read as If-Match (428 without it); off, a
# PATCH without it overwrites, as it did before. A stale If-Match is refused (412) either way.
API_REQUIRE_IF_MATCH = env_bool("API_REQUIRE_IF_MATCH", default=True)
# The bulk import (POST /api/v1/articles/bulk/, manage.py import_articles): lines per batch (each
# batch one transaction, written whole or not at all), and the most lines and bytes one request
# may send (more is a 413).
BULK_IMPORT_BATCH_SIZE = env_int("BULK_IMPORT_BATCH_SIZE", default=1000, minimum=1)
API_BULK_IMPORT_MAX_LINES = env_int("API_BULK_IMPORT_MAX_LINES", default=2000, minimum=1)
API_BULK_IMPORT_MAX_BYTES = env_int("API_BULK_IMPORT_MAX_BYTES", default=20_000_000, minimum=1024)
# How long a POST's Idempotency-Key is remembered (with the response it got), per user.
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", default=24, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call is then answered 401 with WWW-Authenticate: Token.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["reviewers.permissions.IsEditor"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.LimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "config.api.filters.StrictDjangoFilterBackend",
        "config.api.filters.StrictSearchFilter",
        "config.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "120/minute"),
        "user": env_str("THROTTLE_USER", "1200/minute"),
        "auth": env_str("THROTTLE_AUTH", "10/minute"),
    },
    "NUM_PROXIES": env_int("NUM_PROXIES", default=0, minimum=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(hours=env_int("API_TOKEN_TTL_HOURS", default=10, minimum=1)),
    "TOKEN_LIMIT_PER_USER": env_int("API_TOKENS_PER_USER", default=20, minimum=1),
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Editorial review API",
    "DESCRIPTION": (
        "Editors write articles as immutable versions, submit them for review by the Medical "
        "Advisory Board, and follow their status and audit trail. The public endpoints give the "
        "site what it shows. Errors always have a machine-readable `code` and a `detail`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from our own static files (drf-spectacular-sidecar, pinned in requirements.txt),
    # not a CDN: the docs work without internet, and the CSP allows this site only. No online
    # validator badge (it would send the schema's URL to swagger.io).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Path parameters as the URL converters match them (anything else is a 404).
    "PATH_CONVERTER_OVERRIDES": {"slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"}},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.add_common_error_responses",
        "config.idempotency.schema.add_idempotency_key_header",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ArticleStatusEnum": "articles.models.ArticleStatus",
        "AssignmentStateEnum": "editorial.models.AssignmentState",
        "DecisionEnum": "editorial.models.Decision",
        # An assignment records the risk level it was decided under with the article's own choices.
        "RiskLevelEnum": "articles.models.RiskLevel",
        "StaffingStateEnum": "editorial.staffing.selectors.StaffingState",
        "OverrideRequestStateEnum": "editorial.staffing.models.OverrideRequestState",
        "CommentStateEnum": "editorial.comments.models.CommentState",
        "WebhookEventTypeEnum": "editorial.webhooks.models.EventType",
        "WebhookDeliveryStatusEnum": "editorial.webhooks.models.DeliveryStatus",
        # What a version records, and the kinds a caller may declare (not "not_recorded").
        "ProvenanceEnum": "articles.provenance.Provenance",
        "DeclaredProvenanceEnum": "articles.provenance.DECLARABLE_CHOICES",
    },
}

# --- Public site ---------------------------------------------------------------------------

# Whether articles that were never approved are shown at all (with the caution line) or hidden.
PUBLIC_SHOW_UNREVIEWED = env_bool("PUBLIC_SHOW_UNREVIEWED", default=False)
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", default=300, minimum=0)
PUBLIC_CAUTION_TEXT = env_str(
    "PUBLIC_CAUTION_TEXT",
    "Educational purpose only; exercise caution as content is pending human review.",
)
PUBLIC_OVERDUE_TEXT = env_str(
    "PUBLIC_OVERDUE_TEXT",
    "Educational purpose only; exercise caution as this content is due for review by our Medical "
    "Advisory Board.",
)
# The caution line while the shown text was written by a model (ai_generated or ai_assisted) and
# no approval of it stands.
PUBLIC_AI_DRAFT_TEXT = env_str(
    "PUBLIC_AI_DRAFT_TEXT", "AI-drafted, pending review by the Medical Advisory Board."
)

# --- Celery --------------------------------------------------------------------------------

# The host part means nothing to the filesystem transport; kombu warns at start-up without one.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://localhost//"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # One folder serves as both mailbox ends, so web, worker and beat see the same queue.
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A web request that queues a notification must not hang on an unreachable broker: it
        # gives up after this many seconds per attempt and the reminder sweep catches up.
        "socket_connect_timeout": env_int("CELERY_BROKER_CONNECT_TIMEOUT", default=3, minimum=1),
        # A broker that accepts the connection and never answers would otherwise hold a publish
        # (and the thread doing it) forever.
        "socket_timeout": env_int("CELERY_BROKER_SOCKET_TIMEOUT", default=5, minimum=1),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queuing from a web request retries briefly, then gives up (the sweeps derive what is owed from
# the database, so nothing is lost).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only once it has finished, so a worker that dies mid-task leaves it on
# the queue for another worker; tasks are written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", default=240, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=300, minimum=1)
# Beat's record of when each periodic task last ran: VAR_DIR should be on persistent storage, so
# that a restarted beat does not forget.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A task taken by a worker that then vanished (host lost, kill -9) goes back on the queue after
# this many seconds. Redis cannot tell a dead worker from a slow one, so the wait must outlast the
# longest run (the hard time limit) and a retry's countdown, which a worker holds unacknowledged
# (at most 32 s with the tasks' backoff): by default the limit plus a minute.
CELERY_VISIBILITY_TIMEOUT = env_int(
    "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60, minimum=1
)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({CELERY_VISIBILITY_TIMEOUT} s) must exceed CELERY_TASK_TIME_LIMIT "
        f"({CELERY_TASK_TIME_LIMIT} s), or a task still running is handed to a second worker; "
        "unset, it is the time limit plus 60 s."
    )
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = CELERY_VISIBILITY_TIMEOUT

# Scheduled work (docs/operations.md). Beat runs once; the tasks are safe to run twice anyway.
REMINDERS_EVERY_MINUTES = env_int("REMINDERS_EVERY_MINUTES", default=15, minimum=1)
STALENESS_SWEEP_EVERY_HOURS = env_int("STALENESS_SWEEP_EVERY_HOURS", default=24, minimum=1)
INTEGRITY_CHECK_EVERY_HOURS = env_int("INTEGRITY_CHECK_EVERY_HOURS", default=24, minimum=1)
# A round short of reviewers (or needing a specialist) is reported at once when nobody eligible is
# free to fill it, and after this many hours when someone is but nobody has been assigned.
STAFFING_ALERT_GRACE_HOURS = env_int("STAFFING_ALERT_GRACE_HOURS", default=24, minimum=1)

# The transactional outbox (editorial/outbox): a request hands its messages to the broker within
# this many milliseconds or leaves them to the relay; after an overrun or a failure, requests stop
# trying for OUTBOX_BREAKER_SECONDS. The relay runs every OUTBOX_RELAY_EVERY_SECONDS, publishes up
# to OUTBOX_RELAY_BATCH_SIZE messages a run, and deletes messages published more than
# OUTBOX_RETENTION_DAYS ago.
OUTBOX_PUBLISH_BUDGET_MS = env_int("OUTBOX_PUBLISH_BUDGET_MS", default=200, minimum=1)
OUTBOX_BREAKER_SECONDS = env_int("OUTBOX_BREAKER_SECONDS", default=30, minimum=1)
OUTBOX_RELAY_EVERY_SECONDS = env_int("OUTBOX_RELAY_EVERY_SECONDS", default=30, minimum=1)
OUTBOX_RELAY_BATCH_SIZE = env_int("OUTBOX_RELAY_BATCH_SIZE", default=1000, minimum=1)
OUTBOX_RETENTION_DAYS = env_int("OUTBOX_RETENTION_DAYS", default=7, minimum=1)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "send-review-reminders": {
        "task": "editorial.tasks.send_review_reminders",
        "schedule": datetime.timedelta(minutes=REMINDERS_EVERY_MINUTES),
        # A run still queued when the next is due is dropped: the next one sends the same.
        "options": {"expires": REMINDERS_EVERY_MINUTES * 60},
    },
    "mark-stale-articles": {
        "task": "editorial.tasks.mark_stale_articles",
        "schedule": datetime.timedelta(hours=STALENESS_SWEEP_EVERY_HOURS),
        "options": {"expires": STALENESS_SWEEP_EVERY_HOURS * 3600},
    },
    # Approvals re-checked for what the calendar alone changes (credentials lapsing, a declared
    # conflict coming into force), then every article showing an approval audited; the
    # editors-in-chief are emailed about any violation.
    "revalidate-approvals": {
        "task": "editorial.tasks.revalidate_approvals",
        "schedule": datetime.timedelta(hours=INTEGRITY_CHECK_EVERY_HOURS),
        "options": {"expires": INTEGRITY_CHECK_EVERY_HOURS * 3600},
    },
    "verify-approvals": {
        "task": "editorial.tasks.verify_approvals",
        "schedule": datetime.timedelta(hours=INTEGRITY_CHECK_EVERY_HOURS),
        "options": {"expires": INTEGRITY_CHECK_EVERY_HOURS * 3600},
    },
    "send-staffing-alerts": {
        "task": "editorial.tasks.send_staffing_alerts",
        "schedule": datetime.timedelta(minutes=REMINDERS_EVERY_MINUTES),
        "options": {"expires": REMINDERS_EVERY_MINUTES * 60},
    },
    "purge-idempotency-keys": {
        "task": "config.idempotency.tasks.purge_idempotency_keys",
        "schedule": datetime.timedelta(hours=1),
        "options": {"expires": 3600},
    },
    # Side effects the web processes could not hand to the broker within their budget.
    "relay-outbox": {
        "task": "editorial.tasks.relay_outbox",
        "schedule": datetime.timedelta(seconds=OUTBOX_RELAY_EVERY_SECONDS),
        "options": {"expires": OUTBOX_RELAY_EVERY_SECONDS},
    },
}

# Reminders: "due soon" this many hours before a review's due date (once); "overdue" once a day
# from the due date on; an escalation to the editors-in-chief once a review is this many days late.
REVIEW_DUE_SOON_HOURS = env_int("REVIEW_DUE_SOON_HOURS", default=48, minimum=1)
REVIEW_ESCALATE_AFTER_DAYS = env_int("REVIEW_ESCALATE_AFTER_DAYS", default=3, minimum=1)
# How far back the sweep looks for assignments, cancellations and decisions whose notification
# never went out (the broker was down); older ones are not announced late.
NOTIFICATION_CATCH_UP_DAYS = env_int("NOTIFICATION_CATCH_UP_DAYS", default=7, minimum=1)
# The reminder sweep claims and queues emails this many at a time (one outbox message a batch),
# starts no batch after this many seconds (the next run, queued at once, resumes), and hands to
# the outbox again the emails claimed this many minutes ago and still not delivered.
REMINDERS_BATCH_SIZE = env_int("REMINDERS_BATCH_SIZE", default=500, minimum=1)
REMINDERS_TIME_BUDGET_SECONDS = env_int(
    "REMINDERS_TIME_BUDGET_SECONDS", default=min(180, CELERY_TASK_SOFT_TIME_LIMIT * 3 // 4), minimum=1
)
REMINDERS_REDELIVER_AFTER_MINUTES = env_int("REMINDERS_REDELIVER_AFTER_MINUTES", default=60, minimum=1)
# The staleness sweep expires due approvals this many articles per statement, and opens at most
# this many re-reviews per task run (a larger backlog continues in a follow-up run).
STALENESS_BATCH_SIZE = env_int("STALENESS_BATCH_SIZE", default=5000, minimum=1)
STALENESS_RE_REVIEWS_PER_RUN = env_int("STALENESS_RE_REVIEWS_PER_RUN", default=500, minimum=1)

# --- Webhooks ------------------------------------------------------------------------------

# Outbound webhooks (editorial/webhooks, docs/webhooks.md). A failed attempt is retried after each
# delay of WEBHOOK_RETRY_SCHEDULE_SECONDS in turn (exponential, about a day in all: 5 s, 1 min,
# 5 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h), each shortened by a random part of up to
# WEBHOOK_RETRY_JITTER_PERCENT of itself; after the last the delivery is failed, shown on the
# chiefs' desk and emailed to them (once per endpoint per day). Beat sweeps what is due every
# WEBHOOK_SWEEP_EVERY_SECONDS, up to WEBHOOK_DELIVERY_BATCH_SIZE attempts a run.
WEBHOOK_RETRY_SCHEDULE_SECONDS = [
    int(seconds)
    for seconds in env_list(
        "WEBHOOK_RETRY_SCHEDULE_SECONDS",
        default=["5", "60", "300", "1800", "3600", "7200", "14400", "28800", "28800"],
    )
]
if not WEBHOOK_RETRY_SCHEDULE_SECONDS or min(WEBHOOK_RETRY_SCHEDULE_SECONDS) < 1:
    raise ImproperlyConfigured("WEBHOOK_RETRY_SCHEDULE_SECONDS must list at least one delay of 1 s or more.")
WEBHOOK_RETRY_JITTER = env_int("WEBHOOK_RETRY_JITTER_PERCENT", default=25, minimum=0) / 100
if WEBHOOK_RETRY_JITTER >= 1:
    raise ImproperlyConfigured("WEBHOOK_RETRY_JITTER_PERCENT must be below 100.")
WEBHOOK_SWEEP_EVERY_SECONDS = env_int("WEBHOOK_SWEEP_EVERY_SECONDS", default=30, minimum=1)
WEBHOOK_DELIVERY_BATCH_SIZE = env_int("WEBHOOK_DELIVERY_BATCH_SIZE", default=200, minimum=1)
# Each attempt waits at most this long to connect, and this long for each read of the answer.
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env_int("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=5, minimum=1)
WEBHOOK_READ_TIMEOUT_SECONDS = env_int("WEBHOOK_READ_TIMEOUT_SECONDS", default=10, minimum=1)
# Endpoints on private, loopback or link-local addresses are refused (a webhook must not reach
# the internal network); allow them only for development and tests.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
# After a secret rotation the old secret signs too (both signatures sent) for this many hours.
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", default=24, minimum=1)
CELERY_BEAT_SCHEDULE["deliver-due-webhooks"] = {
    "task": "editorial.webhooks.tasks.deliver_due_webhooks",
    "schedule": datetime.timedelta(seconds=WEBHOOK_SWEEP_EVERY_SECONDS),
    "options": {"expires": WEBHOOK_SWEEP_EVERY_SECONDS},
}

# --- Triage --------------------------------------------------------------------------------

# The triage queue (editorial/triage, docs/architecture.md "The triage queue"): pending articles
# ranked by a score of points. A high-risk article gets TRIAGE_WEIGHT_HIGH_RISK; a current version
# drafted by a model TRIAGE_WEIGHT_AI_GENERATED (with AI assistance TRIAGE_WEIGHT_AI_ASSISTED,
# provenance not recorded TRIAGE_WEIGHT_NOT_RECORDED); each day waiting TRIAGE_WEIGHT_PER_DAY_WAITING
# up to TRIAGE_MAX_DAYS_WAITING days; each tenfold of page views in the last TRIAGE_PAGE_VIEWS_DAYS
# days TRIAGE_WEIGHT_PER_TENFOLD_VIEWS. The forecast divides the backlog by the rounds the board
# completed a week over the last TRIAGE_THROUGHPUT_WEEKS weeks. With TRIAGE_AUTO_SUBMIT on, beat
# submits the top of the queue every TRIAGE_AUTO_SUBMIT_EVERY_MINUTES while the board has free
# seats, at most TRIAGE_AUTO_SUBMIT_MAX_PER_RUN articles a run.
TRIAGE_WEIGHTS = {
    "high_risk": env_int("TRIAGE_WEIGHT_HIGH_RISK", default=30, minimum=0),
    "ai_generated": env_int("TRIAGE_WEIGHT_AI_GENERATED", default=40, minimum=0),
    "ai_assisted": env_int("TRIAGE_WEIGHT_AI_ASSISTED", default=15, minimum=0),
    "not_recorded": env_int("TRIAGE_WEIGHT_NOT_RECORDED", default=10, minimum=0),
    "per_day_waiting": env_int("TRIAGE_WEIGHT_PER_DAY_WAITING", default=1, minimum=0),
    "max_days_waiting": env_int("TRIAGE_MAX_DAYS_WAITING", default=60, minimum=1),
    "per_tenfold_views": env_int("TRIAGE_WEIGHT_PER_TENFOLD_VIEWS", default=10, minimum=0),
}
TRIAGE_PAGE_VIEWS_DAYS = env_int("TRIAGE_PAGE_VIEWS_DAYS", default=28, minimum=1)
TRIAGE_THROUGHPUT_WEEKS = env_int("TRIAGE_THROUGHPUT_WEEKS", default=4, minimum=1)
TRIAGE_AUTO_SUBMIT = env_bool("TRIAGE_AUTO_SUBMIT", default=False)
TRIAGE_AUTO_SUBMIT_EVERY_MINUTES = env_int("TRIAGE_AUTO_SUBMIT_EVERY_MINUTES", default=60, minimum=1)
TRIAGE_AUTO_SUBMIT_MAX_PER_RUN = env_int("TRIAGE_AUTO_SUBMIT_MAX_PER_RUN", default=200, minimum=1)
CELERY_BEAT_SCHEDULE["auto-submit-triage"] = {
    "task": "editorial.triage.tasks.auto_submit_triage",
    "schedule": datetime.timedelta(minutes=TRIAGE_AUTO_SUBMIT_EVERY_MINUTES),
    "options": {"expires": TRIAGE_AUTO_SUBMIT_EVERY_MINUTES * 60},
}

# --- Health checks -------------------------------------------------------------------------

# /health/ready (docs/operations.md, "Health checks"). The checks whose failure answers 503 and
# takes the process out of rotation; the others report "degraded" and leave it serving.
HEALTH_CHECK_NAMES = ("database", "cache", "broker", "worker", "beat", "outbox")
HEALTH_CRITICAL_CHECKS = env_list("HEALTH_CRITICAL_CHECKS", default=["database", "cache"])
if unknown := set(HEALTH_CRITICAL_CHECKS) - set(HEALTH_CHECK_NAMES):
    raise ImproperlyConfigured(
        f"HEALTH_CRITICAL_CHECKS names unknown checks {sorted(unknown)}; the checks are "
        f"{', '.join(HEALTH_CHECK_NAMES)}."
    )
# Seconds the cache and broker checks wait for an answer, and a worker ping for a reply; how long
# each web process keeps the ping's answer before asking the workers again.
HEALTH_CHECK_TIMEOUT_SECONDS = env_int("HEALTH_CHECK_TIMEOUT_SECONDS", default=2, minimum=1)
HEALTH_WORKER_PING_TIMEOUT_SECONDS = env_int("HEALTH_WORKER_PING_TIMEOUT_SECONDS", default=2, minimum=1)
HEALTH_WORKER_PING_CACHE_SECONDS = env_int("HEALTH_WORKER_PING_CACHE_SECONDS", default=30, minimum=0)
# Beat queues a heartbeat task this often; the beat check fails once the last one a worker ran is
# older than HEALTH_BEAT_MAX_AGE_SECONDS (three heartbeats by default).
HEALTH_BEAT_HEARTBEAT_SECONDS = env_int("HEALTH_BEAT_HEARTBEAT_SECONDS", default=60, minimum=1)
HEALTH_BEAT_MAX_AGE_SECONDS = env_int(
    "HEALTH_BEAT_MAX_AGE_SECONDS", default=3 * HEALTH_BEAT_HEARTBEAT_SECONDS, minimum=1
)
# The outbox check fails when more messages than this wait for the broker, or the oldest has waited
# longer than this many seconds (the relay runs every OUTBOX_RELAY_EVERY_SECONDS).
HEALTH_OUTBOX_MAX_PENDING = env_int("HEALTH_OUTBOX_MAX_PENDING", default=1000, minimum=0)
HEALTH_OUTBOX_MAX_AGE_SECONDS = env_int("HEALTH_OUTBOX_MAX_AGE_SECONDS", default=300, minimum=1)
CELERY_BEAT_SCHEDULE["beat-heartbeat"] = {
    "task": "editorial.observability.tasks.beat_heartbeat",
    "schedule": datetime.timedelta(seconds=HEALTH_BEAT_HEARTBEAT_SECONDS),
    "options": {"expires": HEALTH_BEAT_HEARTBEAT_SECONDS},
}

# --- Metrics -------------------------------------------------------------------------------

# /metrics for Prometheus (docs/operations.md, "Metrics"): absent unless enabled, and then only
# with `Authorization: Bearer <METRICS_TOKEN>`. With several gunicorn workers, also set
# PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself) to an empty folder.
METRICS_ENABLED = env_bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_ENABLED and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured(
        "METRICS_ENABLED is on: set METRICS_TOKEN to a random string of at least 16 characters "
        "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'`); Prometheus sends it."
    )

# --- History -------------------------------------------------------------------------------

# Reasons are sentences written by people ("Corrected the dose in paragraph 2"); 100 characters
# is not enough.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# History is a record, not an undo button: reverting from the admin would bypass the workflow.
# This hides the button; config.admin.ReadOnlyHistoryAdmin refuses the request itself.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Editorial policy ----------------------------------------------------------------------

# How long an approval stands before the article must be reviewed again; a specialty or an
# article can set its own interval.
REVIEW_INTERVAL_DAYS = env_int("REVIEW_INTERVAL_DAYS", default=365, minimum=1)
# Approvals a review round needs, by the article's risk level.
REVIEW_QUORUM = {
    "standard": env_int("REVIEW_QUORUM_STANDARD", default=1, minimum=1),
    "high": env_int("REVIEW_QUORUM_HIGH", default=2, minimum=1),
}
# Days a board member has for a review, unless the editor sets a due date.
REVIEW_ASSIGNMENT_DAYS = env_int("REVIEW_ASSIGNMENT_DAYS", default=7, minimum=1)

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo")

# --- Logging -------------------------------------------------------------------------------

# One JSON object per line (timestamp, level, logger, event, request_id, user_id and the record's
# own fields), or readable lines for development (LOG_FORMAT=console; `make run`, with DEBUG on).
# django-structlog binds the request id and the user to each request and carries them into the
# Celery tasks the request queues (docs/operations.md, "Logs").
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "console" if DEBUG else "json").lower()
if LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console; got {LOG_FORMAT!r}.")
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# The request id middleware validates the incoming header before django-structlog trusts it.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False  # readers' addresses are personal data; not needed


def _first_fields(logger: object, method: str, event: dict[str, Any]) -> dict[str, Any]:
    """The fields every line has, first, so that a person reading the JSON finds them."""
    first = ("timestamp", "level", "logger", "event", "request_id", "user_id", "task_id")
    return {key: event.pop(key) for key in first if key in event} | event


_LOG_CONTEXT: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            # A standard library record keeps its message as the event and its `extra` fields.
            "foreign_pre_chain": [*_LOG_CONTEXT, structlog.stdlib.ExtraAdder()],
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _first_fields,
                structlog.processors.JSONRenderer(),
            ],
        },
        "console": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": _LOG_CONTEXT,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(
                    colors=False, pad_event_to=0, exception_formatter=structlog.dev.plain_traceback
                ),
            ],
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,
        *_LOG_CONTEXT,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.UnicodeDecoder(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
