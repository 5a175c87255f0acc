"""The studio's one settings module. Every value comes from the environment; see .env.example."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from studio.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
)

# Lets generic Django classes take type arguments at run time (`admin.ModelAdmin[Project]`).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

# "development" is what `make run` and the tests use; "production" is what the Docker image
# sets. Production requires a real SECRET_KEY and Chanjing credentials.
STUDIO_ENV = env_choice("STUDIO_ENV", "development", {"development", "production"})
PRODUCTION = STUDIO_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when STUDIO_ENV=production")

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required when STUDIO_ENV=production")
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is required when STUDIO_ENV=production (e.g. studio.example.com)"
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Chanjing and the sandbox -------------------------------------------------------------
CHANJING_APP_ID = env_str("CHANJING_APP_ID")
CHANJING_SECRET_KEY = env_str("CHANJING_SECRET_KEY")
if bool(CHANJING_APP_ID) != bool(CHANJING_SECRET_KEY):
    raise ImproperlyConfigured("Set both CHANJING_APP_ID and CHANJING_SECRET_KEY, or neither")

# Without credentials the studio talks to its own sandbox provider over HTTP.
SANDBOX_MODE = not CHANJING_APP_ID
if SANDBOX_MODE and PRODUCTION:
    raise ImproperlyConfigured(
        "The sandbox provider cannot run in production: set CHANJING_APP_ID and CHANJING_SECRET_KEY"
    )
# Where the studio's own server answers; the sandbox lives under /sandbox/ of it.
STUDIO_BASE_URL = env_str("STUDIO_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CHANJING_BASE_URL = env_str(
    "CHANJING_BASE_URL",
    f"{STUDIO_BASE_URL}/sandbox" if SANDBOX_MODE else "https://open-api.chanjing.cc",
).rstrip("/")
# The credentials the sandbox accepts; in sandbox mode the client uses them too.
SANDBOX_APP_ID = env_str("SANDBOX_APP_ID", "sandbox")
SANDBOX_SECRET_KEY = env_str("SANDBOX_SECRET_KEY", "sandbox")
if SANDBOX_MODE:
    CHANJING_APP_ID, CHANJING_SECRET_KEY = SANDBOX_APP_ID, SANDBOX_SECRET_KEY
CHANJING_MODEL_CODE = env_str("CHANJING_MODEL_CODE", "Doubao-Seedance-1.0-lite-i2v")
CHANJING_FRAME_MODE = env_choice("CHANJING_FRAME_MODE", "both", {"both", "fields", "list"})
CHANJING_CONNECT_TIMEOUT = env_float("CHANJING_CONNECT_TIMEOUT", 3.05)
CHANJING_READ_TIMEOUT = env_float("CHANJING_READ_TIMEOUT", 20.0)
CHANJING_MAX_RETRIES = env_int("CHANJING_MAX_RETRIES", 3)
# Calls per second for the whole deployment, shared by every process through the database.
CHANJING_RATE_LIMIT = env_float("CHANJING_RATE_LIMIT", 5.0)
# Refresh the shared token this many seconds before it expires.
CHANJING_TOKEN_REFRESH_MARGIN = env_int("CHANJING_TOKEN_REFRESH_MARGIN", 300)
# Completion webhook; empty disables it.
CHANJING_CALLBACK_BASE_URL = env_str("CHANJING_CALLBACK_BASE_URL", "")
# Where result videos may be downloaded from (see studio.chanjing.download): host names, or
# ".domain" for a domain and its subdomains; always by https, by http too only if allowed.
# Addresses inside the studio's own networks are refused after DNS, except for the exact
# origins in CHANJING_DOWNLOAD_LOCAL_ORIGINS: in sandbox mode, the sandbox's own server.
CHANJING_DOWNLOAD_HOSTS = env_list("CHANJING_DOWNLOAD_HOSTS", [".chanjing.cc"])
CHANJING_DOWNLOAD_HTTP = env_bool("CHANJING_DOWNLOAD_HTTP", False)
CHANJING_DOWNLOAD_LOCAL_ORIGINS = env_list("CHANJING_DOWNLOAD_LOCAL_ORIGINS", []) or (
    [CHANJING_BASE_URL] if SANDBOX_MODE else []
)

# The sandbox's own behaviour (only read by studio.sandbox).
SANDBOX_TOKEN_TTL = env_int("SANDBOX_TOKEN_TTL", 24 * 3600)
SANDBOX_QUEUED_SECONDS = env_float("SANDBOX_QUEUED_SECONDS", 1.0)
SANDBOX_READY_SECONDS = env_float("SANDBOX_READY_SECONDS", 1.0)
SANDBOX_GENERATING_SECONDS = env_float("SANDBOX_GENERATING_SECONDS", 2.0)
SANDBOX_QPS_LIMIT = env_float("SANDBOX_QPS_LIMIT", 0)  # 0 = unlimited
SANDBOX_FAULT_50000_RATE = env_float("SANDBOX_FAULT_50000_RATE", 0.0)
SANDBOX_FAULT_502_RATE = env_float("SANDBOX_FAULT_502_RATE", 0.0)
SANDBOX_FAULT_TRUNCATED_RATE = env_float("SANDBOX_FAULT_TRUNCATED_RATE", 0.0)
SANDBOX_FAULT_SLOW_RATE = env_float("SANDBOX_FAULT_SLOW_RATE", 0.0)
SANDBOX_FAULT_SLOW_SECONDS = env_float("SANDBOX_FAULT_SLOW_SECONDS", 30.0)
SANDBOX_FAULT_LOST_SUBMIT_RATE = env_float("SANDBOX_FAULT_LOST_SUBMIT_RATE", 0.0)
SANDBOX_FILE_READY_SECONDS = env_float("SANDBOX_FILE_READY_SECONDS", 0.0)
SANDBOX_VIDEO_WIDTH = env_int("SANDBOX_VIDEO_WIDTH", 320)
SANDBOX_VIDEO_FPS = env_int("SANDBOX_VIDEO_FPS", 12)
SANDBOX_MEDIA_ROOT = Path(env_str("SANDBOX_MEDIA_ROOT", str(BASE_DIR / "var" / "sandbox")))

# --- Poller --------------------------------------------------------------------------------
POLLER_SLEEP_SECONDS = env_float("POLLER_SLEEP_SECONDS", 2.0)
POLLER_LEASE_SECONDS = env_int("POLLER_LEASE_SECONDS", 120)
VIDEO_MAX_BYTES = env_int("VIDEO_MAX_BYTES", 500 * 1024 * 1024)
VIDEO_DOWNLOAD_MAX_SECONDS = env_int("VIDEO_DOWNLOAD_MAX_SECONDS", 600)
# After a submit whose answer was lost, the provider's task list is read back past the send
# time less this margin for the two clocks' skew (studio.generations.reconcile).
SUBMIT_CLOCK_SKEW_SECONDS = env_int("SUBMIT_CLOCK_SKEW_SECONDS", 60)
# How long the task list may take to show a task it created: a look that finds nothing counts
# as "never created" (and the submit is sent again) only once this long has passed.
SUBMIT_RECONCILE_SECONDS = env_int("SUBMIT_RECONCILE_SECONDS", 120)
# Seconds of no progress after which a generation is reconciled and then failed.
STUCK_LIMITS = {
    "new": env_int("STUCK_NEW_SECONDS", 30 * 60),
    "Queued": env_int("STUCK_QUEUED_SECONDS", 60 * 60),
    "Ready": env_int("STUCK_READY_SECONDS", 60 * 60),
    "Generating": env_int("STUCK_GENERATING_SECONDS", 40 * 60),
}

# --- Django --------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "studio.accounts",
    "studio.workspaces",
    "studio.chanjing",
    "studio.generations",
    "studio.usage",
    "studio.sharing",
    "studio.sequences",
]
if SANDBOX_MODE:
    INSTALLED_APPS.append("studio.sandbox")

MIDDLEWARE = [
    "studio.lib.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "studio.lib.csp.ContentSecurityPolicyMiddleware",
    # Outside everything that writes the body, so it compresses the finished page (HTML only).
    "studio.lib.compress.HtmlGZipMiddleware",
    # Before CommonMiddleware's host check: probes come by IP over plain HTTP (issue 12).
    "studio.lib.middleware.HealthProbeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF: its check is the first thing that reads a request body.
    "studio.lib.limits.RequestLimitsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "studio.workspaces.context_processors.workspace",
            ],
        },
    }
]

DATABASES = {"default": database_from_url(env_str("DATABASE_URL"), BASE_DIR)}

# Finished cards are kept as HTML (studio.generations.cards). Each process keeps its own copy in
# memory unless REDIS_URL names a Redis database that every process shares. Keys change with
# what a card shows, so either way a change shows at once.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    # Short socket timeouts: a Redis that hangs must not hang pages (studio.lib.fragments draws
    # them without the cache when it cannot be reached).
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 5000)},
    }
}
CARD_CACHE_SECONDS = env_int("CARD_CACHE_SECONDS", 24 * 3600)

# A hand-written page doing the least a gallery page must do, for `make bench` to compare with.
# Never mounted in production.
BENCH_FLOOR_VIEW = env_bool("BENCH_FLOOR_VIEW", False)
if PRODUCTION and BENCH_FLOOR_VIEW:
    raise ImproperlyConfigured("BENCH_FLOOR_VIEW is for `make bench` only, never with STUDIO_ENV=production")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "generations:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# django-axes first: it refuses a sign-in while the account or the address is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "studio" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Media is never served from a public path: every file goes through a view that checks access.
MEDIA_URL = "/private-media/"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Object storage for media (issue 12) ----------------------------------------------------
# With MEDIA_S3_BUCKET set, frames, posters and videos live in an S3-compatible bucket (AWS S3,
# Alibaba OSS, Tencent COS, MinIO...) and every media view, after its scoped lookup, redirects
# to a signed URL valid for MEDIA_URL_EXPIRY_SECONDS. Empty keeps them under MEDIA_ROOT.
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET")
MEDIA_S3_REGION = env_str("MEDIA_S3_REGION", "us-east-1")
MEDIA_S3_ENDPOINT_URL = env_str("MEDIA_S3_ENDPOINT_URL", f"https://s3.{MEDIA_S3_REGION}.amazonaws.com")
# The endpoint as browsers reach it, when it differs from the one the server uses (compose).
MEDIA_S3_PUBLIC_URL = env_str("MEDIA_S3_PUBLIC_URL", MEDIA_S3_ENDPOINT_URL).rstrip("/")
MEDIA_S3_ADDRESSING_STYLE = env_choice(
    "MEDIA_S3_ADDRESSING_STYLE",
    "virtual" if "amazonaws.com" in MEDIA_S3_ENDPOINT_URL else "path",
    {"path", "virtual"},
)
MEDIA_URL_EXPIRY_SECONDS = env_int("MEDIA_URL_EXPIRY_SECONDS", 300)
MEDIA_STORAGE_ORIGIN = ""
if MEDIA_S3_BUCKET:
    from boto3.s3.transfer import TransferConfig

    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": MEDIA_S3_ENDPOINT_URL,
            "region_name": MEDIA_S3_REGION,
            # Empty: boto3's own chain (instance role, AWS_* variables).
            "access_key": env_str("MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "addressing_style": MEDIA_S3_ADDRESSING_STYLE,
            "signature_version": "s3v4",
            "location": env_str("MEDIA_S3_PREFIX").strip("/"),
            "file_overwrite": True,
            "querystring_expire": MEDIA_URL_EXPIRY_SECONDS,
            # Reading a frame back spills to disk past this size.
            "max_memory_size": 2_621_440,
            # A video is uploaded in 8 MB parts, two at a time: memory stays bounded whatever its size.
            "transfer_config": TransferConfig(
                multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=2
            ),
        },
    }
    # Signed URLs point here; the Content-Security-Policy lets images and videos load from it.
    _public = urlsplit(MEDIA_S3_PUBLIC_URL)
    _virtual = MEDIA_S3_ADDRESSING_STYLE == "virtual"
    _host = f"{MEDIA_S3_BUCKET}.{_public.netloc}" if _virtual else _public.netloc
    MEDIA_STORAGE_ORIGIN = f"{_public.scheme}://{_host}"
# --- end of object storage ------------------------------------------------------------------

DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FRAME_MAX_BYTES = 10 * 1024 * 1024
# A request declaring a longer body is refused before it is read (studio.lib.limits): two
# frames at their limit plus the form around them.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 2 * FRAME_MAX_BYTES + 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "studio.lib.limits.CappedUploadHandler",
]

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Seedance Studio <studio@localhost>")

# --- Security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A plain-HTTP health probe from a container runtime or load balancer gets its answer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Sign-in throttling (django-axes), for the studio's sign-in and the admin's alike: after
# LOGIN_FAILURE_LIMIT failures for one username, or from one client address, sign-in is
# refused for LOGIN_LOCKOUT_MINUTES, then opens again by itself. A success clears the count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "studio.accounts.lockout.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "new_password1", "new_password2"]
# The client address is REMOTE_ADDR, unless the studio runs behind this many trusted proxies
# (then the address they add to X-Forwarded-For). Never trust a header a client can forge.
LOGIN_PROXY_COUNT = env_int("LOGIN_PROXY_COUNT", 0)
if LOGIN_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = LOGIN_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# --- Operations (issue 12) ------------------------------------------------------------------
# LOG_FORMAT=json writes one JSON object per line, each with the request id of its request.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", {"plain", "json"})
# A monitor reads /healthz/status.json with `Authorization: Bearer <MONITOR_TOKEN>`; staff
# signed in may read it too. Empty: staff only.
MONITOR_TOKEN = env_str("MONITOR_TOKEN")
# --- end of operations ----------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "studio.lib.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "studio.lib.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
