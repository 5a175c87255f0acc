"""The studio's one settings module. Every value comes from the environment; see .env.example."""

from __future__ import annotations

from pathlib import Path

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
# After a submit whose answer was lost, look for the task this long before sending again.
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
    "studio.accounts",
    "studio.workspaces",
    "studio.chanjing",
    "studio.generations",
    "studio.usage",
    "studio.sharing",
]
if SANDBOX_MODE:
    INSTALLED_APPS.append("studio.sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "studio.lib.csp.ContentSecurityPolicyMiddleware",
    # Outside everything that writes the body, so it compresses the finished page (HTML only).
    "studio.lib.compress.HtmlGZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FRAME_MAX_BYTES = 10 * 1024 * 1024

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
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
