from marketing.admin import audience, dashboard, discounts  # noqa: F401  (registers them)
from marketing.email import admin as email_admin  # noqa: F401
