"""Settings for hhht-power, driven by environment variables.

Defaults are the embedded ones of ``make run`` (SQLite, a filesystem Celery broker); production sets
``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS``, ``DATABASE_URL`` and
``CELERY_BROKER_URL``. See README.md for the full list.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hhht_power.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HHHT_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DJANGO_DEBUG=(bool, True),
    DJANGO_ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]", "testserver"]),
    DJANGO_CSRF_TRUSTED_ORIGINS=(list, []),
    DJANGO_SECURE_SSL_REDIRECT=(bool, True),
    DJANGO_HSTS_SECONDS=(int, 31536000),
)

DEBUG = env("DJANGO_DEBUG")
_DEV_SECRET = "django-insecure-dev-only-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0.")
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "django_prometheus",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "accounts",
    "deadlines",
    "applications",
    "approvals",
    "supervision",
    "portal",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "hhht_power.metrics.MetricsMiddleware",
    "hhht_power.logs.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.RejectNulMiddleware",
    "accounts.middleware.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PrivateApiResponseMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Who may read /metrics (addresses or networks); nginx never passes it on (deploy/nginx).
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"])

ROOT_URLCONF = "hhht_power.urls"
WSGI_APPLICATION = "hhht_power.wsgi.application"

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
                "accounts.context_processors.portal",
            ],
        },
    },
]

# Database: SQLite by default (make run), PostgreSQL when DATABASE_URL says so.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if env.str("TEST_DB_NAME", default=""):
    # Lets several test runs share one PostgreSQL server without clobbering each other.
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DB_NAME")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # make run: web, worker and beat share one file. WAL lets readers run beside the writer, and
    # IMMEDIATE transactions wait for the write lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # Covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds the same index without them.
    # The summary tables' one-row-per-key constraints serve the refresh of changes, which needs
    # PostgreSQL's triggers; SQLite rebuilds the summary in full and needs neither.
    SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W047"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock-out: 5 failures per username and address lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Behind the TLS proxy every request comes from the proxy: the client's address is read from
# X-Forwarded-For only when REMOTE_ADDR is one of these (addresses or networks, comma-separated).
TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "accounts.middleware.client_ip"
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"

# Internationalisation: Simplified Chinese by default, English on request.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end packages installed by npm at set-up time (never committed) are served from here.
NODE_ASSETS_DIR = BASE_DIR / "node_modules"
if NODE_ASSETS_DIR.exists():
    STATICFILES_DIRS.append(("vendor", NODE_ASSETS_DIR))
# Private media (the uploaded documents): the local disk by default (one web machine, or a volume every web
# machine mounts at MEDIA_ROOT), or S3-compatible object storage with MEDIA_STORAGE=s3.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="local")
if MEDIA_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured("MEDIA_STORAGE must be 'local' or 's3'.")
_MEDIA_BACKEND = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if MEDIA_STORAGE == "s3":
    _MEDIA_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default=None),
            "region_name": env.str("S3_REGION", default=None),
            # Keys from the environment; unset, boto3's own chain (instance role, ~/.aws) applies. The objects
            # get no ACL: the bucket stays private (its policy, not each object, decides).
            "access_key": env.str("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=None),
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),
            "signature_version": env.str("S3_SIGNATURE_VERSION", default="s3v4"),
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
# On S3, downloads are redirects to signed URLs valid this long (else the view streams the object).
MEDIA_SIGNED_URLS = env.bool("MEDIA_SIGNED_URLS", default=True)
S3_URL_SECONDS = env.int("S3_URL_SECONDS", default=60)
# Behind nginx with the local disk: the internal location nginx sends files from (deploy/nginx).
MEDIA_ACCEL_REDIRECT = env.str("MEDIA_ACCEL_REDIRECT", default="")
STORAGES = {
    "default": _MEDIA_BACKEND,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# Private media: never under STATIC or a public URL; served by views that check permissions.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "private-media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024
UPLOAD_MAX_BYTES = 10 * 1024 * 1024

# Security defaults; production (DEBUG off) hardens cookies and transport.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Every page: scripts, styles, fonts and frames from the portal itself only, no inline script or style
# (htmx, Chart.js and Bootstrap are served from STATIC_URL); Bootstrap draws its icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
    # The permission-checked downloads are files (PDF, JPEG, PNG, nosniff), shown in the pages' frames by
    # the browser's own viewers, which a page policy (object-src 'none') would block.
    "EXCLUDE_URL_PREFIXES": ["/applications/documents/", "/approvals/documents/"],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env("DJANGO_SECURE_SSL_REDIRECT")
    SECURE_HSTS_SECONDS = env("DJANGO_HSTS_SECONDS")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Django REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "hhht_power.drf.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "hhht_power.drf.JSONParser",
        "hhht_power.drf.FormParser",
        "hhht_power.drf.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "hhht_power.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_RATES": {"auth": env.str("AUTH_THROTTLE_RATE", default="20/min")},
}
# An API token not used for this many days no longer signs in (accounts.authentication).
API_TOKEN_IDLE_DAYS = env.int("API_TOKEN_IDLE_DAYS", default=30)
SPECTACULAR_SETTINGS = {
    "TITLE": "hhht-power 获得电力 API",
    "DESCRIPTION": "呼和浩特市获得电力门户 — electricity-connection applications, permits and deadlines.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStateEnum": "applications.models.ApplicationState.choices",
        "DocumentKindEnum": "applications.models.DocumentKind.choices",
        "ApprovalTaskKindEnum": "approvals.models.TaskKind.choices",
        "ApprovalTaskStateEnum": "approvals.models.TaskState.choices",
        "SharedDocumentKindEnum": "approvals.models.SharedDocumentKind.choices",
    },
}

# Celery: an embedded filesystem broker by default; Redis when CELERY_BROKER_URL says so.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
_BROKER_DIR = VAR_DIR / "celery-broker"
if CELERY_BROKER_URL.startswith("filesystem"):
    for _folder in ("queue", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "control_folder": str(_BROKER_DIR / "control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    # Short timeouts: a request that enqueues after commit must not hang on a dead broker (the rows are
    # safe; the sweep re-sends them). A task not acknowledged within the visibility timeout is given to
    # another worker: it must exceed the longest task (CELERY_TASK_TIME_LIMIT) by a margin.
    else {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
)
# The longest task is the summary's first (full) rebuild after an upgrade: minutes at a million cases.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=900)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
if not CELERY_BROKER_URL.startswith("filesystem") and CELERY_TASK_TIME_LIMIT * 2 > 3600:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must stay under half the broker's visibility timeout.")
# Django's cache holds the rate limits' counts: Redis (CACHE_URL, else the broker's Redis) is shared by
# every worker and process; make run's one machine shares a folder.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif CELERY_BROKER_URL.startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CELERY_BROKER_URL,
            "KEY_PREFIX": "hhht",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# django-ratelimit rates (accounts.ratelimit): uploads per user and per client address, registrations
# per client address (the client address as accounts.middleware.client_ip reads it), SMS codes per
# mobile number (one a minute, five an hour) and per address, public case lookups per address.
RATE_LIMITS = {
    "uploads-per-user": env.str("UPLOAD_RATE_PER_USER", default="60/h"),
    "uploads-per-address": env.str("UPLOAD_RATE_PER_ADDRESS", default="300/h"),
    "registrations": env.str("REGISTRATION_RATE_PER_ADDRESS", default="10/h"),
    "sms-per-number-minute": "1/m",
    "sms-per-number": env.str("SMS_RATE_PER_NUMBER", default="5/h"),
    "sms-per-address": env.str("SMS_RATE_PER_ADDRESS", default="20/h"),
    "lookups": env.str("LOOKUP_RATE_PER_ADDRESS", default="10/10m"),
}
RATELIMIT_IP_META_KEY = "accounts.middleware.client_ip"
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# A task whose worker lost the broker is given to another worker: stop running it here.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers and the beat write through LOGGING (JSON lines, masking) instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# django-celery-beat's scheduler behind a lock in Redis: a second beat started by mistake stays idle.
CELERY_BEAT_SCHEDULER = "hhht_power.beat:LockedDatabaseScheduler"
BEAT_LOCK_SECONDS = env.int("BEAT_LOCK_SECONDS", default=30)
DEADLINE_PASS_SECONDS = env.int("DEADLINE_PASS_SECONDS", default=300)
NOTIFICATION_SWEEP_SECONDS = env.int("NOTIFICATION_SWEEP_SECONDS", default=120)
# How often the supervision dashboard's summary tables are rebuilt (the dashboard shows their age).
SUPERVISION_REFRESH_SECONDS = env.int("SUPERVISION_REFRESH_SECONDS", default=600)
# How often every open case's 超期风险 is judged again (the dashboard's at-risk list reads the result).
RISK_REFRESH_SECONDS = env.int("RISK_REFRESH_SECONDS", default=600)
# The schedule lives here, not in code paths.
CELERY_BEAT_SCHEDULE = {
    "deadline-pass": {"task": "deadlines.tasks.deadline_pass", "schedule": DEADLINE_PASS_SECONDS},
    "notification-sweep": {
        "task": "deadlines.tasks.notification_sweep",
        "schedule": NOTIFICATION_SWEEP_SECONDS,
    },
    "supervision-figures": {
        "task": "supervision.tasks.refresh_figures",
        "schedule": SUPERVISION_REFRESH_SECONDS,
    },
    "risk-refresh": {"task": "deadlines.tasks.risk_refresh", "schedule": RISK_REFRESH_SECONDS},
    # Once a day, at night: drafts unchanged too long expire (their customer warned days before).
    "drafts-expire": {"task": "applications.tasks.drafts_expire", "schedule": crontab(hour=2, minute=30)},
    # Staff's pause requests unanswered past their deadline lapse (idempotent).
    "pause-requests-lapse": {"task": "applications.tasks.pause_requests_lapse", "schedule": 300},
    # 告知承诺 past due: the case paused with the one-time notice, a credit record (idempotent).
    "promises-check": {"task": "applications.tasks.promises_check", "schedule": 300},
}

# Outside world: email and SMS.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@hhht-power.local")
SMS_BACKEND = env.str("SMS_BACKEND", default="deadlines.sms.FileSmsBackend")
SMS_FILE_PATH = VAR_DIR / "sms.log"

# Logs: plain text, or one JSON object per line with LOG_FORMAT=json (request id, user id, case id;
# personal numbers masked): hhht_power.logs.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = logging_config(LOG_FORMAT, env.str("LOG_LEVEL", default="INFO"))

# Error reporting, when a Sentry (or compatible) server is given. No personal data is sent.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        send_default_pii=False,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
