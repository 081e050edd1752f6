"""casedesk settings: one file, driven by environment variables.

DJANGO_ENV=production switches on the production defaults; everything else is read from
the environment with a documented default that suits a single office on one machine.
"""

import datetime as dt
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = ENV == "production"
TESTING = ENV == "test"


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "" if PRODUCTION else "dev-only-not-secret")
if PRODUCTION and not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production")
DEBUG = os.environ.get("DJANGO_DEBUG", "0" if PRODUCTION else "1") == "1"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost")

VAR_DIR = Path(os.environ.get("CASEDESK_VAR_DIR", BASE_DIR / "var"))

INSTALLED_APPS = [
    # Django's admin with casedesk's site: only staff, offices and reference data in it,
    # every page view audited (casedesk.accounts.admin_site).
    "casedesk.accounts.admin_apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # intcomma: counts grouped in the page's language
    "django_htmx",
    "csp",
    "django_tasks",
    "django_tasks_db",  # its app label is "django_tasks_database"
    "django_ratelimit",
    "casedesk.core",
    "casedesk.rulebook",
    "casedesk.audit",
    "casedesk.accounts",
    "casedesk.people",
    "casedesk.deadlines",
    "casedesk.cases",
    "casedesk.letters",
    "casedesk.intake",
    "casedesk.urgency",  # issue 19: urgent appeals flagged by the rulebook's rules
    "casedesk.facts",
    "casedesk.triage",  # issue 19: category suggestions
    "casedesk.review",
    "casedesk.demo",
    "axes",
    "django_otp",  # its TOTP plugin is replaced by accounts.SecondFactorDevice (sealed secrets)
    "casedesk.web",
    "casedesk.staff",
    "casedesk.portal",
    "casedesk.api",
    "casedesk.notifications",
    "casedesk.stats",
]

MIDDLEWARE = [
    "casedesk.web.middleware.TrustedProxyMiddleware",
    # /api/ goes on through API_MIDDLEWARE below, everything else through the rest.
    "casedesk.web.middleware.ApiMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "casedesk.web.middleware.NoStoreForPeopleMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "casedesk.web.middleware.RequestSizeMiddleware",
    "casedesk.web.middleware.DatabaseOutageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "casedesk.accounts.auth_views.RequireSecondFactorMiddleware",
    "casedesk.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # A data key missing from the key store: a page naming the case, not a blank one.
    "casedesk.core.middleware.KeyNotInStoreMiddleware",
]
# The API's own chain (web.middleware.ApiMiddleware): no cookies, session, login or forms
# there, so none of their middleware; the rest in the same order as above.
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "casedesk.web.middleware.NoStoreForPeopleMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "casedesk.web.middleware.RequestSizeMiddleware",
    "casedesk.web.middleware.DatabaseOutageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "casedesk.audit.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "casedesk.core.middleware.KeyNotInStoreMiddleware",
]

ROOT_URLCONF = "casedesk.config.urls"
WSGI_APPLICATION = "casedesk.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "casedesk" / "templates"],  # overrides of contrib templates
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["casedesk.staff.templatetags.casedesk_tags"],
        },
    },
]

# The embedded default is SQLite in var/; PostgreSQL is the real database (DATABASE_URL).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'casedesk.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiler costs more than it saves on short OLTP queries (it added
    # about 100 ms to searches over 100k cases in bench/pages.py); CASEDESK_PG_JIT=on
    # gives it back.
    jit = os.environ.get("CASEDESK_PG_JIT", "off")
    # Search bitmaps over a million appeals overflow the default 4 MB and turn lossy, and
    # PostgreSQL then recomputes to_tsvector for every row of the lossy pages: 64 MB made
    # a common word's search about 10x faster at 1M cases (bench/run.py).
    work_mem = os.environ.get("CASEDESK_PG_WORK_MEM", "64MB")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c jit={jit} -c work_mem={work_mem}")
    if TESTING:
        # The audit table refuses TRUNCATE (casedesk.audit.db) unless this is on; the flush
        # between transactional tests truncates every table, so test connections set it.
        # UPDATE and DELETE stay refused. Never set in production.
        DATABASES["default"]["OPTIONS"]["options"] += " -c casedesk.audit_maintenance=on"

