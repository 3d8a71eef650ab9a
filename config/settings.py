"""Settings, driven by environment variables (each one is listed in the README).

They only read URLs: the supervisor (`python -m config.supervisor`) starts the
embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are not set and passes them in.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / ".data"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def database_from_url(url: str) -> dict:
    """postgresql://user:pass@host:port/name, or ...@/name?host=/socket/dir."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a PostgreSQL URL, not {parts.scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": query.pop("host", None) or parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": query,
    }


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
if not (SECRET_KEY and DATABASE_URL and REDIS_URL):
    raise ImproperlyConfigured(
        "SECRET_KEY, DATABASE_URL and REDIS_URL must be set. Run commands through "
        "`make run`, `make test` or `make manage ARGS=...`, which start the embedded "
        "PostgreSQL and Redis when no URLs are given."
    )

# "production" (deploy/): HTTPS only, secure cookies, HSTS, hosts from BASE_DOMAIN only,
# JSON logs; `manage.py check --deploy` is clean (tests/config/test_production.py).
DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env_bool("DEBUG")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on with DJANGO_ENV=production")
BASE_DOMAIN = os.environ.get("BASE_DOMAIN", "localhost")
SITE_SCHEME = os.environ.get("SITE_SCHEME", "http")
# Port shown in tenant URLs; empty when the site is served on the scheme's default port.
SITE_PORT = os.environ.get("SITE_PORT", os.environ.get("PORT", "8000"))
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}"] + (
    [] if PRODUCTION else ["127.0.0.1", "testserver"]) + [
    h for h in os.environ.get("EXTRA_ALLOWED_HOSTS", "").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [f"{SITE_SCHEME}://*.{BASE_DOMAIN}", f"{SITE_SCHEME}://{BASE_DOMAIN}"]
if SITE_PORT:
    CSRF_TRUSTED_ORIGINS += [f"{o}:{SITE_PORT}" for o in CSRF_TRUSTED_ORIGINS]

SHARED_APPS = [
    "django_tenants",
    "config",
    "tenants",
    "api",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "web",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "rest_framework.authtoken",
    "api",
    "crm",
    "finance",
    "exchange",
]
if env_bool("CHAINLEDGER_SCRATCH_MIGRATION"):
    # Set only by `bench migrate` and tests for the processes they start: a throwaway tenant
    # migration that migrate_tenants applies to scratch tenants only (bench/scratch_migration).
    TENANT_APPS.append("bench.scratch_migration")
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# Our tenants' schemas are internal ids; `migrate_schemas` keeps the template and the
# signup pool current because they are tenant rows too (see tenants/provisioning.py).
TENANT_LIMIT_SET_CALLS = True
# Skip schemas with nothing to apply (tenants/migration_executor.py).
GET_EXECUTOR_FUNCTION = "tenants.migration_executor.get_executor"
DEFAULT_NOT_FOUND_TENANT_VIEW = "config.views.tenant_not_found"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    # /healthz, /readyz, /metrics on any host, before the tenant lookup (config/health.py).
    "config.health.OpsEndpointsMiddleware",
    # Request id, one JSON access line, latency by view (config/observability.py).
    "config.observability.RequestObservabilityMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    "tenants.middleware.TenantStatusMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tenants.middleware.TenantLocaleMiddleware",
    "tenants.middleware.TenantTimezoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The web app's language: the user's remembered choice, else as above (web/language.py).
    "web.language.WebLanguageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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
WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def redis_parts(url: str) -> tuple[str, int]:
    """(the server part of a Redis URL, its database number): `redis://h:p/3` -> 3;
    `unix:///path/redis.sock?db=3` -> 3; none given -> 0."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if parts.scheme == "unix":
        db = query.get("db", ["0"])[-1]
        return f"unix://{parts.path}", int(db)
    db = parts.path.strip("/") or query.get("db", ["0"])[-1]
    return urlunsplit(parts._replace(path="", query="")), int(db)


# REDIS_URL names a server and a database number N: the broker uses N, the cache N + 1,
# task results N + 2. Two deployments sharing one server differ by N (0, 3, 6, ...); each
# may also be given its own URL instead (CELERY_BROKER_URL, CACHE_URL, CELERY_RESULT_URL).
REDIS_SERVER, REDIS_DB = redis_parts(REDIS_URL)


def redis_url(offset: int) -> str:
    """The configured Redis server, database REDIS_DB + offset (redis-py's URL form)."""
    db = REDIS_DB + offset
    if REDIS_SERVER.startswith("unix:"):
        return f"{REDIS_SERVER}?db={db}"
    return f"{REDIS_SERVER}/{db}"


def celery_url(offset: int) -> str:
    """The same database in kombu's URL form (a unix socket is `redis+socket://`)."""
    db = REDIS_DB + offset
    if REDIS_SERVER.startswith("unix:"):
        return f"redis+socket://{urlsplit(REDIS_SERVER).path}?virtual_host={db}"
    return f"{REDIS_SERVER}/{db}"


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("CACHE_URL") or redis_url(1),
        # Every cache key carries the tenant's schema (see NOTES: leaks to design against).
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

# Sessions live in each tenant's schema; the cookie is host-only (no parent domain).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION or SITE_SCHEME == "https"
CSRF_COOKIE_SECURE = PRODUCTION or SITE_SCHEME == "https"
CSRF_COOKIE_DOMAIN = None
if PRODUCTION or SITE_SCHEME == "https":
    # Behind the TLS-terminating proxy of deploy/nginx.conf.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    if SITE_SCHEME != "https":
        raise ImproperlyConfigured("DJANGO_ENV=production serves HTTPS only: SITE_SCHEME=https")
    SECURE_SSL_REDIRECT = True
    # One year, every tenant subdomain too (they share the wildcard certificate).
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

AUTHENTICATION_BACKENDS = [
    # Refuses a username with too many failed logins this minute, whatever the address.
    "saas_platform.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/customers/"
LOGIN_FAILURES_PER_MINUTE = env_int("LOGIN_FAILURES_PER_MINUTE", 10)
# API tokens expire this long after they were issued (crm/tokens.py); then log in again.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24 * 30)
# One-time links to choose a password (crm/passwords.py): an invite, a forgotten password;
# requests for a reset link per e-mail typed an hour (four times that per client address).
STAFF_INVITE_HOURS = env_int("STAFF_INVITE_HOURS", 72)
PASSWORD_RESET_MINUTES = env_int("PASSWORD_RESET_MINUTES", 60)
PASSWORD_RESET_PER_HOUR = env_int("PASSWORD_RESET_PER_HOUR", 5)
# One-time login links from the public host to a tenant host (tenants/login_links.py).
LOGIN_LINK_SECONDS = env_int("LOGIN_LINK_SECONDS", 60)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("zh-hant", _("Traditional Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or DATA_DIR / "static")  # the image bakes it in
# Job files: web and worker must share it.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or DATA_DIR / "media")
# The statement PDFs' static fonts (finance/fonts.py): made at install, or at image build.
FONTS_DIR = Path(os.environ.get("FONTS_DIR") or DATA_DIR / "fonts")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.DecimalJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "signup": os.environ.get("SIGNUP_THROTTLE_RATE", "60/min"),
        "login": os.environ.get("LOGIN_THROTTLE_RATE", "10/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    # Proxies in front of the app whose X-Forwarded-For entries are trusted. 0 by default:
    # without it DRF would take the whole header, which any client can set, as its address.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chain-store customers & receivables API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files are served by us, not fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`; name each choice set in the schema.
    "ENUM_NAME_OVERRIDES": {
        "CustomerStatusEnum": "crm.models.Customer.Status",
        "OrderStatusEnum": "finance.models.Order.Status",
        "VoucherStatusEnum": "finance.models.Voucher.Status",
        "ImportJobStatusEnum": "exchange.models.ImportJob.Status",
        "ExportJobStatusEnum": "exchange.models.ExportJob.Status",
    },
}

# Signup pool (tenants/provisioning.py): pre-migrated tenants that signup claims.
SIGNUP_POOL_SIZE = env_int("SIGNUP_POOL_SIZE", 25)
SIGNUP_POOL_LOW_WATER = env_int("SIGNUP_POOL_LOW_WATER", 10)
SIGNUP_POOL_BATCH = env_int("SIGNUP_POOL_BATCH", 10)
# A tenant marked for deletion keeps its schema this long (tenants.services.tenant_delete).
TENANT_DELETE_GRACE_DAYS = env_int("TENANT_DELETE_GRACE_DAYS", 30)
# Folder of pg_dump (tenant_export); empty: the embedded server's own, else the PATH.
PG_BIN_DIR = os.environ.get("PG_BIN_DIR", "")

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or celery_url(0)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_URL") or celery_url(2)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE = {
    "signup-pool-refill": {"task": "tenants.signup_pool_refill", "schedule": 60.0},
    "idempotency-purge": {"task": "api.idempotency_purge", "schedule": 3600.0},
    # Drops tenants marked for deletion once TENANT_DELETE_GRACE_DAYS have passed.
    "tenants-deleting-sweep": {"task": "tenants.deleting_sweep", "schedule": 3600.0},
    # Fails import/export jobs whose worker died (every tenant schema); deletes old files.
    "exchange-jobs-sweep": {"task": "exchange.jobs_sweep",
                            "schedule": float(env_int("EXCHANGE_SWEEP_SECONDS", 30))},
}
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 48)

# Customer import/export (crm/exchange).
IMPORT_ROW_CAP = env_int("IMPORT_ROW_CAP", 200_000)  # rows per sheet
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", 50)
IMPORT_MAX_UNZIPPED_MB = env_int("IMPORT_MAX_UNZIPPED_MB", 1024)  # zip bomb guard
IMPORT_VALIDATION_PROCESSES = env_int("IMPORT_VALIDATION_PROCESSES", 1)  # >1: forked pool
EXCHANGE_FILE_TTL_HOURS = env_int("EXCHANGE_FILE_TTL_HOURS", 24)  # uploads, results
EXCHANGE_HEARTBEAT_SECONDS = env_int("EXCHANGE_HEARTBEAT_SECONDS", 10)
EXCHANGE_HEARTBEAT_TIMEOUT = env_int("EXCHANGE_HEARTBEAT_TIMEOUT", 60)  # then swept
EXCHANGE_QUEUED_TIMEOUT = env_int("EXCHANGE_QUEUED_TIMEOUT", 300)  # no worker took it: failed
# Statement batches: customers per chunk task (each worker process renders one at a time).
STATEMENT_BATCH_CHUNK = env_int("STATEMENT_BATCH_CHUNK", 100)
# Statement e-mails: Django's backend; the console one unless a deployment sets SMTP.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "statements@localhost")
# Where the file backend (django.core.mail.backends.filebased.EmailBackend) writes.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or str(DATA_DIR / "mail")

# Health, readiness and metrics (config/health.py, config/metrics.py).
READINESS_TIMEOUT_SECONDS = env_int("READINESS_TIMEOUT_SECONDS", 2)
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(n.strip()) for n in
    os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128").split(",") if n.strip()
]

# JSON lines with tenant and request id (saas_platform/logs.py) in production, text otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "saas_platform.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "saas_platform.logs.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s [%(tenant)s %(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # One line a request (config/observability.py): on by default in production.
        "chainledger.request": {
            "level": "INFO" if env_bool("REQUEST_LOG", PRODUCTION) else "WARNING"},
    },
}
# The worker logs through the handler above (JSON in production), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = not PRODUCTION
