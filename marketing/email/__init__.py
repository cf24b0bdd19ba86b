"""Email: templates, delivery (sending rules, the ESP), unsubscribe and preferences,
open and click tracking, the ESP's webhooks.

    models     EmailTemplate, EmailDelivery, Suppression
    services   queue_email (the one way in), tracking, suppressions, preferences
    sending    the email.send batch: decisions, rendering, handing to anymail
    rendering  templates in the branded layout, variables, tracked links
    tokens     signed tokens of unsubscribe, open and click links
    views      unsubscribe page, open pixel, click redirect (urls.py)
    webhooks   the ESP's tracking webhooks (django-anymail)
    admin      templates with previews, deliveries, suppressions
"""