# The key store: wrapped per-person data keys, in a database of their own so that backups
# of the data never hold the keys (casedesk.core.crypto, docs/security.md). By default a
# second SQLite file beside the first, or the PostgreSQL database "<name>_keys" on the
# same server; CASEDESK_KEYSTORE_URL names another.
def _keystore_url() -> str:
    if os.environ.get("CASEDESK_KEYSTORE_URL"):
        return os.environ["CASEDESK_KEYSTORE_URL"]
    main = DATABASES["default"]
    if main["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(main['NAME']).with_name('keys.sqlite3')}"
    url = os.environ["DATABASE_URL"]
    base, _sep, query = url.partition("?")
    return f"{base}_keys" + (f"?{query}" if query else "")


DATABASES["keys"] = dj_database_url.parse(
    _keystore_url(), conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")))
if DATABASES["keys"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["keys"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["keys"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE",
                                    "init_command": "PRAGMA journal_mode=WAL;"}
DATABASE_ROUTERS = ["casedesk.core.routers.KeystoreRouter"]

# Analytics (the statistics pages and the annual report, casedesk.stats.selectors.read)
# read from a streaming replica of the data database when CASEDESK_REPLICA_URL names one,
# else from the primary; nothing else does, and nothing writes there. In tests the alias
# mirrors the test database (CASEDESK_REPLICA_URL then only gives the role to connect as).
if os.environ.get("CASEDESK_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["CASEDESK_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")))
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
CASEDESK_STATS_DATABASE = os.environ.get(
    "CASEDESK_STATS_DATABASE", "replica" if "replica" in DATABASES else "default")

# Master keys wrapping the data keys: "id:base64(32 bytes)", comma-separated, the first
# current (`manage.py keys_rotate` re-wraps under it). From the environment or a file.
# Outside production a development key derived from SECRET_KEY stands in; in production
# the server refuses to start without them (casedesk.core.checks).
if os.environ.get("CASEDESK_MASTER_KEY_FILE"):
    CASEDESK_MASTER_KEYS = Path(os.environ["CASEDESK_MASTER_KEY_FILE"]).read_text().strip()
else:
    CASEDESK_MASTER_KEYS = os.environ.get("CASEDESK_MASTER_KEYS", "")
# The key of the blind indexes (keyed hashes of names, phones, emails, search words):
# "v2:base64(32 bytes)" (`python -c "from casedesk.core.crypto import blind_key_new as
# k; print(k())"`); required in production (casedesk.core.checks). Changing it needs
# `manage.py blind_index_rebuild`.
CASEDESK_BLIND_INDEX_KEY = os.environ.get("CASEDESK_BLIND_INDEX_KEY", "")
# The "all cases" count of the staff queues is cached this long (a scan at 1M cases).
CASEDESK_QUEUE_ALL_COUNT_SECONDS = int(os.environ.get(
    "CASEDESK_QUEUE_ALL_COUNT_SECONDS", "0" if ENV == "test" else "60"))
CASEDESK_KEY_CACHE_SECONDS = int(os.environ.get("CASEDESK_KEY_CACHE_SECONDS", "60"))
# A case move queues a statistics refresh this many seconds later (or ten times the last
# refresh's duration, if longer); 0 leaves the figures to the nightly stats_refresh.
CASEDESK_STATS_REFRESH_DELAY = int(os.environ.get("CASEDESK_STATS_REFRESH_DELAY", "300"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "casedesk.accounts.passwords.BreachedPasswordValidator"},
    # zxcvbn score >= 3, also for Russian words and layouts; the demo password in production.
    {"NAME": "casedesk.accounts.passwords.PasswordStrengthValidator"},
    {"NAME": "casedesk.accounts.passwords.DemoPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "casedesk.accounts.lockout.AccountLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (ASVS V6.3): 5 failures per username+address lock that pair for 15 min.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# ... and 10 failures for one account from all addresses together lock the account
# (casedesk.accounts.lockout: spraying from many addresses).
CASEDESK_ACCOUNT_FAILURE_LIMIT = int(os.environ.get("CASEDESK_ACCOUNT_FAILURE_LIMIT", "10"))
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = True  # the tests turn it off, and on again where they test lockouts
AXES_LOCKOUT_CALLABLE = "casedesk.accounts.auth_views.lockout"
AXES_DISABLE_ACCESS_LOG = True  # the audit log already records sign-ins
AXES_VERBOSE = False
# Two-factor login for staff (TOTP): required in production; off by default in
# development so that the demo logins work without an authenticator app.
CASEDESK_OTP_REQUIRED = os.environ.get("CASEDESK_OTP_REQUIRED",
                                       "1" if PRODUCTION else "0") == "1"
OTP_TOTP_ISSUER = "casedesk"
# After n wrong second-factor codes the next try waits factor * 2**(n-1) seconds
# (django-otp's throttling, accounts.models.SecondFactorDevice).
OTP_TOTP_THROTTLE_FACTOR = 1
# A staff member's enrolment code (accounts.services) works this long; a password reset
# waiting for a second administrator's approval lapses after RESET hours.
CASEDESK_ENROLMENT_CODE_HOURS = int(os.environ.get("CASEDESK_ENROLMENT_CODE_HOURS", "72"))
CASEDESK_RESET_REQUEST_HOURS = int(os.environ.get("CASEDESK_RESET_REQUEST_HOURS", "24"))
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:queues"
SESSION_COOKIE_AGE = int(os.environ.get("CASEDESK_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Uploads: documents up to this size, of these kinds (checked by content).
CASEDESK_MAX_UPLOAD_BYTES = int(os.environ.get("CASEDESK_MAX_UPLOAD_BYTES", str(10 * 1024**2)))
# CSV imports in the browser (casedesk.intake.import_jobs): files up to this size.
CASEDESK_IMPORT_MAX_BYTES = int(os.environ.get("CASEDESK_IMPORT_MAX_BYTES", str(20 * 1024**2)))
# The largest JSON body the API reads (casedesk.api.v1.errors; 413 above it).
CASEDESK_API_MAX_BODY_BYTES = int(os.environ.get("CASEDESK_API_MAX_BODY_BYTES",
                                                 str(64 * 1024)))
# The form fields of one request, files aside (Django refuses more with a 400).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024**2
# Files in one request: Django refuses more with a bare 400. Above the portal's 5
# attachments (intake.public.MAX_ATTACHMENTS), so that 6 chosen files get the form's own
# message; memory is bounded by the byte cap below, not by this count.
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# The largest request body: the portal's 5 attachments of the largest size (a test keeps
# this in step with MAX_ATTACHMENTS), or one import, plus the fields.
# casedesk.web.middleware.RequestSizeMiddleware answers 413 to a larger Content-Length
# before anything reads the body.
CASEDESK_MAX_REQUEST_BYTES = int(os.environ.get("CASEDESK_MAX_REQUEST_BYTES", str(
    max(5 * CASEDESK_MAX_UPLOAD_BYTES, CASEDESK_IMPORT_MAX_BYTES)
    + DATA_UPLOAD_MAX_MEMORY_SIZE)))
# Uploaded files stay in memory, never in a temporary file: Django's default spools files
# above FILE_UPLOAD_MAX_MEMORY_SIZE to the system temporary directory, in plaintext, where
# a killed process leaves them (issue 15, finding 12). The request size cap above bounds
# the memory of one request (55 MB by default; times the worker threads for a server).
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = CASEDESK_MAX_REQUEST_BYTES

LANGUAGE_CODE = os.environ.get("CASEDESK_LANGUAGE", "ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "casedesk" / "locale"]
TIME_ZONE = os.environ.get("CASEDESK_TIME_ZONE", "Europe/Moscow")
# English dates as "7 Dec 2026" (casedesk/formats/en/formats.py), not 12/07/2026.
FORMAT_MODULE_PATH = ["casedesk.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(os.environ.get("CASEDESK_MEDIA_ROOT", VAR_DIR / "media"))
# Files (documents and letters, encrypted before they are stored) go to an S3-compatible
# bucket when CASEDESK_S3_BUCKET names one, so that several app servers share them
# (docs/deployment.md; needs the "s3" extra: django-storages and boto3); else to MEDIA_ROOT.
if os.environ.get("CASEDESK_S3_BUCKET"):
    STORAGES = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": os.environ["CASEDESK_S3_BUCKET"],
            "endpoint_url": os.environ.get("CASEDESK_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("CASEDESK_S3_REGION") or None,
            "access_key": os.environ.get("CASEDESK_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("CASEDESK_S3_SECRET_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        }},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

# The rulebook: versioned data files, validated at start-up.
RULEBOOK_DIR = Path(os.environ.get("CASEDESK_RULEBOOK_DIR", BASE_DIR / "rulebook"))

# Background tasks (imports, statistics, the fast path of the notices): queued in the
# database, run by `manage.py db_worker`, which `manage.py worker` starts and restarts
# (started by `make run`; its own service in production, docs/deployment.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The notices outbox (notifications.outbox): a worker that took a notice holds it this
# long (keep it above EMAIL_TIMEOUT); a failed send is retried after RETRY seconds,
# doubling up to RETRY_MAX, and given up after MAX_ATTEMPTS.
CASEDESK_OUTBOX_CLAIM_SECONDS = int(os.environ.get("CASEDESK_OUTBOX_CLAIM_SECONDS", "120"))
CASEDESK_OUTBOX_RETRY_SECONDS = int(os.environ.get("CASEDESK_OUTBOX_RETRY_SECONDS", "30"))
CASEDESK_OUTBOX_RETRY_MAX_SECONDS = int(os.environ.get("CASEDESK_OUTBOX_RETRY_MAX_SECONDS",
                                                       "3600"))
CASEDESK_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("CASEDESK_OUTBOX_MAX_ATTEMPTS", "20"))
# The worker's loop: seconds between rounds, and the longest back-off while the database
# is away. /health/ calls the worker down when its last beat is older than STALE seconds.
CASEDESK_WORKER_INTERVAL = float(os.environ.get("CASEDESK_WORKER_INTERVAL", "1"))
CASEDESK_WORKER_BACKOFF_MAX = float(os.environ.get("CASEDESK_WORKER_BACKOFF_MAX", "30"))
CASEDESK_WORKER_STALE_SECONDS = int(os.environ.get("CASEDESK_WORKER_STALE_SECONDS", "120"))
# /health/ flags the outbox late when a notice has waited longer than this.
CASEDESK_HEALTH_OUTBOX_LATE_SECONDS = int(os.environ.get(
    "CASEDESK_HEALTH_OUTBOX_LATE_SECONDS", "900"))

# Email. With EMAIL_HOST set (or in production) mail goes out by SMTP; otherwise it is
# written to files in var/mail (they hold personal data: keep that directory private).
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "casedesk <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
# In production mail leaves encrypted: STARTTLS unless EMAIL_USE_SSL (implicit TLS, port
# 465) is set. A relay on this machine may be spoken to in clear (EMAIL_USE_TLS=0 with
# EMAIL_HOST=localhost); anything else is a system check error
# (casedesk.notifications.checks), since the emails name the applicant's case.
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "0") == "1"
EMAIL_USE_TLS = os.environ.get(
    "EMAIL_USE_TLS", "1" if PRODUCTION and not EMAIL_USE_SSL else "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
if "EMAIL_HOST" in os.environ or PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Content Security Policy (django-csp): everything from our own origin, no inline script
# or style, no plugins, no framing by other sites, no frames at all (documents are
# downloads, never previewed in a frame: cases/documents.py).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [NONE],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
SECURE_REFERRER_POLICY = "same-origin"

# Rate limits and throttles count in the cache: Redis (CASEDESK_REDIS_URL), shared between
# app servers, is required in production; one process in development and tests may count
# in its own memory.
REDIS_URL = os.environ.get("CASEDESK_REDIS_URL") or (
    "redis://127.0.0.1:6379/1" if PRODUCTION else "")
if REDIS_URL:
    # Django's own Redis backend: its add() is SET NX and its incr() Redis's INCR, the
    # atomic pair django-ratelimit counts with; that release's list of supported backends
    # only predates it (W001).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The statistics' covering indexes (INCLUDE columns) are plain indexes on SQLite, which
    # is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "models.W040"]
RATELIMIT_USE_CACHE = "default"
CASEDESK_RATE_SUBMIT = os.environ.get("CASEDESK_RATE_SUBMIT", "10/h")
CASEDESK_RATE_STATUS = os.environ.get("CASEDESK_RATE_STATUS", "20/10m")
CASEDESK_RATE_STATUS_FAILURES = os.environ.get("CASEDESK_RATE_STATUS_FAILURES", "5/10m")
# Lost access codes: requests per IP address, and per case number from anywhere.
CASEDESK_RATE_RECOVER = os.environ.get("CASEDESK_RATE_RECOVER", "5/h")
CASEDESK_RATE_RECOVER_CASE = os.environ.get("CASEDESK_RATE_RECOVER_CASE", "3/h")
# Public statistics and open data: requests per IP address from people not signed in
# (each answer is cached until the next refresh; docs/open-data.md).
CASEDESK_RATE_STATS = os.environ.get("CASEDESK_RATE_STATS", "60/m")
# How regions are labelled where the public reads them (statistics pages, the annual
# report, the open-data files, the portal's office cards): "names" (the Russian
# administrative names) or "iso" (ISO 3166-2 codes). Internal keys never change
# (docs/statistics.md).
CASEDESK_REGION_LABELS = os.environ.get("CASEDESK_REGION_LABELS", "names")
if CASEDESK_REGION_LABELS not in ("names", "iso"):
    raise RuntimeError("CASEDESK_REGION_LABELS must be 'names' or 'iso'")
# Empty: public appeals are routed by region (docs/portal.md); an office's code: all go there.
CASEDESK_PUBLIC_OFFICE = os.environ.get("CASEDESK_PUBLIC_OFFICE", "")
# The public site's address, for the links in notices and letters.
CASEDESK_PUBLIC_URL = os.environ.get("CASEDESK_PUBLIC_URL") or "http://127.0.0.1:8000"
# While the database does not answer, pages and the API ask to come back after this many
# seconds (Retry-After; casedesk.core.outage).
CASEDESK_RETRY_AFTER_SECONDS = int(os.environ.get("CASEDESK_RETRY_AFTER_SECONDS", "30"))
# The load balancers / reverse proxies whose X-Forwarded-For is believed (addresses or
# networks, comma-separated): see casedesk.web.middleware.TrustedProxyMiddleware.
CASEDESK_TRUSTED_PROXIES = env_list("CASEDESK_TRUSTED_PROXIES")
# Public appeals arriving together are written together (casedesk.intake.batching): one
# transaction, one case-number reservation and one audit-chain lock for up to this many.
# 0 writes each appeal in its own request's transaction (a batch of one, by the same
# writer). On in tests too, so that the suite runs the production write path: a test's
# appeal, submitted inside the test's transaction, is written in its own thread (see
# ``batching.submit``); live-server tests go through the registrar's thread.
CASEDESK_INTAKE_BATCH = int(os.environ.get("CASEDESK_INTAKE_BATCH", "64"))

# The audit log (casedesk.audit; docs/security.md "Round two: audit", docs/deployment.md).
# The key of the audit chain's HMAC (at least 32 characters); unset, one is derived from
# SECRET_KEY with HKDF (casedesk.audit.keys). Keep it as long as the log.
CASEDESK_AUDIT_KEY = os.environ.get("CASEDESK_AUDIT_KEY", "")
# Where checkpoints of the chain's head are appended (JSON lines), on storage the database
# role cannot write; read by `manage.py audit_verify`. Tests get a directory of their own.
CASEDESK_AUDIT_CHECKPOINT_DIR = Path(os.environ.get("CASEDESK_AUDIT_CHECKPOINT_DIR", "") or (
    Path(tempfile.gettempdir()) / f"casedesk-audit-checkpoints-{os.getpid()}" if TESTING
    else VAR_DIR / "audit-checkpoints"))
# A task worker appends a checkpoint at most this often while entries are being written
# (0: only `manage.py audit_checkpoint`, from cron). Off in tests.
CASEDESK_AUDIT_CHECKPOINT_SECONDS = int(os.environ.get(
    "CASEDESK_AUDIT_CHECKPOINT_SECONDS", "0" if TESTING else "600"))
# The PostgreSQL role the application connects as. If it exists, every `migrate` leaves it
# only SELECT and INSERT on the audit table (no UPDATE, DELETE, TRUNCATE).
CASEDESK_DB_APP_ROLE = os.environ.get("CASEDESK_DB_APP_ROLE", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CASEDESK_LOG_LEVEL", "INFO")},
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"},
                "axes": {"level": "WARNING"}},
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Triage (issue 19, docs/triage.md): a category model is trained (manage.py triage_train)
# only when at least MIN_CLASSES categories have at least MIN_PER_CLASS confirmed cases
# each; until then the rules drawn from the rulebook's category descriptions suggest.
CASEDESK_TRIAGE_MIN_PER_CLASS = int(os.environ.get("CASEDESK_TRIAGE_MIN_PER_CLASS", "5"))
CASEDESK_TRIAGE_MIN_CLASSES = int(os.environ.get("CASEDESK_TRIAGE_MIN_CLASSES", "2"))
# At most this many confirmed cases (the latest) are read to train a model.
CASEDESK_TRIAGE_MAX_EXAMPLES = int(os.environ.get("CASEDESK_TRIAGE_MAX_EXAMPLES", "200000"))
