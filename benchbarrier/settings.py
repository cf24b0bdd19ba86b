"""BenchBarrier Automation settings: every value comes from the environment.

Development defaults need no servers (SQLite file, a filesystem broker, a file cache,
the console email backend). With DEBUG off the project refuses to start without a real
SECRET_KEY and ALLOWED_HOSTS. The README lists every variable.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from benchbarrier.environment import env_bool, env_int, env_list, env_prefixed, env_str, every

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off BenchBarrier refuses to start without a "
            "real secret key: set SECRET_KEY to 50+ random characters, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")
):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for production: use 50+ random characters "
        "(`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. With DEBUG off, list the host names this site answers "
        "to, comma-separated (e.g. ALLOWED_HOSTS=ops.example.com)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "benchbarrier.admin_site.BackOfficeAdminConfig",  # django.contrib.admin, our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "anymail",
    "corsheaders",
    "axes",
    "benchbarrier.apps.KernelConfig",
    "jobs",
    "workflows",
    "analytics",
    "marketing",
    "ai_content",
    "chatbot",
]

MIDDLEWARE = [
    "benchbarrier.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "benchbarrier.middleware.RequestMetricsMiddleware",
    "benchbarrier.middleware.RequestIdMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # the chat widget on the shop's own site
    "djangorestframework_camel_case.middleware.CamelCaseMiddleWare",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out login
]

ROOT_URLCONF = "benchbarrier.urls"
WSGI_APPLICATION = "benchbarrier.wsgi.application"
ASGI_APPLICATION = "benchbarrier.asgi.application"

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

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets web, worker and beat read while one of them writes; IMMEDIATE makes a
    # writer wait for the lock up front instead of failing half-way through.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "bb",
        }
    }
else:
    # A file cache is shared by every process on the machine (throttles must be).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "KEY_PREFIX": "bb",
        }
    }

# --- Celery -----------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Unacknowledged (acks_late) messages come back after this long; it must exceed
        # the longest task time limit.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    }
else:
    # The embedded broker: message files in DATA_DIR, so the real worker and beat
    # processes run on a machine with no Redis.
    _BROKER_DIR = DATA_DIR / "broker"
    for _folder in ("queue", "control", "processed"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    (DATA_DIR / "results").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_RESULT_BACKEND = f"file://{DATA_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "control_folder": str(_BROKER_DIR / "control"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_PREFETCH_MULTIPLIER", 1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_MAX_TASKS_PER_CHILD", 1000)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = env_str("TIME_ZONE", "UTC")
# How often a worker records it is alive; how old a heartbeat may be before /readyz drops it;
# after how many seconds of silence a worker's jobs go back to the queue (lease or not).
WORKER_HEARTBEAT_INTERVAL = env_int("WORKER_HEARTBEAT_INTERVAL", 15)
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 60)
WORKER_LOST_AFTER = env_int("WORKER_LOST_AFTER", (WORKER_HEARTBEAT_INTERVAL * 3 + 1) // 2)

# --- The durable job queue --------------------------------------------------------------
# Jobs a worker claims per query, and how long it holds them before they count as lost.
JOBS_CLAIM_BATCH = env_int("JOBS_CLAIM_BATCH", 10)
JOBS_LEASE_SECONDS = env_int("JOBS_LEASE_SECONDS", 120)
# Seconds one wake-up keeps draining the queue before handing over to a fresh wake-up.
JOBS_DRAIN_SECONDS = env_int("JOBS_DRAIN_SECONDS", 10)
# At most this many wake-ups go out for one batch of jobs (or one dispatcher tick).
JOBS_MAX_WAKEUPS = env_int("JOBS_MAX_WAKEUPS", 16)
# How often beat dispatches due jobs and rescues jobs of dead workers.
JOBS_TICK_SECONDS = env_int("JOBS_TICK_SECONDS", 1)
# Completed jobs older than this many days are pruned (daily).
JOBS_PRUNE_AFTER_DAYS = env_int("JOBS_PRUNE_AFTER_DAYS", 14)
# Extra modules holding job handlers, beyond each app's jobs.py (plugins).
JOBS_HANDLER_MODULES = env_list("JOBS_HANDLER_MODULES")
CELERY_BEAT_SCHEDULE = {
    "jobs.tick": {"task": "jobs.tick", "schedule": float(JOBS_TICK_SECONDS)},
    "jobs.prune": {"task": "jobs.prune", "schedule": 24 * 3600.0},
}

# --- The event bus ------------------------------------------------------------------------
# Priority of the jobs delivering stored events to consumers: above a big send's.
BUS_DELIVERY_PRIORITY = env_int("BUS_DELIVERY_PRIORITY", 10)
# How long a consumer's record of its batches is kept (against a batch delivered twice).
BUS_DELIVERY_KEEP_DAYS = env_int("BUS_DELIVERY_KEEP_DAYS", 7)
# Extra modules holding event consumers, beyond each app's consumers.py (plugins).
EVENT_CONSUMER_MODULES = env_list("EVENT_CONSUMER_MODULES")
CELERY_BEAT_SCHEDULE |= every("benchbarrier.prune_bus_deliveries", 24 * 3600.0)

# --- Events, customers and segments --------------------------------------------------
# How far ahead of the clock an event's timestamp may be; its properties' size (JSON bytes).
EVENTS_MAX_FUTURE_SECONDS = env_int("EVENTS_MAX_FUTURE_SECONDS", 300)
EVENTS_MAX_PROPERTIES_BYTES = env_int("EVENTS_MAX_PROPERTIES_BYTES", 32_768)
# Dynamic segments are recomputed this often (minutes) by celery-beat.
SEGMENTS_REFRESH_MINUTES = env_int("SEGMENTS_REFRESH_MINUTES", 15)
CELERY_BEAT_SCHEDULE |= every("marketing.refresh_segments", SEGMENTS_REFRESH_MINUTES * 60.0)

# --- Analytics ------------------------------------------------------------------------------
# Revenue in this currency; others converted by these rates ("EUR=1.08": units per unit).
REPORTING_CURRENCY = env_str("REPORTING_CURRENCY", "USD").upper()
CURRENCY_RATES = env_list("CURRENCY_RATES", [])
DATA_EXPORT_LINK_HOURS = env_int("DATA_EXPORT_LINK_HOURS", 24)  # an export's link works so long
ANALYTICS_ROLLUPS = env_bool("ANALYTICS_ROLLUPS", True)  # off: every metric reads the events
# Google Analytics 4: analytics.sync's property, key file, API, quotas and share of them;
# orders go to the Measurement Protocol when its id and secret are set (README: GA4).
GA4_PROPERTY_ID = env_str("GA4_PROPERTY_ID")
GA4_CREDENTIALS_FILE = env_str("GA4_CREDENTIALS_FILE")
GA4_API_ENDPOINT = env_str("GA4_API_ENDPOINT", "analyticsdata.googleapis.com")
GA4_TOKENS_PER_HOUR = env_int("GA4_TOKENS_PER_HOUR", 40_000)
GA4_TOKENS_PER_DAY = env_int("GA4_TOKENS_PER_DAY", 200_000)
GA4_QUOTA_SHARE_PERCENT = env_int("GA4_QUOTA_SHARE_PERCENT", 50)
GA4_MEASUREMENT_ID = env_str("GA4_MEASUREMENT_ID")
GA4_API_SECRET = env_str("GA4_API_SECRET")
GA4_MP_URL = env_str("GA4_MP_URL", "https://www.google-analytics.com/mp/collect")
GA4_MP_ALLOWED_HOSTS = env_list("GA4_MP_ALLOWED_HOSTS", [])
# The bot's fallback: the best intent under this probability, or this close to the second.
CHATBOT_MIN_CONFIDENCE = float(env_str("CHATBOT_MIN_CONFIDENCE", "0.35"))
CHATBOT_MIN_MARGIN = float(env_str("CHATBOT_MIN_MARGIN", "0.05"))
CHATBOT_ORDER_NUMBER = env_str("CHATBOT_ORDER_NUMBER", r"\b[A-Za-z]{0,4}-?\d{3,}\b")  # shop's form
# Handoff: who is told (emails; a Slack-compatible incoming webhook), and after how many
# minutes without a person the customer is told when to expect a reply.
CHATBOT_AGENT_EMAILS = env_list("CHATBOT_AGENT_EMAILS", [])
CHATBOT_AGENT_WEBHOOK_URL = env_str("CHATBOT_AGENT_WEBHOOK_URL")
CHATBOT_AGENT_WEBHOOK_ALLOWED_HOSTS = env_list("CHATBOT_AGENT_WEBHOOK_ALLOWED_HOSTS", [])
CHATBOT_AGENT_WAIT_MINUTES = env_int("CHATBOT_AGENT_WAIT_MINUTES", 10)
CHATBOT_REPLY_HOURS = env_str("CHATBOT_REPLY_HOURS", "within a few hours")
# Messenger, Instagram and WhatsApp (README: Chat on Meta's channels): CHATBOT_META_APP_SECRET,
# _VERIFY_TOKEN, _PAGE_ID, _PAGE_TOKEN, _WHATSAPP_PHONE_ID, _WHATSAPP_TOKEN.
CHATBOT_META = env_prefixed("CHATBOT_META_")
CHATBOT_USER_SECRET = env_str("CHATBOT_USER_SECRET")  # the site signs its users' ids (README)
# The chat widget's sites (https://shop.example): CORS for /api/chat/conversations only.
CORS_ALLOWED_ORIGINS = env_list("CHAT_WIDGET_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/chat/conversations"
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "x-conversation-token")
CELERY_BEAT_SCHEDULE |= every("analytics.sync_ga4", 3 * 3600.0)

# --- Monitoring (README: Monitoring and alerts) ------------------------------------------
METRICS_TOKEN = env_str("METRICS_TOKEN")  # /metrics: Authorization: Bearer <token>, or
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])  # scrapers' addresses / networks
METRICS_CACHE_SECONDS = env_int("METRICS_CACHE_SECONDS", 5)  # database gauges, per process
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")  # gunicorn + Celery prefork
# Who alerts go to (else the active superusers), and a Slack-compatible webhook, signed.
ALERT_EMAILS = env_list("ALERT_EMAILS", [])
ALERT_WEBHOOK_URL = env_str("ALERT_WEBHOOK_URL")
ALERT_WEBHOOK_SECRET = env_str("ALERT_WEBHOOK_SECRET")
ALERT_WEBHOOK_ALLOWED_HOSTS = env_list("ALERT_WEBHOOK_ALLOWED_HOSTS", [])
CELERY_BEAT_SCHEDULE |= every("alerts.evaluate", 60)

# --- Privacy (SECURITY.md): days kept before the daily privacy.prune job; 0 keeps for ever --
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 730)  # raw events: deleted
MESSAGE_RETENTION_DAYS = env_int("MESSAGE_RETENTION_DAYS", 395)  # emails, SMS: anonymised
CHAT_RETENTION_DAYS = env_int("CHAT_RETENTION_DAYS", 365)  # chat transcripts: blanked
CELERY_BEAT_SCHEDULE |= every("privacy.prune", 24 * 3600.0)

# --- Campaigns -----------------------------------------------------------------------------
# Email messages a second a broadcast sends when it sets no throttle of its own (a token
# bucket every worker shares); sends per chunk; sender jobs a broadcast runs side by side.
CAMPAIGN_EMAIL_RATE = env_int("CAMPAIGN_EMAIL_RATE", 1000)
CAMPAIGN_SEND_CHUNK = env_int("CAMPAIGN_SEND_CHUNK", 500)
CAMPAIGN_PARALLEL_SENDERS = env_int("CAMPAIGN_PARALLEL_SENDERS", 4)
# Time limit of one chunk; a chunk left unsent this long (its worker died) is taken over.
CAMPAIGN_SEND_TIMEOUT_SECONDS = env_int("CAMPAIGN_SEND_TIMEOUT_SECONDS", 120)
CAMPAIGN_STALE_SECONDS = env_int("CAMPAIGN_STALE_SECONDS", 180)
# A/B tests: recipients each variant needs, and the chance of being best a winner needs.
AB_MIN_SAMPLE = env_int("AB_MIN_SAMPLE", 500)
AB_WIN_PROBABILITY = float(env_str("AB_WIN_PROBABILITY", "0.9"))
# Attribution: an order counts for the last click (else open) this many days before it.
ATTRIBUTION_CLICK_DAYS = env_int("ATTRIBUTION_CLICK_DAYS", 5)
ATTRIBUTION_OPEN_DAYS = env_int("ATTRIBUTION_OPEN_DAYS", 1)
CELERY_BEAT_SCHEDULE |= every("marketing.refresh_campaign_metrics", 300.0)

# --- Discount codes -----------------------------------------------------------------------
# Generated codes (when a workflow names no pool): prefix + 8 random characters, this
# percentage off, valid this long.
DISCOUNT_CODE_PREFIX = env_str("DISCOUNT_CODE_PREFIX", "BB")
DISCOUNT_PERCENT_OFF = env_int("DISCOUNT_PERCENT_OFF", 10)
DISCOUNT_EXPIRES_IN = env_str("DISCOUNT_EXPIRES_IN", "7d")

# --- Workflows --------------------------------------------------------------------------
# Outbound webhook steps: requests are signed with this secret (X-Signature: sha256=...),
# and hosts on private or loopback addresses are refused unless listed here.
WORKFLOW_WEBHOOK_SECRET = env_str("WORKFLOW_WEBHOOK_SECRET", SECRET_KEY)
WORKFLOW_WEBHOOK_ALLOWED_HOSTS = env_list("WORKFLOW_WEBHOOK_ALLOWED_HOSTS", [])
# Inbound webhook triggers: how old a signed request's X-Timestamp may be.
WORKFLOW_HOOK_MAX_AGE_SECONDS = env_int("WORKFLOW_HOOK_MAX_AGE_SECONDS", 300)
# Time limit of one workflow step (a batch of advances).
WORKFLOW_STEP_TIMEOUT_SECONDS = env_int("WORKFLOW_STEP_TIMEOUT_SECONDS", 60)

# --- Auth, i18n, static ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Admin logins (django-axes): this many wrong passwords for a username from one address
# lock that pair out for ADMIN_LOCKOUT_MINUTES (`manage.py axes_reset_username` unlocks).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend",
                           "django.contrib.auth.backends.ModelBackend"]  # fmt: skip
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("ADMIN_LOCKOUT_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS, AXES_VERBOSE = True, False
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
# Uploaded and generated files (product images...). Any Django storage backend works
# in production (e.g. django-storages on S3); the embedded default is a folder.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (production) ---------------------------------------------------------------
if env_bool("BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
from benchbarrier.security_headers import CONTENT_SECURITY_POLICY  # noqa: E402, F401

# --- Email --------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "sent-emails")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "BenchBarrier <hello@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# django-anymail settings come from ANYMAIL_<SETTING> variables: the ESP's credentials
# (ANYMAIL_POSTMARK_SERVER_TOKEN, ANYMAIL_MAILGUN_API_KEY ...), its webhook signing key
# (ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY) and the shared ANYMAIL_WEBHOOK_SECRET
# ("user:password" for the webhook URLs' basic auth).
ANYMAIL = env_prefixed("ANYMAIL_")
# The public address of this back office (links in emails: unsubscribe, tracking) and
# the shop's name and postal address for the email footer (required of bulk senders).
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "BenchBarrier")
EMAIL_POSTAL_ADDRESS = env_str("EMAIL_POSTAL_ADDRESS", "1 Harbour Street, Bristol BS1 4AA, UK")
# Unsubscribe links keep working this many days; open/click tracking links this many.
EMAIL_UNSUBSCRIBE_LINK_DAYS = env_int("EMAIL_UNSUBSCRIBE_LINK_DAYS", 90)
EMAIL_TRACKING_LINK_DAYS = env_int("EMAIL_TRACKING_LINK_DAYS", 365)
# Smart sending: no second marketing email to one address within this many hours.
EMAIL_SMART_SENDING_HOURS = env_int("EMAIL_SMART_SENDING_HOURS", 16)
# Quiet hours in the customer's time zone, "start-end" in whole hours (empty: none).
EMAIL_QUIET_HOURS = env_str("EMAIL_QUIET_HOURS", "21-8")
# A click this many seconds after sending is a link scanner's, not a reader's.
EMAIL_BOT_CLICK_SECONDS = env_int("EMAIL_BOT_CLICK_SECONDS", 10)
# What one email costs at the ESP (USD), for the spend ledger.
EMAIL_PRICE_PER_MESSAGE = env_str("EMAIL_PRICE_PER_MESSAGE", "0.0010")
# Each hand-over to the ESP is committed before the ESP is called (a killed worker sends
# nothing twice). Off: asynchronous commit, ~15% faster, but a crash of the database
# itself may send its last ~0.6 s of messages again.
EMAIL_HANDOVER_DURABLE = env_bool("EMAIL_HANDOVER_DURABLE", True)

# --- SMS ------------------------------------------------------------------------------------
# "file" (default: each message written to DATA_DIR/sms, nothing sent) or "twilio".
SMS_BACKEND = env_str("SMS_BACKEND", "file")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")  # also checks Twilio's webhook signatures
# Send through a Messaging Service (recommended: sender pool, opt-out handling) or a number.
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL")  # empty: Twilio's own
SMS_TIMEOUT_SECONDS = env_int("SMS_TIMEOUT_SECONDS", 10)
# What one segment costs (USD), for the spend ledger and the seed's $50 SMS budget.
SMS_PRICE_PER_SEGMENT = env_str("SMS_PRICE_PER_SEGMENT", "0.0079")
SMS_HELP_TEXT = env_str(
    "SMS_HELP_TEXT", "BenchBarrier: shop news by SMS. Reply STOP to stop, START to resume."
)
# Numbers written without a country code are read in this region ("DE", "US"...); empty:
# a number must start with + and its country code.
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION")

# --- Web push -------------------------------------------------------------------------------
# "file" (default: each notification written to DATA_DIR/push) or "webpush" (VAPID keys
# needed: `manage.py push_vapid_keys` makes a pair).
PUSH_BACKEND = env_str("PUSH_BACKEND", "file")
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:hello@localhost")
PUSH_TTL_SECONDS = env_int("PUSH_TTL_SECONDS", 24 * 3600)
PUSH_TIMEOUT_SECONDS = env_int("PUSH_TIMEOUT_SECONDS", 10)
# Push service hosts allowed although they resolve to private or loopback addresses.
PUSH_ALLOWED_HOSTS = env_list("PUSH_ALLOWED_HOSTS")

# --- Social posting -----------------------------------------------------------------------
# Meta's Graph API (Facebook Pages, Instagram Business accounts); each account's token is
# read from the environment variable the account names, never stored.
META_GRAPH_URL = env_str("META_GRAPH_URL", "https://graph.facebook.com")
META_GRAPH_VERSION = env_str("META_GRAPH_VERSION", "v21.0")
SOCIAL_TIMEOUT_SECONDS = env_int("SOCIAL_TIMEOUT_SECONDS", 20)
X_API_URL = env_str("X_API_URL", "https://api.x.com")
# Engagement of posts this recent is pulled back this often (as social.engagement events).
SOCIAL_ENGAGEMENT_DAYS = env_int("SOCIAL_ENGAGEMENT_DAYS", 30)
SOCIAL_ENGAGEMENT_MINUTES = env_int("SOCIAL_ENGAGEMENT_MINUTES", 60)
CELERY_BEAT_SCHEDULE |= every("marketing.pull_social_engagement", SOCIAL_ENGAGEMENT_MINUTES * 60.0)

# --- AI provider --------------------------------------------------------------------------
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
OPENAI_TIMEOUT = env_int("OPENAI_TIMEOUT", 60)
# Retries of the openai client itself (rate limits, 5xx) before an API caller gets 503;
# jobs retry on their own schedule on top.
OPENAI_MAX_RETRIES = env_int("OPENAI_MAX_RETRIES", 1)
AI_DEFAULT_MODEL = env_str("AI_DEFAULT_MODEL", "gpt-4o-mini")
# How long an identical request (temperature 0, or asked for) is answered from cache.
AI_CACHE_SECONDS = env_int("AI_CACHE_SECONDS", 7 * 24 * 3600)
# Images: the model for /api/ai/generate/image, and the widths image.process makes
# (WebP, EXIF stripped).
AI_IMAGE_MODEL = env_str("AI_IMAGE_MODEL", "gpt-image-1")
AI_IMAGE_WIDTHS = [int(width) for width in env_list("AI_IMAGE_WIDTHS", ["1600", "800", "400"])]
AI_IMAGE_QUALITY = env_int("AI_IMAGE_QUALITY", 80)
AI_IMAGE_MAX_UPLOAD_BYTES = env_int("AI_IMAGE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
# Provider calls a content.generate job keeps in flight at once.
AI_CONCURRENCY = env_int("AI_CONCURRENCY", 20)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "djangorestframework_camel_case.render.CamelCaseJSONRenderer",
        "djangorestframework_camel_case.render.CamelCaseBrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["benchbarrier.api.parsers.JSONParser"],  # JSON only (415)
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "benchbarrier.api.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["benchbarrier.api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": [
        "benchbarrier.api.throttles.GlobalThrottle",
        "benchbarrier.api.throttles.ClientThrottle",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "benchbarrier.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "benchbarrier.api.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "benchbarrier.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "benchbarrier.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "benchbarrier.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# JSON the API passes through untouched (user data, not API fields): no camelCase rewrite.
# rows: /api/analytics/query, figures: a report run's (keyed by metric names, as asked).
JSON_CAMEL_CASE = {"JSON_UNDERSCOREIZE": {"ignore_fields": (
    "payload", "result", "rows", "figures", "changes", "properties", "traits", "attributes",
    "rules", "steps", "trigger_config", "exit_events", "context", "definition", "cursor",
    "input", "output", "waiting_for", "checks", "variables", "settings", "schedule_config",
    "ab_test", "decision", "metrics",
)}}  # fmt: skip
# Requests per client (API key or staff user) and for the whole API, per period.
API_THROTTLE_CLIENT_RATE = env_str("API_THROTTLE_CLIENT_RATE", "600/min")
API_THROTTLE_GLOBAL_RATE = env_str("API_THROTTLE_GLOBAL_RATE", "6000/min")
# How long a rotated-out API key keeps working when no grace period is given.
API_KEY_ROTATION_GRACE = env_str("API_KEY_ROTATION_GRACE", "24h")

from benchbarrier.openapi_settings import SPECTACULAR_SETTINGS  # noqa: E402, F401

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Wake-ups and the per-second jobs tick would fill the log with "received" and
        # "succeeded" lines; job outcomes live in the job_queue table and the admin.
        "celery.worker.strategy": {"level": env_str("CELERY_TASK_LOG_LEVEL", "WARNING")},
        "celery.app.trace": {"level": env_str("CELERY_TASK_LOG_LEVEL", "WARNING")},
        "celery.beat": {"level": env_str("CELERY_TASK_LOG_LEVEL", "WARNING")},
    },
}
