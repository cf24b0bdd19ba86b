from benchbarrier.admin import alerts, api_keys, audit, spend, workers  # noqa: F401
