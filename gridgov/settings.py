"""gridgov settings: one module, configured by environment variables (12-factor).

Embedded defaults run the demo on SQLite with no other server.  Set
``GRIDGOV_ENV=production`` for a deployment: it refuses the development key and
turns on the secure-cookie settings.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

ENV = os.environ.get("GRIDGOV_ENV", "development")
PRODUCTION = ENV == "production"

DEV_SECRET_KEY = "gridgov-development-key-not-for-production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
if PRODUCTION and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "GRIDGOV_ENV=production needs SECRET_KEY set to a random value of at least 32 characters"
    )

# personal data at rest (gridgov.core.crypto): derived from SECRET_KEY in development only
GRIDGOV_FIELD_KEY = os.environ.get("GRIDGOV_FIELD_KEY", "")
GRIDGOV_HASH_KEY = os.environ.get("GRIDGOV_HASH_KEY", "")
if PRODUCTION and not (GRIDGOV_FIELD_KEY and GRIDGOV_HASH_KEY):
    raise ImproperlyConfigured(
        "GRIDGOV_ENV=production needs GRIDGOV_FIELD_KEY (a Fernet key) and GRIDGOV_HASH_KEY set"
    )

DEBUG = os.environ.get("DEBUG", "0" if PRODUCTION else "1") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
# behind a reverse proxy: the request header that carries the client's address (rate limits count per
# client), e.g. "HTTP_X_REAL_IP"; empty = REMOTE_ADDR (docs/operations.md)
CLIENT_IP_HEADER = os.environ.get("GRIDGOV_CLIENT_IP_HEADER", "").strip()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "gridgov.core.third_party.AxesConfig",  # django-axes, under a Chinese name in /admin/
    "ninja",  # serves Swagger UI from its own static files, not a CDN (intranets)
    "django_tasks",
    "gridgov.core.third_party.TasksDbConfig",  # django-tasks-db, likewise
    "gridgov.core",
    "gridgov.worktime",
    "gridgov.regions",
    "gridgov.accounts",
    "gridgov.cases",
    "gridgov.events",
    "gridgov.registry",
    "gridgov.laws",
    "gridgov.disputes",
    "gridgov.petitions",
    "gridgov.stats",
    "gridgov.assessments",
    "gridgov.warnings",
    "gridgov.analysis",
    "gridgov.open311",
    "gridgov.interop",
    "gridgov.points",
    "gridgov.command",
    "gridgov.demo",
    "gridgov.web",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before host checks and HTTPS redirects (gridgov/core/health.py)
    "gridgov.core.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gridgov.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # statistics, reports and exports read from the replica when one is configured (gridgov/core/replica.py)
    "gridgov.core.replica.ReplicaReadsMiddleware",
    "gridgov.core.middleware.JsonApiErrorsMiddleware",
    "gridgov.core.middleware.RejectControlCharactersMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gridgov" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gridgov.core.context.site",
            ],
        },
    }
]

# --- database ---------------------------------------------------------------
DATA_DIR = Path(os.environ.get("GRIDGOV_DATA_DIR", BASE_DIR / "var"))
# the embedded database, media and collected static files live here; a fresh clone has no var/
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'gridgov.sqlite3'}")
# Persistent connections (GRIDGOV_CONN_MAX_AGE seconds, default 60), checked before reuse. They are bounded only
# by a server with a fixed set of threads (gunicorn, as scripts/serve_demo.sh runs it): Django's development
# server starts a thread per request and each would keep its own connection (98 left open after 1,500
# requests, then "too many clients"), so under `runserver` connections close after every request.
_conn_max_age = 0 if sys.argv[1:2] == ["runserver"] else int(os.environ.get("GRIDGOV_CONN_MAX_AGE", "60"))
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=_conn_max_age, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE avoids
    # "database is locked" upgrades inside write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Django's SQLite backend whose flush may empty the append-only logs (gridgov/core/appendonly.py)
    DATABASES["default"]["ENGINE"] = "gridgov.core.db.sqlite3"
    # tests run on a file too (not shared-cache memory), so concurrency behaves as in production
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("GRIDGOV_TEST_DB", str(Path(tempfile.gettempdir()) / f"gridgov-test-{os.getpid()}.sqlite3"))
    }
# A PostgreSQL read replica for statistics, exports and reports (gridgov/core/replica.py, docs/scaling.md)
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=_conn_max_age,
                                                 conn_health_checks=True)
elif "pytest" in sys.modules:
    # the suite tests the router against a second alias that mirrors the test database
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# Behind PgBouncer in transaction mode (docs/scaling.md) a server-side cursor (QuerySet.iterator() on
# PostgreSQL) could outlive its transaction's server connection: GRIDGOV_PGBOUNCER=1 turns them off.
if os.environ.get("GRIDGOV_PGBOUNCER", "") == "1":
    for _alias in DATABASES.values():
        if _alias["ENGINE"] == "django.db.backends.postgresql":
            _alias["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASE_ROUTERS = ["gridgov.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("GRIDGOV_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = int(os.environ.get("GRIDGOV_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "gridgov.accounts.lockout.lockout_response"

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "gridgov" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("GRIDGOV_MEDIA_ROOT", DATA_DIR / "media"))
# Attachments go through Django's storage API only (gridgov/cases/uploads.py opens them with ``file.open``),
# so the store is a setting: the local folder above by default; on several app servers an S3-compatible
# object store through django-storages (GRIDGOV_MEDIA_STORAGE=storages.backends.s3.S3Storage and its
# AWS_* settings; docs/scaling.md).  Static files stay with WhiteNoise.
STORAGES = {
    "default": {"BACKEND": os.environ.get("GRIDGOV_MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024
WHITENOISE_USE_FINDERS = True
# files served at the site's root: /favicon.ico (browsers ask for it on every page without a <link>, the
# admin and the API docs among them)
WHITENOISE_ROOT = BASE_DIR / "gridgov" / "web" / "root"

# --- security ---------------------------------------------------------------
# Content-Security-Policy without 'unsafe-inline' on every response (gridgov/core/security.py), always;
# the rest applies in production, where `manage.py check --deploy` must report nothing (docs/operations.md).
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = os.environ.get("GRIDGOV_SECURE_COOKIES", "1") == "1"
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # plain http is redirected to https; behind a proxy that terminates TLS, name the header it sets
    # (GRIDGOV_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https") or the redirect loops
    SECURE_SSL_REDIRECT = os.environ.get("GRIDGOV_SSL_REDIRECT", "1") == "1"
    if os.environ.get("GRIDGOV_PROXY_SSL_HEADER", "").strip():
        _header, _sep, _value = os.environ["GRIDGOV_PROXY_SSL_HEADER"].partition(",")
        SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip() or "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("GRIDGOV_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("GRIDGOV_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("GRIDGOV_HSTS_PRELOAD", "1") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django_tasks": {"level": "WARNING"}},
}

# --- gridgov ----------------------------------------------------------------
GRIDGOV = {
    # 08:30-12:00 and 13:30-17:30 unless set, e.g. "09:00-12:00,14:00-18:00"
    "WORKING_HOURS": os.environ.get("GRIDGOV_WORKING_HOURS", "08:30-12:00,13:30-17:30"),
    # radius (metres) and period (days) in which open events of a category count as possible duplicates
    "DUPLICATE_RADIUS_M": int(os.environ.get("GRIDGOV_DUPLICATE_RADIUS_M", "250")),
    "DUPLICATE_DAYS": int(os.environ.get("GRIDGOV_DUPLICATE_DAYS", "30")),
    # intake refuses a point farther than this (metres) outside the area the city's grids span (their convex hull)
    "CITY_AREA_MARGIN_M": int(os.environ.get("GRIDGOV_CITY_AREA_MARGIN_M", "5000")),
    # point → grid: each process re-reads the grids' version stamp at most this often (seconds); a grid edit
    # committed elsewhere is used by every process's lookups at most this long after (gridgov/regions/spatial.py)
    "GRID_STAMP_TTL_S": float(os.environ.get("GRIDGOV_GRID_STAMP_TTL_S", "1")),
    # stage limits that do not come from the category: acceptance and verification by the center
    "ACCEPT_LIMIT": os.environ.get("GRIDGOV_ACCEPT_LIMIT", "4 working_hours"),
    "VERIFY_LIMIT": os.environ.get("GRIDGOV_VERIFY_LIMIT", "1 working_days"),
    # 吹哨报到: how long an assisting department has to report in (never past the handling deadline)
    "ASSIST_REPORT_LIMIT": os.environ.get("GRIDGOV_ASSIST_REPORT_LIMIT", "4 working_hours"),
    "NEAR_DUE_RATIO": float(os.environ.get("GRIDGOV_NEAR_DUE_RATIO", "0.8")),
    # the most cases one sweep run takes per plan (the rest is left for the next run), and its batch size
    "CASE_SWEEP_LIMIT": int(os.environ.get("GRIDGOV_CASE_SWEEP_LIMIT", "200000")),
    # 0: by database (gridgov.cases.sweep.batch_size: 5,000 on PostgreSQL, 500 on SQLite)
    "CASE_SWEEP_BATCH": int(os.environ.get("GRIDGOV_CASE_SWEEP_BATCH", "0")),
    # a run that marked at least this many cases of a table refreshes its statistics (ANALYZE): the planner then
    # knows the partial index of the cases still to sweep is nearly empty (gridgov.cases.marks); 0: never
    "CASE_SWEEP_ANALYZE_AFTER": int(os.environ.get("GRIDGOV_CASE_SWEEP_ANALYZE_AFTER", "10000")),
    # PostgreSQL: a resident import refreshes the statistics (ANALYZE) of the tables its lookups read once it has
    # added this many people, again each time it has doubled them, and at its end (gridgov.registry.excel.batch); 0: never
    "REGISTRY_IMPORT_ANALYZE_AFTER": int(os.environ.get("GRIDGOV_REGISTRY_IMPORT_ANALYZE_AFTER", "10000")),
    # a web process builds the legal consultation's index in a thread as it starts (0: on the first consultation)
    "CONSULT_WARM_UP": os.environ.get("GRIDGOV_CONSULT_WARM_UP", "1") == "1",
    # attachments
    "MAX_PHOTO_BYTES": int(os.environ.get("GRIDGOV_MAX_PHOTO_BYTES", str(10 * 1024 * 1024))),
    "MAX_MEDIA_BYTES": int(os.environ.get("GRIDGOV_MAX_MEDIA_BYTES", str(50 * 1024 * 1024))),
    # citizens without an account: new event reports an hour per phone and per client address (429 past them)
    "CITIZEN_REPORTS_PER_PHONE": int(os.environ.get("GRIDGOV_CITIZEN_REPORTS_PER_PHONE", "5")),
    "CITIZEN_REPORTS_PER_CLIENT": int(os.environ.get("GRIDGOV_CITIZEN_REPORTS_PER_CLIENT", "20")),
    # notifications: console | file | webhook (comma-separated for several)
    "NOTIFY_BACKENDS": os.environ.get("GRIDGOV_NOTIFY_BACKENDS", "console"),
    "NOTIFY_FILE": os.environ.get("GRIDGOV_NOTIFY_FILE", str(DATA_DIR / "notifications.jsonl")),
    "NOTIFY_WEBHOOK_URL": os.environ.get("GRIDGOV_NOTIFY_WEBHOOK_URL", ""),
    # map: no tile server by default (intranets); e.g. "http://127.0.0.1:8080/{z}/{x}/{y}.png"
    "TILE_URL": os.environ.get("GRIDGOV_TILE_URL", ""),
    "TILE_ATTRIBUTION": os.environ.get("GRIDGOV_TILE_ATTRIBUTION", ""),
    "MAP_CENTER": os.environ.get("GRIDGOV_MAP_CENTER", "115.98,36.45"),
    # reports (通报): a TrueType CJK font to embed in PDFs (default: WenQuanYi Micro Hei from requirements.txt)
    "REPORT_FONT": os.environ.get("GRIDGOV_REPORT_FONT", ""),
    # disputes: the mediation limit per channel ("30 days" = natural days, or "N working_days" …)
    "DISPUTE_LIMITS": {
        "people": os.environ.get("GRIDGOV_DISPUTE_LIMIT_PEOPLE", "30 days"),
        "administrative": os.environ.get("GRIDGOV_DISPUTE_LIMIT_ADMINISTRATIVE", "30 days"),
        "judicial": os.environ.get("GRIDGOV_DISPUTE_LIMIT_JUDICIAL", "30 days"),
    },
    # days after an agreement takes effect to apply for judicial confirmation, and when to remind
    "DISPUTE_CONFIRM_DAYS": int(os.environ.get("GRIDGOV_DISPUTE_CONFIRM_DAYS", "30")),
    "DISPUTE_CONFIRM_REMIND_DAYS": int(os.environ.get("GRIDGOV_DISPUTE_CONFIRM_REMIND_DAYS", "7")),
    # warnings: a condition whose warning was closed (已解除/误报) opens none again for this many days, unless it
    # comes back at a higher level than the one it was closed at
    "WARNING_QUIET_DAYS": int(os.environ.get("GRIDGOV_WARNING_QUIET_DAYS", "7")),
    # a mediator with this many cases in hand is not suggested
    "MEDIATOR_MAX_LOAD": int(os.environ.get("GRIDGOV_MEDIATOR_MAX_LOAD", "10")),
    # risk grading rules (gridgov/disputes/risk.py documents each)
    "DISPUTE_RISK": {
        "GROUP_PEOPLE": int(os.environ.get("GRIDGOV_DISPUTE_GROUP_PEOPLE", "5")),
        "GROUP_MAJOR_PEOPLE": int(os.environ.get("GRIDGOV_DISPUTE_GROUP_MAJOR_PEOPLE", "30")),
        "AMOUNT_SERIOUS": int(os.environ.get("GRIDGOV_DISPUTE_AMOUNT_SERIOUS", "100000")),
        "AMOUNT_MAJOR": int(os.environ.get("GRIDGOV_DISPUTE_AMOUNT_MAJOR", "1000000")),
        "REPEAT_DAYS": int(os.environ.get("GRIDGOV_DISPUTE_REPEAT_DAYS", "90")),
        # whole jieba tokens (so 杀猪, 砍价, 油炸 do not fire): single verbs and the compounds jieba keeps whole
        "THREAT_WORDS": ["杀", "砍", "炸", "捅", "杀人", "砍死", "砍人", "捅死", "捅人", "炸掉", "炸死", "打死",
                         "弄死", "同归于尽", "报复", "跳楼", "跳河", "上吊", "自杀", "自尽", "喝农药", "喝药", "寻死"],
        # this many 较大 factors together make the case 重大
        "COMBINE_TO_MAJOR": int(os.environ.get("GRIDGOV_DISPUTE_COMBINE_TO_MAJOR", "3")),
    },
    # petitions (信访工作条例 2022): calendar days; see gridgov/petitions/limits.py
    "PETITION_ACCEPT_DAYS": int(os.environ.get("GRIDGOV_PETITION_ACCEPT_DAYS", "15")),
    "PETITION_HANDLE_DAYS": int(os.environ.get("GRIDGOV_PETITION_HANDLE_DAYS", "60")),
    "PETITION_EXTENSION_MAX_DAYS": int(os.environ.get("GRIDGOV_PETITION_EXTENSION_MAX_DAYS", "30")),
    "PETITION_ACK_DAYS": int(os.environ.get("GRIDGOV_PETITION_ACK_DAYS", "7")),
    "PETITION_ACK_CHANNELS": os.environ.get("GRIDGOV_PETITION_ACK_CHANNELS", "letter"),
    "PETITION_REVIEW_WINDOW_DAYS": int(os.environ.get("GRIDGOV_PETITION_REVIEW_WINDOW_DAYS", "30")),
    "PETITION_REVIEW_DAYS": int(os.environ.get("GRIDGOV_PETITION_REVIEW_DAYS", "30")),
    "PETITION_REPEAT_SIMILARITY": float(os.environ.get("GRIDGOV_PETITION_REPEAT_SIMILARITY", "0.5")),
    "PETITION_BACKLOG_REPEATS": int(os.environ.get("GRIDGOV_PETITION_BACKLOG_REPEATS", "3")),
    # evaluation (考核): overrides of the defaults in gridgov/stats/eval_config.py (docs/evaluation.md), key by
    # key — {"region"|"department"|"worker": {indicator: weight}}, the grid workers' weekly targets, and
    # {"center"|"grid": [index for 2, 3, 4, 5 stars]}; the admin's 考核方案 overrides these in turn
    # reads inside gridgov.core.replica.read_replica() go to this alias ("" = no replica: everything on default)
    "READ_REPLICA": "replica" if DATABASE_REPLICA_URL else "",
    # /readyz fails when the oldest waiting background task has waited longer than this (seconds)
    "READY_MAX_QUEUE_AGE_S": int(os.environ.get("GRIDGOV_READY_MAX_QUEUE_AGE_S", "600")),
    "EVAL_WEIGHTS": {},
    "EVAL_TARGETS": {},
    "STAR_THRESHOLDS": {},
}
