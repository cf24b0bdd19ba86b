from marketing.admin import audience, discounts  # noqa: F401  (registers the model admins)
from marketing.email import admin as email_admin  # noqa: F401
