"""Settings shared by every run mode.

Everything that differs between machines is read from the environment (or an optional ``.env``
file in the project root); see ``.env.example`` for the full list. Each infrastructure row of
the run-mode table (database, cache, broker, email) switches on its own variable alone.
"""

import socket
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from core.schedule import celery_beat_schedule, crontab_jobs

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "django_crontab",
    "axes",
    "core",
    "accounts",
    "shop",
    "sitestore",
    "chat",
    "crowdfunding",
    "mailings",
    "blog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Notes when a signed-in browser was last used (the profile's Devices page).
    "accounts.middleware.DeviceActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes must come last so that it sees the outcome of every login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

# --- Database: SQLite (WAL) unless DATABASE_URL is set -------------------------------------
SQLITE_PATH = env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3"))
SQLITE_OPTIONS = {
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN so
    # concurrent writers queue on busy_timeout instead of failing with "database is locked".
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: local memory unless REDIS_URL is set --------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="agora"),
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "agora",
        }
    }

# --- Celery: broker from CELERY_BROKER_URL or REDIS_URL; without one, tasks run inline -------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = celery_beat_schedule()
CELERY_TIMEZONE = "UTC"
CRONJOBS = crontab_jobs()
CRONTAB_LOCK_JOBS = True
CRONTAB_COMMAND_PREFIX = f"DJANGO_SETTINGS_MODULE={env.str('DJANGO_SETTINGS_MODULE', default='config.settings.local')}"

# --- Email: console unless EMAIL_URL is set -------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Agora <noreply@agora.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.LoginBackend",
]
# One validator holds every password rule (SPEC §3), for registration, reset, change and admin.
AUTH_PASSWORD_VALIDATORS = [{"NAME": "accounts.validators.AgoraPasswordValidator"}]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
PASSWORD_RESET_TIMEOUT = 15 * 60

