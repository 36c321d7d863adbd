"""
Settings for the QMS, read from the environment.

With no environment at all the app runs as a self-contained demo: SQLite under var/, a
filesystem message broker for Celery, e-mail printed to the console. DATABASE_URL and
REDIS_URL switch to PostgreSQL and Redis, which is what production and CI use.
A bad value stops the start with a message that names the variable.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from qms.choices import Role

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (got {raw!r}).")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (got {raw!r}).") from None
    if value < minimum or (maximum is not None and value > maximum):
        limits = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise ImproperlyConfigured(f"{name} must be {limits} (got {raw!r}).")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str, *, schemes: tuple[str, ...], example: str) -> str:
    """A URL with one of `schemes` and a host; with an empty default, unset means "" (not used).
    The message does not repeat the value: it may hold a password."""
    value = env_str(name, default)
    if not value:
        return value
    try:
        parts = urlsplit(value)
        valid = parts.scheme in schemes and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:  # the port is not a number, or out of range
        valid = False
    if not valid:
        allowed = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ImproperlyConfigured(f"{name} must be a {allowed} URL such as {example}.")
    return value


# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must name the host the site is served under when DEBUG is off, e.g. qms.example.com."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")) or not urlsplit(_origin).netloc:
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS must list origins such as https://qms.example.com (got {_origin!r})."
        )
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
SITE_NAME = env_str("SITE_NAME", "QMS")

TIME_ZONE = env_str("TIME_ZONE", "UTC")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"TIME_ZONE must be an IANA time zone such as Europe/Berlin (got {TIME_ZONE!r})."
    ) from None
USE_TZ = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "qms",
    "processes",
    "objectives",
    "risks",
    "nonconformities",
    "audits",
    "reviews",
    "packs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "qms.middleware.healthz_for_any_host",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qms.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "qms.middleware.TwoFactorEnrolmentGate",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "qms.middleware.vary_on_htmx",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qms.urls"
WSGI_APPLICATION = "qms.wsgi.application"
AUTH_USER_MODEL = "qms.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                "qms.context_processors.site",
            ],
        },
    },
]
FORM_RENDERER = "qms.renderers.FormRenderer"

# DATABASES
# ------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'qms.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL we understand: {exc}") from None
# The product runs on these two; the name check catches postgres://host without a database and
# sqlite:// (an in-memory database that each process would have to itself).
if DATABASES["default"]["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3") or (
    DATABASES["default"]["NAME"] in ("", ":memory:")
):
    raise ImproperlyConfigured(
        "DATABASE_URL must name a PostgreSQL database (postgres://user:password@host:5432/qms) "
        "or an SQLite file (sqlite:////absolute/path/qms.sqlite3)."
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Several processes write (web workers, the Celery worker): WAL lets them read while one writes.
    # A transaction takes the write lock when it begins (IMMEDIATE), and waits up to `timeout` seconds
    # for it, so transactions that write take turns, which is what select_for_update (a no-op here)
    # asks for. A deferred transaction that reads and then writes fails at once with "database is
    # locked" when another connection wrote meanwhile; waiting does not help it.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# CACHES AND SESSIONS
# ------------------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"), example="redis://localhost:6379/0")
# The cache is shared by every web process and worker: Redis, or without it files under VAR_DIR
# (what a worker compiles, such as a review's live pack, is then seen by the pages).
# Sessions are read from the cache when it is Redis and from the table otherwise (a file cache
# is not worth it for them). Either way a page writes its session only when it changed or once
# a minute (qms/sessions).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "qms.sessions.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}
    }
    SESSION_ENGINE = "qms.sessions.db"
# Each use of a prepared query (qms.models.records.prepared_rows) also builds its SQL for the
# person at hand and fails if it differs: on in the tests, off in use, where it would undo the saving.
CHECK_PREPARED_QUERIES = False

# An idle session ends after SESSION_IDLE_MINUTES: each request pushes the expiry forward.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True

# AUTHENTICATION
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "qms:dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Two-factor sign-in (qms.twofactor): authenticator apps name the account after the site. Sign-ins
# through a backend listed here (single sign-on, whose identity provider asks for its own second
# factor) are neither asked for a code nor sent to enrol.
OTP_TOTP_ISSUER = SITE_NAME
TWO_FACTOR_EXEMPT_BACKENDS: list[str] = []
# API tokens (qms.models.ApiToken): how many days a new one lasts unless its maker chooses, and the most anyone may.
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1, maximum=3650)
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, minimum=1, maximum=API_TOKEN_MAX_DAYS)

# SINGLE SIGN-ON (OpenID Connect through mozilla-django-oidc; see qms/sso and the README)
# ------------------------------------------------------------------------------
# Off unless OIDC_CLIENT_ID is set. The endpoints are those of the provider's discovery document
# (<issuer>/.well-known/openid-configuration), given here so that starting never depends on it.
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
_OIDC_URLS = {
    "OIDC_ISSUER": "https://login.example.com/realms/acme",
    "OIDC_AUTHORIZATION_ENDPOINT": "https://login.example.com/realms/acme/protocol/openid-connect/auth",
    "OIDC_TOKEN_ENDPOINT": "https://login.example.com/realms/acme/protocol/openid-connect/token",
    "OIDC_USERINFO_ENDPOINT": "https://login.example.com/realms/acme/protocol/openid-connect/userinfo",
    "OIDC_JWKS_URI": "https://login.example.com/realms/acme/protocol/openid-connect/certs",
    "OIDC_END_SESSION_ENDPOINT": "https://login.example.com/realms/acme/protocol/openid-connect/logout",
}
_oidc_urls = {name: env_url(name, "", schemes=("https", "http"), example=url) for name, url in _OIDC_URLS.items()}
if OIDC_ENABLED:
    _needed = {"OIDC_CLIENT_SECRET": OIDC_RP_CLIENT_SECRET, **_oidc_urls}
    _missing = [name for name, value in _needed.items() if not value and name != "OIDC_END_SESSION_ENDPOINT"]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_CLIENT_ID is set, so single sign-on needs {', '.join(_missing)} too.")
OIDC_ISSUER = _oidc_urls["OIDC_ISSUER"]
OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc_urls["OIDC_AUTHORIZATION_ENDPOINT"]
OIDC_OP_TOKEN_ENDPOINT = _oidc_urls["OIDC_TOKEN_ENDPOINT"]
OIDC_OP_USER_ENDPOINT = _oidc_urls["OIDC_USERINFO_ENDPOINT"]
OIDC_OP_JWKS_ENDPOINT = _oidc_urls["OIDC_JWKS_URI"]
OIDC_OP_LOGOUT_ENDPOINT = _oidc_urls["OIDC_END_SESSION_ENDPOINT"]
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
if OIDC_RP_SIGN_ALGO not in ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512"):
    raise ImproperlyConfigured(
        f"OIDC_SIGN_ALGO must be RS256, RS384, RS512, ES256, ES384 or ES512 (got {OIDC_RP_SIGN_ALGO!r})."
    )
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
OIDC_STORE_ID_TOKEN = bool(OIDC_OP_LOGOUT_ENDPOINT)  # the hint the provider's sign-out asks for
# Whether someone the QMS does not know yet gets an account at their first sign-in.
OIDC_CREATE_USERS = env_bool("OIDC_CREATE_USERS", False)
# OIDC_ROLE_MAP="group=role,...": the first group listed that the person's OIDC_ROLE_CLAIM holds gives
# their role at each sign-in; with no map, roles are kept in the QMS. OIDC_DEFAULT_ROLE is the role
# when no group matches (and of new people without a map); "refuse" turns such people away.
OIDC_ROLE_CLAIM = env_str("OIDC_ROLE_CLAIM", "groups")
OIDC_ROLE_MAP: list[tuple[str, str]] = []
for _pair in env_list("OIDC_ROLE_MAP", []):
    _group, _sep, _role = (part.strip() for part in _pair.rpartition("="))
    if not (_sep and _group and _role in Role.values):
        raise ImproperlyConfigured(
            f"OIDC_ROLE_MAP must list group=role pairs, the roles being {', '.join(Role.values)} (got {_pair!r})."
        )
    OIDC_ROLE_MAP.append((_group, _role))
OIDC_DEFAULT_ROLE = env_str("OIDC_DEFAULT_ROLE", Role.VIEWER)
if OIDC_DEFAULT_ROLE not in (*Role.values, "refuse"):
    raise ImproperlyConfigured(f"OIDC_DEFAULT_ROLE must be one of {', '.join(Role.values)} or refuse.")
# Off: only superusers sign in with a password (the break-glass accounts); everyone else uses SSO.
OIDC_PASSWORD_LOGIN = env_bool("OIDC_PASSWORD_LOGIN", True)
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS = [
        AUTHENTICATION_BACKENDS[0],
        "qms.sso.backends.PasswordGate",
        *AUTHENTICATION_BACKENDS[1:],
        "qms.sso.backends.SSOBackend",
    ]
    TWO_FACTOR_EXEMPT_BACKENDS = ["qms.sso.backends.SSOBackend"]
    AXES_WHITELIST_CALLABLE = "qms.sso.not_a_password_guess"

# STATIC AND MEDIA
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence lives in MEDIA_ROOT and has no URL: no web server and no route serves it, only
# the permission-checked download view (so MEDIA_URL is left unset).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# The largest evidence file, and how many one upload may hold; a request larger than both together
# is refused before it is read (qms.uploads).
EVIDENCE_MAX_UPLOAD_MB = env_int("EVIDENCE_MAX_UPLOAD_MB", 20, minimum=1, maximum=1024)
EVIDENCE_MAX_FILES = 10
# Uploads larger than this stream to a temporary file instead of memory (evidence always does).
FILE_UPLOAD_MAX_MEMORY_SIZE = min(5, EVIDENCE_MAX_UPLOAD_MB) * 1024 * 1024
# The form fields of a request besides its files (a file's size is bounded above, not here).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# A backstop above EVIDENCE_MAX_FILES: the upload says so itself, with a message, up to here.
DATA_UPLOAD_MAX_NUMBER_FILES = 2 * EVIDENCE_MAX_FILES
# Stored files are readable by the app's user and group only.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# E-MAIL
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "qms@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mails. In production it must be given: a default would send people to localhost.
if not DEBUG and not env_str("SITE_URL"):
    raise ImproperlyConfigured("SITE_URL must be set when DEBUG is off, e.g. https://qms.example.com.")
SITE_URL = env_url(
    "SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https"), example="https://qms.example.com"
).rstrip("/")

# IMPORTS
# ------------------------------------------------------------------------------
# Bounds on an imported CSV or XLSX file, checked before it is parsed (qms.imports): its size, and
# for a workbook (a zip of XML files) its parts, what they unpack to and how far they are compressed;
# then the lines (blank ones too), the cells of a line and the cells in all, of either kind of file.
IMPORT_MAX_FILE_KB = env_int("IMPORT_MAX_FILE_KB", 2048, minimum=1, maximum=100 * 1024)
IMPORT_MAX_ZIP_MEMBERS = env_int("IMPORT_MAX_ZIP_MEMBERS", 200, minimum=10)
IMPORT_MAX_UNPACKED_MB = env_int("IMPORT_MAX_UNPACKED_MB", 50, minimum=1)
IMPORT_MAX_MEMBER_MB = env_int("IMPORT_MAX_MEMBER_MB", 20, minimum=1)
IMPORT_MAX_ZIP_RATIO = env_int("IMPORT_MAX_ZIP_RATIO", 100, minimum=10)
IMPORT_MAX_LINES = env_int("IMPORT_MAX_LINES", 20_000, minimum=10)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 100, minimum=20, maximum=16_384)
IMPORT_MAX_CELLS = env_int("IMPORT_MAX_CELLS", 200_000, minimum=1000)
# An import of more rows than this is checked and written by a Celery task while its page shows
# the progress; smaller ones are previewed and confirmed within the request.
IMPORT_BACKGROUND_ROWS = env_int("IMPORT_BACKGROUND_ROWS", 1000, minimum=1)

# QMS RULES
# ------------------------------------------------------------------------------
# Days after a period closes before a missing KPI value makes the KPI overdue.
KPI_DATA_GRACE_DAYS = env_int("KPI_DATA_GRACE_DAYS", 7)
# Days after a period closes before a still missing value is escalated to the process owner.
KPI_ESCALATION_DAYS = env_int("KPI_ESCALATION_DAYS", 14)
# Days before an audit starts when its team and auditees are reminded.
AUDIT_REMINDER_DAYS = env_int("AUDIT_REMINDER_DAYS", 7)
# Days before a management review when its attendees and preparers are reminded (with the calendar
# invitation), and before an output's due date when its owner is.
REVIEW_REMINDER_DAYS = env_int("REVIEW_REMINDER_DAYS", 7, minimum=1, maximum=60)

# SECURITY
# ------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; Django's default.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp), on in every setting so the browser tests run under it: only
# our own static files run or style anything. No inline script, no event-handler attributes, no
# eval (htmx's allowEval is off in base.html). Inline style *attributes* are allowed, and nothing
# else inline: progress bars, the audit timeline and the org tree set computed widths and offsets
# that CSS alone cannot express; an attribute cannot run code, and <style> elements stay refused.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Signing out after a single sign-on posts a form that the provider's end-session page answers.
if OIDC_OP_LOGOUT_ENDPOINT:
    _logout = urlsplit(OIDC_OP_LOGOUT_ENDPOINT)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{_logout.scheme}://{_logout.netloc}")

# DJANGO REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The token first: a refusal is then a 401 with `WWW-Authenticate: Token` (DRF asks the first class).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "qms.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's parsers, with JSON nested no deeper than a request needs (qms.api.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "qms.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "qms.api.renderers.BrowsableAPIRenderer",  # without an inline <style>, for the CSP
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
    ],
    "DEFAULT_PAGINATION_CLASS": "qms.api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "qms.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "QMS API",
    "DESCRIPTION": "Processes, objectives and KPIs, risks, audits, actions and management review.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Served from our own static files: the app works offline and behind firewalls.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name for a choice set several fields share (inherent, residual and review bands).
    # Every app has a `status`; each choice set gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "BandEnum": "risks.choices.Band",
        "AuditStatusEnum": "audits.choices.AuditStatus",
        "NonconformityStatusEnum": "nonconformities.choices.NCStatus",
        "EvidencePackStatusEnum": "packs.choices.PackStatus",
        "ContextStatusEnum": "reviews.choices.ContextStatus",
        "StatementStatusEnum": "reviews.choices.StatementStatus",
        "ReviewStatusEnum": "reviews.choices.ReviewStatus",
        "ReviewInputEnum": "reviews.choices.ReviewInput",
        "OutputKindEnum": "reviews.choices.OutputKind",
        "ClauseEnum": "qms.clauses.Clause",
    },
}

FILTERS_EMPTY_CHOICE_LABEL = _("Any")

# RETENTION
# ------------------------------------------------------------------------------
# History snapshots and sent e-mail older than this many years are moved into compressed files under
# VAR_DIR/archive (qms.retention). Unset: kept in the database for ever.
RETENTION_ARCHIVE_AFTER_YEARS = env_int("RETENTION_ARCHIVE_AFTER_YEARS", 0, minimum=1) or None

# CELERY
# ------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    # No broker server needed: kombu passes messages through files under var/broker.
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = 200
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE = {
    # Nightly: recalculate every KPI, mark overdue periods, raise and verify actions from KPIs.
    "recalculate-kpis": {
        "task": "objectives.tasks.recalculate_kpis",
        "schedule": crontab(hour=2, minute=15),
    },
    # Daily: e-mail owners of risks whose review date has passed (once per risk and date).
    "notify-risk-reviews-overdue": {
        "task": "risks.tasks.notify_risk_reviews_overdue",
        "schedule": crontab(hour=6, minute=0),
    },
    # Each run sends only what was not sent before (once per KPI and period).
    "send-kpi-reminders": {
        "task": "objectives.tasks.send_kpi_reminders",
        "schedule": crontab(minute=30),
    },
    # Daily: remind audit teams and auditees before an audit, lead auditors of overdue reports (each once).
    # Packs a worker lost (killed mid-render) are queued again after an hour; a run that finds none
    # changes nothing.
    "resume-stalled-evidence-packs": {
        "task": "packs.tasks.resume_stalled_packs",
        "schedule": crontab(minute="*/15"),
    },
    # Imports a worker lost (killed mid-import, which wrote nothing) are queued again after an hour.
    "resume-stalled-imports": {
        "task": "objectives.tasks.resume_stalled_imports",
        "schedule": crontab(minute="*/15"),
    },
    # Daily: import files that no job will read again (normally removed as each import ends).
    "remove-stale-import-files": {
        "task": "objectives.tasks.remove_stale_import_files",
        "schedule": crontab(hour=3, minute=40),
    },
    "audit-reminders": {
        "task": "audits.tasks.send_audit_reminders",
        "schedule": crontab(hour=6, minute=10),
    },
    # Daily: remind attendees and preparers before a management review (with the invitation), and
    # owners of review outputs nearing their due date (each once).
    "review-reminders": {
        "task": "reviews.tasks.send_review_reminders",
        "schedule": crontab(hour=6, minute=20),
    },
    # Minutes issued whose PDF or e-mails a lost worker or a mail server left undone.
    "resume-review-minutes": {
        "task": "reviews.tasks.resume_minutes",
        "schedule": crontab(minute="7-59/15"),
    },
    # Queued e-mail is sent after the commit that queued it; this sends what a lost trigger, a killed
    # worker or a mail server that was down left in the outbox.
    "send-outbox": {
        "task": "qms.tasks.send_outbox",
        "schedule": crontab(),
    },
    # Daily: archive history and sent e-mail older than RETENTION_ARCHIVE_AFTER_YEARS (off when unset).
    "archive-old-records": {
        "task": "qms.tasks.archive_old_records",
        "schedule": crontab(hour=3, minute=30),
    },
    # Safe to run often: each action is notified at most once a day.
    "notify-overdue-actions": {
        "task": "qms.tasks.notify_overdue_actions",
        "schedule": crontab(minute="*/15"),
    },
}

# LOGGING
# ------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL (got {LOG_LEVEL!r}).")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every page it lays out at INFO; its warnings (a refused URL) still show.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
