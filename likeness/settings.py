"""The one settings module. Every value comes from the environment, with a safe local default.

Local default: SQLite under ./var and media under ./var/media, so `make run` needs no server; `make run` turns
DEBUG on. Without DJANGO_DEBUG=1 the settings are production's (HTTPS only, no fallback secret key): set
DATABASE_URL (PostgreSQL), DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS (platform/env.example, docs/security.md).
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LIKENESS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for: `make run` turns it on for the local demo; a deployment that forgets the variable gets
# production behaviour, never debug pages.
DEBUG = env_bool("DJANGO_DEBUG", False)
# A fallback key exists for local runs only (DEBUG on); anything else must bring its own.
_LOCAL_KEY = "local-development-key-not-for-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _LOCAL_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _LOCAL_KEY or SECRET_KEY.startswith("change-me")):
    raise RuntimeError("DJANGO_SECRET_KEY must be set to a long random value when DJANGO_DEBUG is off "
                       "(python -c 'import secrets; print(secrets.token_urlsafe(50))')")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "likeness.audit",
    "likeness.accounts",
    "likeness.organisations",
    "likeness.people",
    "likeness.productions",
    "likeness.consent",
    "likeness.policy",
    "likeness.provenance",
    "likeness.jobs",
    "likeness.operations",
    "likeness.api",
    "likeness.web",
    "likeness.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything can read a body: an oversized or unbounded one is refused unread.
    "likeness.common.request_limits.RequestLimitsMiddleware",
    # The app serves its own static files (admin, API docs) in production too: no CDN, no extra server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "likeness.accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "likeness.common.cache_control.PrivateRecordsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in on any path (pages, admin, API) into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "likeness.urls"
WSGI_APPLICATION = "likeness.wsgi.application"
ASGI_APPLICATION = "likeness.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "likeness.web.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'likeness.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # A persistent connection the server dropped (restart, failover, idle timeout) is noticed and
        # replaced at the start of the next request or task instead of failing it.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default keeps its database under ./var; create it so a fresh clone just runs.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while a worker writes; the timeout waits out short write locks.
    # IMMEDIATE transactions take the write lock up front, so a worker and the web process wait for each
    # other (up to the timeout) instead of failing with "database is locked" when a read turns into a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
    # Tests run the real Celery worker in another process: the test database must be a file it can open.
    # One file per test run, so two runs on one machine never share (and corrupt) a test database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("LIKENESS_TEST_DB", str(VAR_DIR / f"test-{os.getpid()}.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds API throttle counts. Per process by default; production shares Redis so every web process
# counts the same requests (LIKENESS_CACHE_URL=redis://redis:6379/1).
CACHES = {"default": (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["LIKENESS_CACHE_URL"]}
    if os.environ.get("LIKENESS_CACHE_URL") else
    {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"})}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a sign-in while the username (from that address) is locked out, on every path
# that calls authenticate() (the sign-in page, the admin, the API token endpoint).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("LIKENESS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=float(os.environ.get("LIKENESS_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "likeness.accounts.lockout.lockout_response"
# Behind the production proxies the client address is the one they appended to X-Forwarded-For.
PROXY_COUNT = int(os.environ.get("LIKENESS_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "likeness.accounts.client_ip.client_ip"
# Binding acts (approve or revoke a grant, approve an output) need a TOTP code proved this recently.
SECOND_FACTOR_MAX_AGE_SECONDS = int(os.environ.get("LIKENESS_SECOND_FACTOR_MAX_AGE_SECONDS", "900"))
OTP_TOTP_ISSUER = "Likeness"
# API tokens (django-rest-knox): stored as digests, each with an expiry; people list and revoke them.
API_TOKEN_DEFAULT_DAYS = int(os.environ.get("LIKENESS_API_TOKEN_DEFAULT_DAYS", "30"))
API_TOKEN_MAX_DAYS = int(os.environ.get("LIKENESS_API_TOKEN_MAX_DAYS", "90"))
API_TOKENS_PER_USER = int(os.environ.get("LIKENESS_API_TOKENS_PER_USER", "10"))
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own token table is swapped out for accounts.ApiToken: skip knox's migrations, or they would still create
# its unused table (whose foreign key to users then blocks PostgreSQL's TRUNCATE when tests flush the database).
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"TOKEN_TTL": None, "AUTH_HEADER_PREFIX": "Token", "AUTO_REFRESH": False}
# Sessions end after a working day, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("LIKENESS_SESSION_HOURS", "10")) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# HTTPS. On by default outside local runs: the production proxy terminates TLS and says so in
# X-Forwarded-Proto (set LIKENESS_PROXY_SSL_HEADER=0 only when nothing in front sets that header).
HTTPS = env_bool("LIKENESS_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(365 * 24 * 3600 if HTTPS else 0)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", HTTPS)
if env_bool("LIKENESS_PROXY_SSL_HEADER", HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): everything from this origin only, no inline script or style block, no eval
# (htmx runs with allowEval and its inline indicator styles off, see templates/web/base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Style attributes only (no <style> blocks): the review player places its wipe line with one, and the
        # page must work without script.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("LIKENESS_STATIC_ROOT", VAR_DIR / "static"))
try:  # WhiteNoise expects the collected-files folder to exist, even before the first collectstatic
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:
    pass
# Serve app static files straight from the installed apps as well, so a deployment that skipped
# collectstatic still works (collectstatic remains the faster path; platform/bin/web.sh runs it).
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("LIKENESS_MEDIA_ROOT", VAR_DIR / "media"))

# Uploads: Django refuses request bodies above this before any view runs.
CONSENT_DOCUMENT_MAX_BYTES = int(os.environ.get("LIKENESS_CONSENT_DOCUMENT_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Every request body is bounded per route before anything reads it (likeness/common/request_limits.py): the
# upload routes by their file's limit (contracts, reference footage, plates, files to verify), every other route
# by this much. Upload temp files go to FILE_UPLOAD_TEMP_DIR (the system's by default).
REQUEST_BODY_MAX_BYTES = int(os.environ.get("LIKENESS_REQUEST_BODY_MAX_BYTES", str(DATA_UPLOAD_MAX_MEMORY_SIZE)))
REFERENCE_UPLOAD_MAX_BYTES = int(os.environ.get("LIKENESS_REFERENCE_UPLOAD_MAX_BYTES", str(2 * 1024 ** 3)))
FILE_UPLOAD_TEMP_DIR = os.environ.get("LIKENESS_UPLOAD_TEMP_DIR") or None
# Temp files of uploads: a full disk while one is written is a 400 naming the field, and the partial file goes.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "likeness.common.uploads.GuardedTemporaryFileUploadHandler"]
# Pixel caps, read from headers before anything decodes a picture (a small PNG can inflate to gigabytes).
# Stills: 8192 x 8192 (67 Mpx). Plates and reference footage: the same per frame, and frames x pixels at most
# ten minutes of 8K UHD (8192 x 4320) at 24 fps.
MAX_IMAGE_PIXELS = int(os.environ.get("LIKENESS_MAX_IMAGE_PIXELS", str(8192 * 8192)))
PLATE_MAX_PIXELS_PER_FRAME = int(os.environ.get("LIKENESS_PLATE_MAX_PIXELS_PER_FRAME", str(8192 * 8192)))
PLATE_MAX_TOTAL_PIXELS = int(os.environ.get("LIKENESS_PLATE_MAX_TOTAL_PIXELS", str(8192 * 4320 * 24 * 600)))

# Provenance: the platform's signing CA (keys mode 0600), kept with the instance's data: the database records
# which certificates it issued, so a fresh var folder (fresh database) gets a fresh CA and an instance keeps its own.
# /var/ is ignored by git: the keys never enter the repository.
PKI_DIR = Path(os.environ.get("LIKENESS_PKI_DIR", VAR_DIR / "pki"))
# An external RFC 3161 timestamp authority; empty means the platform's own (docs/provenance.md).
TSA_URL = os.environ.get("LIKENESS_TSA_URL", "")
# Signed, timestamped checkpoints of the audit chain, outside the database: a folder an operator can make
# write-once (a WORM mount, or a bucket with object lock synced from it). Written every interval and on demand.
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("LIKENESS_AUDIT_CHECKPOINT_DIR", VAR_DIR / "audit-checkpoints"))
AUDIT_CHECKPOINT_SECONDS = float(os.environ.get("LIKENESS_AUDIT_CHECKPOINT_SECONDS", "300"))
OUTPUT_UPLOAD_MAX_BYTES = int(os.environ.get("LIKENESS_VERIFY_UPLOAD_MAX_BYTES", str(2 * 1024 * 1024 * 1024)))

# Files: the local filesystem by default; S3-compatible object storage when a bucket is configured.
if os.environ.get("LIKENESS_S3_BUCKET"):
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": os.environ["LIKENESS_S3_BUCKET"],
                "endpoint_url": os.environ.get("LIKENESS_S3_ENDPOINT_URL") or None,
                "region_name": os.environ.get("LIKENESS_S3_REGION") or None,
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

# Celery. Embedded default: messages in a SQLite file, var/broker.sqlite3 (likeness/operations/broker.py; no
# server). Production: Redis or RabbitMQ through CELERY_BROKER_URL. Results are not kept: jobs record their own
# state in the database.
BROKER_FILE = Path(os.environ.get("LIKENESS_BROKER_FILE", VAR_DIR / "broker.sqlite3"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"embedded+sqlite:///{BROKER_FILE}")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    # Polled: a short interval keeps queueing latency low (each poll is one indexed read).
    {"polling_interval": float(os.environ.get("LIKENESS_BROKER_POLL_SECONDS", "0.2"))}
    if CELERY_BROKER_URL.startswith("embedded+") else
    # Redis re-delivers an unacknowledged message after this long; the job claim makes re-delivery harmless.
    {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
)
if CELERY_BROKER_URL.startswith("embedded+"):
    BROKER_FILE.parent.mkdir(parents=True, exist_ok=True)
    # Remote control and worker events need a broadcast-capable broker; the embedded one has none, and the
    # platform's own worker registry (likeness/operations) says which workers are alive.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# Workers record themselves and beat this often (likeness/operations); one silent this long is taken for dead.
WORKER_BEAT_SECONDS = float(os.environ.get("LIKENESS_WORKER_BEAT_SECONDS", "5"))
WORKER_SILENT_SECONDS = float(os.environ.get("LIKENESS_WORKER_SILENT_SECONDS", str(3 * WORKER_BEAT_SECONDS + 1)))
# A running job writes a heartbeat; one silent for this long belongs to a dead worker and is queued again.
JOB_HEARTBEAT_SECONDS = float(os.environ.get("LIKENESS_JOB_HEARTBEAT_SECONDS", "2"))
JOB_STALE_SECONDS = float(os.environ.get("LIKENESS_JOB_STALE_SECONDS", "30"))
JOB_TIME_LIMIT_SECONDS = int(os.environ.get("LIKENESS_JOB_TIME_LIMIT_SECONDS", str(6 * 3600)))
# A job is started at most this many times: one whose worker keeps dying on it (a plate that crashes the engine,
# a model that exhausts GPU memory) fails with the reason instead of being queued again forever.
JOB_MAX_ATTEMPTS = max(1, int(os.environ.get("LIKENESS_JOB_MAX_ATTEMPTS", "3")))
# Frames between two consent checks: about 2 s of 24 fps footage, a few seconds of work on a CPU, less on a GPU.
JOB_CHUNK_FRAMES = int(os.environ.get("LIKENESS_JOB_CHUNK_FRAMES", "48"))
PLATE_UPLOAD_MAX_BYTES = int(os.environ.get("LIKENESS_PLATE_UPLOAD_MAX_BYTES", str(4 * 1024 * 1024 * 1024)))
# Engine work directory for checkpoints and renders in progress (local disk on each worker).
ENGINE_WORK_DIR = Path(os.environ.get("LIKENESS_ENGINE_WORK_DIR", VAR_DIR / "engine"))
# Live preview: the worker writes each session's latest side-by-side frame here and the web process serves it,
# so the folder must be shared by both (one host, or a shared volume in a multi-machine deployment).
PREVIEW_DIR = Path(os.environ.get("LIKENESS_PREVIEW_DIR", VAR_DIR / "preview"))
# A running preview asks the gate again this often (seconds); frames are sent at this JPEG quality.
PREVIEW_REGATE_SECONDS = float(os.environ.get("LIKENESS_PREVIEW_REGATE_SECONDS", "3"))
PREVIEW_JPEG_QUALITY = int(os.environ.get("LIKENESS_PREVIEW_JPEG_QUALITY", "80"))
# Training defaults (steps per model size); small values make the demo and tests quick.
ENGINE_TRAIN_STEPS = {"tiny": 300, "preview": 1500, "final": 4000}  # final: the recipe measured in docs/engine.md
if os.environ.get("LIKENESS_ENGINE_TRAIN_STEPS"):
    ENGINE_TRAIN_STEPS.update({k: int(v) for k, v in (item.split("=") for item in
                                                       env_list("LIKENESS_ENGINE_TRAIN_STEPS"))})

# Selectable rule packs that are off by default (e.g. US-NOFAKES, a bill and not law).
GATE_EXTRA_PACKS = env_list("LIKENESS_GATE_EXTRA_PACKS")

REST_FRAMEWORK = {
    # Token first: an anonymous or expired-token request is answered 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "likeness.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per user (or address, signed out) and per minute; the sign-in endpoint has its own tighter rate.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle",
                                 "rest_framework.throttling.UserRateThrottle",
                                 "rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("LIKENESS_API_ANON_RATE", "60/min"),
        "user": os.environ.get("LIKENESS_API_USER_RATE", "1200/min"),
        "sign_in": os.environ.get("LIKENESS_API_SIGN_IN_RATE", "10/min"),
    },
    "NUM_PROXIES": PROXY_COUNT or None,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "likeness.api.pagination.BoundedLimitOffsetPagination",
    # Filters are declared per view (filterset_fields): a value of the wrong type is a 400 naming the field,
    # and the filters appear in the schema.
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": ["likeness.api.parsers.BoundedJSONParser",
                               "rest_framework.parsers.FormParser", "rest_framework.parsers.MultiPartParser"],
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "likeness.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Likeness platform API",
    "DESCRIPTION": "Consent registry, likeness gate and audit chain.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI assets come from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "likeness.api.schema.document_error_responses"],
}

# People sign in on the app's own page; the admin is for operators.
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LIKENESS_LOG_LEVEL", "INFO")},
}