ACCOUNTS_CONFIRMATION_CODE_TTL = timedelta(minutes=15)
ACCOUNTS_CONFIRMATION_MAX_TRIES = 5
ACCOUNTS_CONFIRMATION_RESEND_COOLDOWN = timedelta(seconds=env.int("ACCOUNTS_RESEND_COOLDOWN_SECONDS", default=60))
ACCOUNTS_UNCONFIRMED_TTL = timedelta(minutes=15)
ACCOUNTS_MAX_SESSIONS = env.int("ACCOUNTS_MAX_SESSIONS", default=3)
# A browser's "last use" on the Devices page is written at most this often (seconds).
ACCOUNTS_DEVICE_SEEN_INTERVAL = env.int("ACCOUNTS_DEVICE_SEEN_INTERVAL", default=300)
# The web register, resend-code and password-reset forms: at most this many submissions per
# window, per address and per email (each form counted on its own).
ACCOUNTS_FORM_RATE_WINDOW_SECONDS = env.int("ACCOUNTS_FORM_RATE_WINDOW_SECONDS", default=3600)
ACCOUNTS_FORM_RATE_LIMIT_PER_IP = env.int("ACCOUNTS_FORM_RATE_LIMIT_PER_IP", default=20)
ACCOUNTS_FORM_RATE_LIMIT_PER_EMAIL = env.int("ACCOUNTS_FORM_RATE_LIMIT_PER_EMAIL", default=5)
ACCOUNTS_RESERVED_USERNAME_WORDS = env.list(
    "ACCOUNTS_RESERVED_USERNAME_WORDS",
    default=["admin", "moderator", "support", "staff", "root", "system"],
)
AVATAR_MAX_MB = env.int("AVATAR_MAX_MB", default=5)
AVATAR_MAX_SIDE = 512
# Every uploaded image (avatars, blog previews, products, chat images) is refused above these,
# read from its header before anything is decoded: a small PNG can hold a gigapixel image.
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=25_000_000)
IMAGE_MAX_SIDE = env.int("IMAGE_MAX_SIDE", default=8000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Sessions -------------------------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
# Sessions end with the browser unless "remember me" is ticked (then SESSION_REMEMBER_AGE).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_REMEMBER_AGE = 14 * 24 * 3600
SESSION_COOKIE_AGE = SESSION_REMEMBER_AGE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A form sent from an expired page or without cookies gets a page saying what to do, not Django's.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# --- django-axes: 5 failures for an account/IP pair lock that pair out for 15 minutes -------
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures count per account, whichever of its username, email or phone was typed.
AXES_USERNAME_CALLABLE = "accounts.lockout.account_key"
# Failures from one address across all accounts (password spraying) lock that address out.
ACCOUNTS_LOGIN_IP_FAILURE_LIMIT = env.int("ACCOUNTS_LOGIN_IP_FAILURE_LIMIT", default=30)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.request_info.client_ip"

# --- Security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'self'; object-src 'none'"
)
# Behind a TLS-terminating proxy, set DJANGO_SECURE_PROXY_SSL_HEADER=true.
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from the npm registry (package.json) so no third-party file is committed.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Private uploads (chat attachments, purchased sites): never under MEDIA_ROOT, never given a URL.
PRIVATE_MEDIA_ROOT = env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media"))
# Public uploads served by Django itself (fine for one node; use the proxy or object storage at scale).
SERVE_PUBLIC_MEDIA = env.bool("SERVE_PUBLIC_MEDIA", default=DEBUG)
PUBLIC_MEDIA_PREFIXES = ["avatars/", "products/", "articles/", "crowdfunding/covers/"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Django REST framework, JWT, OpenAPI ----------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's throttles, checked in one atomic Redis call when the cache is Redis.
        "core.api.throttling.AnonRateThrottle",
        "core.api.throttling.UserRateThrottle",
        "core.api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        "auth": env.str("API_THROTTLE_AUTH", default="20/minute"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.negotiation.JSONFallbackNegotiation",
    # Documents the error answers and the public operations once, for every view.
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a hash of the password: a password change or reset ends them at once.
    "CHECK_REVOKE_TOKEN": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Agora API",
    "DESCRIPTION": "One account for the shop, site store, messenger, crowdfunding and mailings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" field; each set of choices gets its own stable name.
    "ENUM_NAME_OVERRIDES": {
        "MailingStatusEnum": "mailings.models.Mailing.Status",
        "MailingRunStatusEnum": "mailings.models.MailingRun.Status",
        "AttemptStatusEnum": "mailings.models.Attempt.Status",
        "ThreadStatusEnum": "sitestore.models.Thread.Status",
        # Donations have a "kind" too: the site templates' keeps the name it had.
        "KindEnum": "sitestore.models.SiteTemplate.Kind",
        "DonationKindEnum": "crowdfunding.models.Donation.Kind",
        "TopicEnum": "crowdfunding.models.Topic",
        "PlatformEnum": "crowdfunding.models.Platform",
    },
}

# --- Audit ----------------------------------------------------------------------------------
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=90)

