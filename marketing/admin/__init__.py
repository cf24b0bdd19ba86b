from marketing.admin import audience, email  # noqa: F401  (registers the model admins)
