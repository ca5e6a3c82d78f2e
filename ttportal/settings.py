"""Settings, all from the environment. The defaults run the single box with no server at all.

Set ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` for the scaled deployment: the same code
then uses PostgreSQL, the Redis channel layer and a Redis broker.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF

from ttportal.console import logging_config
from ttportal.env import env_bool, env_float, env_int, env_list, env_str
from ttportal.keyfile import local_secret, private_directory, private_file

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("TTPORTAL_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
# Without DJANGO_SECRET_KEY the single box generates its own on first start and keeps it in the
# data directory (mode 0600): nothing is derived from a public constant. A deployment of several
# machines must set it (manage.py check --deploy errs, serve and up refuse to start).
TTPORTAL_GENERATED_SECRETS: list[str] = []
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    SECRET_KEY = local_secret(DATA_DIR / "secret-key")
    TTPORTAL_GENERATED_SECRETS.append("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "axes",
    # The library's abstract key model is ours to extend (gateways.ApiKey); its own concrete
    # model comes with it, unused, and is taken off the admin.
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us (no CDN)
    "ttportal",
    "gateways",
    "orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last of those that act, as django-axes asks: it turns a locked-out sign-in into the
    # lockout page.
    "axes.middleware.AxesMiddleware",
    # Innermost, doing nothing: it keeps every middleware above in the request's one thread
    # under ASGI instead of crossing to the event loop and back around each (ttportal.middleware).
    "ttportal.middleware.OneThreadPerRequest",
]

# Content-Security-Policy: the portal's pages run only scripts and styles served from the
# portal itself; no inline script, style or event handler (tests/ttportal keeps the templates
# so), nothing framed, forms post only here. 'self' covers the boards' ws:/wss: sockets to the
# same host. A page that ever needs an inline script gets a nonce (csp.constants.NONCE).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "ttportal.urls"
WSGI_APPLICATION = "ttportal.wsgi.application"
ASGI_APPLICATION = "ttportal.asgi.application"

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
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "")
if not DATABASE_URL:
    # The single box keeps everything in its data directory, readable by its owner only: the
    # database holds sessions and sealed tokens (SQLite gives its -wal and -shm files the
    # database file's mode).
    private_file(private_directory(DATA_DIR) / "ttportal.sqlite3")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{DATA_DIR / 'ttportal.sqlite3'}", conn_max_age=0
    )
}
# PostgreSQL: a pool of connections in each process (psycopg_pool, through Django). Daphne runs
# each request in a thread of its own, so a persistent connection (CONN_MAX_AGE) would never be
# reused: without the pool every request opened a connection (and PostgreSQL a backend) and
# closed it. A request returns its connection when it ends; a thread that keeps one (the
# relay's database thread) holds one of the pool's. 0 turns the pool off (behind PgBouncer).
TTPORTAL_DB_POOL_SIZE = env_int("TTPORTAL_DB_POOL_SIZE", 20)
if DATABASES["default"]["ENGINE"].endswith("postgresql") and TTPORTAL_DB_POOL_SIZE:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # the pool hands out only live ones
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 2, "max_size": TTPORTAL_DB_POOL_SIZE, "timeout": 10}
    }
elif DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # also a sqlite:/// DATABASE_URL
    # Django's backend, with the process's writers queued in the process (ttportal.sqlite).
    DATABASES["default"]["ENGINE"] = "ttportal.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock when they begin, so a second writer waits (up to the timeout)
        # instead of failing at once mid-transaction; WAL lets the boards read meanwhile.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
# One test database per test run, so runs on one machine never collide. On SQLite it is a
# file, not memory, so that a portal process started by the end-to-end tests sees it too.
DATABASES["default"]["TEST"] = {
    "NAME": (
        f"test_ttportal_{os.getpid()}"
        if DATABASE_URL
        else str(Path(tempfile.gettempdir()) / f"ttportal-test-{os.getpid()}.sqlite3")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TTPORTAL_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The single box serves its own static files (WhiteNoise), straight from the apps: nothing to
# collect before the first start.
WHITENOISE_USE_FINDERS = True
LOGIN_URL = "login"
# Sign-in throttling (django-axes), on /login/ and /admin/login/ alike: by default after 5 wrong
# passwords for one user name from one address, that pair is locked out for 15 minutes, the
# right password included. Per name *and* address: staff share the restaurant's one machine, so one
# person's typos must not lock the others out, and a guesser elsewhere cannot lock anyone out
# from the restaurant. 5 is more than honest typing needs; 15 minutes keeps an online guesser
# to 20 tries an hour per address. A wrong try while locked starts the 15 minutes again; a
# right one before the lockout forgets the failures. An admin unlocks at once in the admin
# (Axes > Access attempts: delete the row) or with `manage.py axes_reset`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("TTPORTAL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("TTPORTAL_LOGIN_COOLOFF_MINUTES", 15.0))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ttportal.throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "ttportal.throttle.client_address"
AXES_USERNAME_CALLABLE = "ttportal.throttle.username"
AXES_VERBOSE = False  # its start-up banner is routine, not a state change for the console
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The scaled deployment: Redis carries the channel layer, the Celery broker and the relays'
# leases. Without it the single box keeps all three in its one process's memory.
REDIS_URL = env_str("REDIS_URL", "")
# Keeps portals (or test runs) that share one Redis apart.
TTPORTAL_REDIS_PREFIX = env_str("TTPORTAL_REDIS_PREFIX", "ttportal")

# Messages a board's socket may have waiting before the layer drops new ones (silently): the
# default of 100 is reached by one lunch-rush burst on a board that reads slowly.
CHANNEL_CAPACITY = env_int("TTPORTAL_CHANNEL_CAPACITY", 1000)
CHANNEL_LAYERS: dict[str, Any] = (
    {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": f"{TTPORTAL_REDIS_PREFIX}:asgi",
                "capacity": CHANNEL_CAPACITY,
            },
        }
    }
    if REDIS_URL
    else {
        "default": {
            # Channels' in-memory layer, with its per-socket costs taken out (ttportal/layers.py).
            "BACKEND": "ttportal.layers.PortalInMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY},
        }
    }
)

# One machine, one SQLite file: only there may secrets come from files the box generated. A
# deployment with a database server or Redis spans machines that could not share those files.
TTPORTAL_SINGLE_BOX = not REDIS_URL and DATABASES["default"]["ENGINE"] == "ttportal.sqlite"
# The "api" cache counts the POS API's per-key rate limits: shared by every web process when
# scaled, this process's memory on the single box.
CACHES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": (
        {
            # Django's RedisCache.clear() would empty the whole database (ttportal/cache.py).
            "BACKEND": "ttportal.cache.PrefixedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{TTPORTAL_REDIS_PREFIX}:api",
            # One pool for the process, not a connection per request (see the module).
            "OPTIONS": {"pool_class": "ttportal.cachepool.SharedConnectionPool"},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"}
    ),
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{TTPORTAL_REDIS_PREFIX}:"}
# Work not tied to a site's LAN goes here; a site's discovery and health checks go to the
# queue named on the site (Site.worker_queue), served by a worker on that LAN.
CELERY_TASK_DEFAULT_QUEUE = env_str("TTPORTAL_DEFAULT_QUEUE", "celery")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"

# The POS API (/api/v1/, docs/api.md): API keys or a person's session; every error is RFC 9457
# problem+json; per-key rate limits (the numbers are documented in docs/api.md).
TTPORTAL_API_READ_RATE = env_str("TTPORTAL_API_READ_RATE", "1200/min")
TTPORTAL_API_WRITE_RATE = env_str("TTPORTAL_API_WRITE_RATE", "600/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gateways.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["gateways.api.permissions.KeyOrPerson"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ttportal.api.problems.problem_handler",
    "DEFAULT_THROTTLE_CLASSES": ["ttportal.api.throttling.KeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "read": TTPORTAL_API_READ_RATE,
        "write": TTPORTAL_API_WRITE_RATE,
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TT Portal POS API",
    "DESCRIPTION": (
        "Start, locate, page and clear orders on any paired Table Tracker gateway of your "
        "sites, read their history and figures. Authenticate with `Authorization: Bearer "
        "ttp_...`. Every error is `application/problem+json` (RFC 9457)."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ttportal.api.schema.add_problems",
    ],
    # The interactive docs come from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "WEBHOOKS": ["orders.api.events.EVENT_WEBHOOK"],
    "ENUM_NAME_OVERRIDES": {
        "EventType": "orders.event_models.Event.Type",
        "OrderType": ["on_premises", "to_go"],
    },
}
# Answers to POST and DELETE with an Idempotency-Key are kept this long (IETF draft, Stripe).
TTPORTAL_IDEMPOTENCY_HOURS = env_float("TTPORTAL_IDEMPOTENCY_HOURS", 24.0)

# Where the single box's built-in simulator listens (the demo links to its hardware page).
TTPORTAL_SIMULATOR_URL = env_str("TTPORTAL_SIMULATOR_URL", "")

TTPORTAL_LOG_LEVEL = env_str("TTPORTAL_LOG_LEVEL", "INFO")
# Everything at TTPORTAL_LOG_LEVEL, except on the single box's console (``manage.py up`` sets
# the verbosity below 2): warnings, errors and state changes only. See ttportal/console.py.
LOGGING = logging_config(env_int("TTPORTAL_CONSOLE_VERBOSITY", 2), TTPORTAL_LOG_LEVEL)

# Keys that seal gateway tokens at rest, newest first (comma-separated; rotate by prepending).
# Without them the single box generates its own key, apart from SECRET_KEY, so rotating one
# never loses the other; a deployment of several machines must set them.
TTPORTAL_TOKEN_KEYS = env_list("TTPORTAL_TOKEN_KEYS", [])
if not TTPORTAL_TOKEN_KEYS:
    TTPORTAL_TOKEN_KEYS = [local_secret(DATA_DIR / "token-key")]
    TTPORTAL_GENERATED_SECRETS.append("TTPORTAL_TOKEN_KEYS")

# Discovery: the interfaces zeroconf listens on ("all", or addresses); tests and the demo use
# 127.0.0.1 so nothing is multicast beyond this machine.
TTPORTAL_DISCOVERY_INTERFACES = env_list("TTPORTAL_DISCOVERY_INTERFACES", ["all"])
TTPORTAL_DISCOVERY_SECONDS = env_float("TTPORTAL_DISCOVERY_SECONDS", 3.0)

# The networks the portal may dial gateways on (comma-separated CIDRs); every address a gateway's
# name resolves to must lie in one (gateways.outbound). The private LAN ranges by default;
# tests and the demo add loopback (127.0.0.0/8). Webhooks reach only public addresses, plus
# these networks (empty by default).
TTPORTAL_GATEWAY_NETWORKS = env_list(
    "TTPORTAL_GATEWAY_NETWORKS",
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"],
)
TTPORTAL_WEBHOOK_NETWORKS = env_list("TTPORTAL_WEBHOOK_NETWORKS", [])

# Pairing polls the token endpoint this often, for as long as the button's window lasts.
TTPORTAL_PAIRING_SECONDS = env_float("TTPORTAL_PAIRING_SECONDS", 120.0)
TTPORTAL_PAIRING_POLL_SECONDS = env_float("TTPORTAL_PAIRING_POLL_SECONDS", 2.0)

# Health: liveness of every gateway this often; the token is re-checked less often.
TTPORTAL_HEALTH_SECONDS = env_float("TTPORTAL_HEALTH_SECONDS", 5.0)
TTPORTAL_TOKEN_CHECK_SECONDS = env_float("TTPORTAL_TOKEN_CHECK_SECONDS", 300.0)

CELERY_BEAT_SCHEDULE = {
    "discover-gateways": {
        "task": "gateways.tasks.discover_all_sites",
        "schedule": env_float("TTPORTAL_DISCOVERY_EVERY_SECONDS", 60.0),
    },
    "check-gateway-health": {
        "task": "gateways.tasks.check_all_health",
        "schedule": TTPORTAL_HEALTH_SECONDS,
        "options": {"expires": TTPORTAL_HEALTH_SECONDS},  # a late check is worth nothing
    },
}

# Relays share the gateways through leases in Redis; a dead relay's gateways are taken over
# once its leases run out.
TTPORTAL_RELAY_LEASE_SECONDS = env_float("TTPORTAL_RELAY_LEASE_SECONDS", 6.0)

# Production, behind a TLS-terminating proxy: see docs/deployment.md.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health endpoint answers load balancers over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Prometheus scrapes /metrics with this bearer token; empty: no token needed (loopback box).
TTPORTAL_METRICS_TOKEN = env_str("TTPORTAL_METRICS_TOKEN", "")

# The relay re-reads which gateways to follow this often (new pairings, moved addresses).
TTPORTAL_RELAY_REFRESH_SECONDS = env_float("TTPORTAL_RELAY_REFRESH_SECONDS", 2.0)

# History pulls (orders.services.pull): every paired gateway's finished orders are copied this
# often, re-reading an overlap before the checkpoint (orders clear after they start); a worker
# holds a gateway for a lease renewed on every page; a run stops after so many pages and the
# next one goes on. A gateway whose last good pull is older than the warning age (of the
# gateway's 14 days of history) is flagged on its page and on the history page.
TTPORTAL_PULL_EVERY_SECONDS = env_float("TTPORTAL_PULL_EVERY_SECONDS", 300.0)
TTPORTAL_PULL_OVERLAP_SECONDS = env_float("TTPORTAL_PULL_OVERLAP_SECONDS", 600.0)
TTPORTAL_PULL_LEASE_SECONDS = env_float("TTPORTAL_PULL_LEASE_SECONDS", 120.0)
TTPORTAL_PULL_MAX_PAGES = int(env_float("TTPORTAL_PULL_MAX_PAGES", 1000))
TTPORTAL_PULL_WARNING_DAYS = env_float("TTPORTAL_PULL_WARNING_DAYS", 10.0)
CELERY_BEAT_SCHEDULE["pull-order-history"] = {
    "task": "orders.tasks.pull_all_history",
    "schedule": TTPORTAL_PULL_EVERY_SECONDS,
    "options": {"expires": TTPORTAL_PULL_EVERY_SECONDS},
}

# The event log plugins read (GET /api/v1/events/): kept this many days, then purged daily.
TTPORTAL_EVENT_RETENTION_DAYS = env_int("TTPORTAL_EVENT_RETENTION_DAYS", 30)
CELERY_BEAT_SCHEDULE["purge-old-events"] = {
    "task": "orders.tasks.purge_old_events",
    "schedule": 3600.0,
    "options": {"expires": 3600.0},
}

# Webhooks (orders.services.webhooks): Standard Webhooks 1.0's retry schedule, in seconds
# before each attempt (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about three days;
# jittered); each attempt's time limit; overdue attempts (a lost task) are handed out again.
TTPORTAL_WEBHOOK_RETRY_SCHEDULE = [
    float(s)
    for s in env_list(
        "TTPORTAL_WEBHOOK_RETRY_SCHEDULE",
        ["0", "5", "300", "1800", "7200", "18000", "36000", "36000"],
    )
]
TTPORTAL_WEBHOOK_TIMEOUT_SECONDS = env_float("TTPORTAL_WEBHOOK_TIMEOUT_SECONDS", 10.0)
TTPORTAL_WEBHOOK_SWEEP_SECONDS = env_float("TTPORTAL_WEBHOOK_SWEEP_SECONDS", 60.0)
CELERY_BEAT_SCHEDULE["send-due-webhooks"] = {
    "task": "orders.tasks.send_due_webhooks",
    "schedule": TTPORTAL_WEBHOOK_SWEEP_SECONDS,
    "options": {"expires": TTPORTAL_WEBHOOK_SWEEP_SECONDS},
}

# The event stream (/api/v1/stream) waits this long for a first {"token": ...} message.
TTPORTAL_STREAM_AUTH_SECONDS = env_float("TTPORTAL_STREAM_AUTH_SECONDS", 5.0)