# --- Shop ---------------------------------------------------------------------------------
SHOP_SEARCH_MIN_LENGTH = 3
SHOP_SEARCH_STOP_WORDS = env.list("SHOP_SEARCH_STOP_WORDS", default=["casino", "porn", "viagra", "xxx"])
SHOP_SEARCH_LOG_RETENTION_DAYS = env.int("SHOP_SEARCH_LOG_RETENTION_DAYS", default=30)
SHOP_TRENDING_DAYS = 7
SHOP_TRENDING_SIZE = 5
SHOP_TRENDING_CACHE_SECONDS = env.int("SHOP_TRENDING_CACHE_SECONDS", default=180)
SHOP_RECOMMENDATION_CACHE_SECONDS = env.int("SHOP_RECOMMENDATION_CACHE_SECONDS", default=600)
SHOP_PAGE_SIZES = [10, 20, 50, 100]
SHOP_PRODUCT_IMAGE_MAX_MB = env.int("SHOP_PRODUCT_IMAGE_MAX_MB", default=5)
SHOP_PRODUCT_IMAGE_MAX_SIDE = 1200
# A newsletter delivery in "sending" longer than this lost its sender mid-conversation: the next
# newsletter job shows it as "unknown" (never re-sent by itself). Must exceed one SMTP conversation.
SHOP_NEWSLETTER_LEASE_SECONDS = env.int("SHOP_NEWSLETTER_LEASE_SECONDS", default=300)
# Called with (request=..., user=...) right after every web login.
ACCOUNTS_LOGIN_HOOKS = ["shop.services.cart_merge_session"]
# Called with (user=...) inside the transaction that deletes an account, before the row goes.
# Blog articles are the site's publications: they stay, their author set to none (the FK's SET_NULL).
ACCOUNTS_DELETE_HOOKS = [
    "chat.services.member_account_deleted",
    "crowdfunding.services.participant_account_deleted",
    "mailings.services.owner_account_deleted",
    "shop.services.customer_account_deleted",
    "sitestore.services.owner_account_deleted",
]

# --- Site store ------------------------------------------------------------------------------
# Where the templates' file bundles live (one directory per template, each with its site.json).
SITESTORE_BUNDLES_ROOT = env.str("SITESTORE_BUNDLES_ROOT", default=str(BASE_DIR / "sitestore" / "bundles"))
# The FAQ bot answers when its best match covers at least this share (0–1) of the question;
# below it, it offers to pass the question to the developers.
SITESTORE_BOT_THRESHOLD = env.float("SITESTORE_BOT_THRESHOLD", default=0.3)
# Who receives users' questions to the developers (comma-separated); empty: every active staff account.
SITESTORE_DEVELOPERS_EMAIL = env.list("SITESTORE_DEVELOPERS_EMAIL", default=[])

# --- What apps contribute to shared pages (core/registry.py): dotted paths, resolved when used ---
# (viewer=..., person=...) -> core.registry.ProfilePanel | None, shown on the public profile.
PROFILE_PANELS = ["chat.selectors.profile_panel", "crowdfunding.selectors.profile_panel"]
# Each app's core.sections.Section, in navigation order (the bar and the home page).
HOME_SECTIONS = [
    "shop.sections.SECTION",
    "sitestore.sections.SECTION",
    "chat.sections.SECTION",
    "crowdfunding.sections.SECTION",
    "mailings.sections.SECTION",
    "blog.sections.SECTION",
]
# Whether `fill` makes the demo "owner" a staff superuser (published password): local mode only
# (config/settings/local.py); production settings force it off.
DEMO_SUPERUSER = False
# (scale=..., stdout=...) demo data for `manage.py fill`, in dependency order.
DEMO_FILLERS = [
    "accounts.demo.fill",
    "sitestore.demo.fill",
    "sitestore.faq_demo.faq_fill",
    "shop.demo.fill",
    "chat.demo.fill",
    "mailings.demo.fill",
    "blog.demo.fill",
    "crowdfunding.demo.fill",
]

# --- Messenger ------------------------------------------------------------------------------
CHAT_ATTACHMENT_TYPES = env.list(
    "CHAT_ATTACHMENT_TYPES", default=["txt", "pdf", "png", "jpg", "jpeg", "gif", "docx", "xlsx", "zip"]
)
CHAT_ATTACHMENT_MAX_MB = env.int("CHAT_ATTACHMENT_MAX_MB", default=16)
# How many files one message may carry (each within CHAT_ATTACHMENT_MAX_MB).
CHAT_ATTACHMENTS_PER_MESSAGE = env.int("CHAT_ATTACHMENTS_PER_MESSAGE", default=10)
CHAT_PAGE_SIZE = 50
CHAT_POLL_INTERVAL_MS = env.int("CHAT_POLL_INTERVAL_MS", default=1500)

