"""Django settings for ShopDesk, all driven by environment variables (see README.md, "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from shopdesk import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()
try:
    config.ensure_data_dir(DATA_DIR)
except config.ConfigError:
    pass  # the CLI and `shopdesk check` report an unwritable data dir with a clear message

SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = config.env_bool("SHOPDESK_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("SHOPDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("SHOPDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "axes",
    "csp",
    "shopdesk.core",
    "shopdesk.staff",
    "shopdesk.channels",
    "shopdesk.catalog",
    "shopdesk.inventory",
    "shopdesk.orders",
    "shopdesk.fulfillment",
    "shopdesk.aftersales",
    "shopdesk.reviews",
    "shopdesk.service",
    "shopdesk.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shopdesk.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shopdesk.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shopdesk.web.middleware.LoginRequiredForPages",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shopdesk.urls"
WSGI_APPLICATION = "shopdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shopdesk.web.context_processors.shell",
            ],
        },
    },
]

# Database: SQLite in the data dir by default (WAL, busy timeout), PostgreSQL through DATABASE_URL.
DATABASES = {"default": dj_database_url.parse(config.database_url(DATA_DIR), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        # IMMEDIATE: a write transaction takes the write lock at BEGIN, so two writers queue instead of deadlocking.
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SHOPDESK_TEST_SQLITE") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Permissions of roles held through an active stand-in (临时代理) grant.
    "shopdesk.staff.backends.StandInBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): 5 failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("SHOPDESK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Internationalisation: Chinese first, English available. Times stored in UTC, shown in Asia/Shanghai.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("SHOPDESK_STATIC_ROOT") or DATA_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
EXPORT_ROOT = DATA_DIR / "exports"
# Order imports from the web run in a background thread so the page can show progress; tests run them inline.
ORDERS_IMPORT_IN_BACKGROUND = os.environ.get("SHOPDESK_IMPORT_IN_BACKGROUND", "1") != "0"
# An order import prepares its rows in a forked process beside the writer (a second core) when the importing process
# runs a single thread (the command, a worker); SHOPDESK_IMPORT_FORK=0 keeps it in a thread of the importing process.
ORDERS_IMPORT_FORK = config.env_bool("SHOPDESK_IMPORT_FORK", True)
# Serve static files straight from the apps (no collectstatic needed for `shopdesk demo` / `serve`).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Security headers. SHOPDESK_HTTPS=1 (served over HTTPS, usually behind a proxy that sets X-Forwarded-Proto):
# secure cookies, HSTS, redirect to HTTPS.
HTTPS = config.env_bool("SHOPDESK_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: no inline script anywhere, so no 'unsafe-inline' for scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "shopdesk.core.drf.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "shopdesk.core.drf.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ShopDesk API",
    "DESCRIPTION": "ShopDesk (店务台) REST API. Authenticate with `Authorization: Token <40 hex>` or a session.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleCodeEnum": "shopdesk.staff.roles.ROLE_CODES",
        "DeadlineStateEnum": "shopdesk.core.models.Deadline.State",
        "ReservationStateEnum": "shopdesk.inventory.models.Reservation.State",
        "TransferStateEnum": "shopdesk.inventory.models.Transfer.State",
        "PurchaseOrderStateEnum": "shopdesk.inventory.models.PurchaseOrder.State",
        "ReceiptStateEnum": "shopdesk.inventory.models.Receipt.State",
        "StocktakeStateEnum": "shopdesk.inventory.models.Stocktake.State",
        "ListingStatusEnum": "shopdesk.catalog.models.ListingStatus",
        "PriceChangeStatusEnum": "shopdesk.catalog.models.PriceChangeStatus",
        "OrderStatusEnum": "shopdesk.orders.models.Status",
        "OrderChangeRequestStateEnum": "shopdesk.orders.models.ChangeRequest.State",
        "OrderTaskStateEnum": "shopdesk.orders.models.OrderTask.State",
        "LogisticsExceptionKindEnum": "shopdesk.fulfillment.models.LogisticsException.Kind",
        "AftersalesTypeEnum": "shopdesk.aftersales.models.Case.Kind",
        "AftersalesReasonEnum": "shopdesk.aftersales.models.Case.Reason",
        "ReviewRatingEnum": "shopdesk.reviews.models.Review.Rating",
        "ReviewCategoryEnum": "shopdesk.reviews.models.Review.Category",
        "ReviewOutcomeEnum": "shopdesk.reviews.api.OUTCOMES",
        "AftersalesCaseStateEnum": "shopdesk.aftersales.models.Case.State",
        "ComplaintStepEnum": "shopdesk.aftersales.models.Complaint.Step",
        "ReturnShippingEnum": "shopdesk.aftersales.models.Case.ReturnShipping",
        "ConversationStatusEnum": "shopdesk.service.models.Conversation.Status",
        "ConversationChannelEnum": "shopdesk.service.models.Conversation.Channel",
        "MessageDirectionEnum": "shopdesk.service.models.Message.Direction",
        "MessageSourceEnum": "shopdesk.service.models.Message.Source",
        "CannedReplyGroupEnum": "shopdesk.service.models.ReplyGroup",
        "DiscountRequestStateEnum": "shopdesk.service.models.DiscountRequest.State",
        "ScoreSheetStateEnum": "shopdesk.service.models.ScoreSheet.State",
        # Names kept as they were before conversations added their own "channel" and "source" fields.
        "ChannelEnum": "shopdesk.reviews.models.FollowUp.Channel",
        "SourceEnum": "shopdesk.orders.models.Source",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SHOPDESK_LOG_LEVEL", "WARNING")},
}
