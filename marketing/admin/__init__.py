from marketing.admin import audience, campaigns, dashboard, discounts, sequences  # noqa: F401
from marketing.email import admin as email_admin  # noqa: F401
from marketing.push import admin as push_admin  # noqa: F401
from marketing.sms import admin as sms_admin  # noqa: F401
from marketing.social import admin as social_admin  # noqa: F401