# --- Mailings -------------------------------------------------------------------------------
MAILINGS_MAX_TRIES = env.int("MAILINGS_MAX_TRIES", default=3)
MAILINGS_RETRY_BASE_SECONDS = env.int("MAILINGS_RETRY_BASE_SECONDS", default=300)
# A sender silent this long is dead: its in-flight delivery becomes "unknown" and its run is resumed.
# Must exceed one SMTP conversation (EMAIL_TIMEOUT per reply).
MAILINGS_SENDER_LEASE_SECONDS = env.int("MAILINGS_SENDER_LEASE_SECONDS", default=300)
# A client CSV import is checked whole before anything is saved: these bound one request's work.
MAILINGS_IMPORT_MAX_ROWS = env.int("MAILINGS_IMPORT_MAX_ROWS", default=10_000)
MAILINGS_IMPORT_MAX_BYTES = env.int("MAILINGS_IMPORT_MAX_BYTES", default=2 * 1024 * 1024)

# --- Blog ---------------------------------------------------------------------------------
BLOG_PAGE_SIZE = 10
BLOG_LIST_CACHE_SECONDS = env.int("BLOG_LIST_CACHE_SECONDS", default=300)
BLOG_IMAGE_MAX_MB = env.int("BLOG_IMAGE_MAX_MB", default=5)
BLOG_IMAGE_MAX_SIDE = 1200
# Readers whose User-Agent matches (case-insensitively) are not counted in an article's views.
BLOG_BOT_PATTERN = env.str(
    "BLOG_BOT_PATTERN",
    default=r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|"
    r"curl/|wget/|python-requests|python-urllib|aiohttp|httpx|go-http-client|java/|libwww|scrapy|lighthouse",
)

# --- Site store: live previews (sitestore/previews.py) ---------------------------------------
# Ports a preview may listen on (ranges and single ports, comma-separated), on 127.0.0.1.
SITE_PREVIEW_PORTS = env.str("SITE_PREVIEW_PORTS", default="8100-8199")
# Seconds a preview runs before the scheduled job stops it; the process's own deadline is a bit later.
SITE_PREVIEW_TTL = env.int("SITE_PREVIEW_TTL", default=600)
# Previews running at once, all hosts together (each user runs at most one).
SITE_PREVIEW_MAX = env.int("SITE_PREVIEW_MAX", default=10)
# Limits on each preview process (setrlimit): CPU time in seconds and address space in MB.
SITE_PREVIEW_CPU_SECONDS = env.int("SITE_PREVIEW_CPU_SECONDS", default=120)
SITE_PREVIEW_MEMORY_MB = env.int("SITE_PREVIEW_MEMORY_MB", default=512)
# Seconds a starting site has to accept connections before the start counts as failed.
SITE_PREVIEW_START_TIMEOUT = env.int("SITE_PREVIEW_START_TIMEOUT", default=10)
# Largest request body the proxy forwards to a preview, in MB.
SITE_PREVIEW_MAX_BODY_MB = env.int("SITE_PREVIEW_MAX_BODY_MB", default=10)
# This host's name: a preview belongs to the host that runs it (its Celery queue is previews.<host>).
SITE_PREVIEW_HOST = env.str("SITE_PREVIEW_HOST", default=socket.gethostname())
# Where the previews' working copies live (one directory per preview, removed when it stops).
SITE_PREVIEW_WORK_ROOT = env.str("SITE_PREVIEW_WORK_ROOT", default=str(Path(tempfile.gettempdir()) / "agora-previews"))

# --- Backups --------------------------------------------------------------------------------
BACKUP_DIR = env.str("BACKUP_DIR", default=str(BASE_DIR / "backups"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        # The development server's request lines, as Django prints them by default.
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "filters": {"quiet_polling": {"()": "core.log_filters.QuietPolling"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["quiet_polling"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's default config gives "django" a console handler of its own under DEBUG, which printed
        # every line twice beside the root handler; no ADMINS are configured, so mail_admins sent nothing.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # runserver's request log without the navigation badges' polling (core.log_filters).
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
