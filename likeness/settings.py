"""The one settings module. Every value comes from the environment, with a safe local default.

Local default: SQLite under ./var and media under ./var/media, so `make run` needs no server.
Production: set DATABASE_URL (PostgreSQL), DJANGO_SECRET_KEY, DJANGO_DEBUG=0, DJANGO_ALLOWED_HOSTS.
"""
from __future__ import annotations

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


DEBUG = env_bool("DJANGO_DEBUG", True)
# The fallback key is only for local runs; production refuses to start without its own (see below).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "local-development-key-not-for-production")
if not DEBUG and SECRET_KEY.startswith("local-development"):
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "likeness.audit",
    "likeness.organisations",
    "likeness.people",
    "likeness.productions",
    "likeness.consent",
    "likeness.policy",
    "likeness.provenance",
    "likeness.jobs",
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

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

# Provenance: the platform's signing CA. Keys live outside the repository (mode 0600).
PKI_DIR = Path(os.environ.get("LIKENESS_PKI_DIR", Path.home() / ".local" / "share" / "likeness" / "pki"))
# RFC 3161 timestamp authority; empty means no timestamp (see docs/provenance.md for what that implies).
TSA_URL = os.environ.get("LIKENESS_TSA_URL", "")
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

# Celery. Embedded default: the filesystem broker under ./var/broker (no server). Production: Redis or
# RabbitMQ through CELERY_BROKER_URL. Results are not kept: jobs record their own state in the database.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
BROKER_DIR = Path(os.environ.get("LIKENESS_BROKER_DIR", VAR_DIR / "broker"))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"data_folder_in": str(BROKER_DIR / "queue"), "data_folder_out": str(BROKER_DIR / "queue"),
     "processed_folder": str(BROKER_DIR / "processed"), "store_processed": False,
     "control_folder": str(BROKER_DIR / "control"),
     # The filesystem broker polls its folder; a short interval keeps queueing latency low.
     "polling_interval": float(os.environ.get("LIKENESS_BROKER_POLL_SECONDS", "0.1"))}
    if CELERY_BROKER_URL.startswith("filesystem") else
    # Redis re-delivers an unacknowledged message after this long; the job claim makes re-delivery harmless.
    {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
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
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
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
