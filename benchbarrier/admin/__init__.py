from benchbarrier.admin import api_keys, audit, spend, workers  # noqa: F401
