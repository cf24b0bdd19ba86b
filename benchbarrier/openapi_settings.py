"""drf-spectacular's settings: how the OpenAPI schema at /api/schema/ and its docs at
/api/docs/ are built (imported by the settings)."""

SPECTACULAR_SETTINGS = {
    "TITLE": "BenchBarrier Automation API",
    "DESCRIPTION": (
        "The back office API for the BenchBarrier shop. Authenticate with "
        "`Authorization: Api-Key <key>`; JSON is camelCase; every 4xx has the same "
        "error body (`code`, `message`, `errors[]`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "CAMELIZE_NAMES": False,
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "jobs.models.JobStatus",
        "ExecutionStatusEnum": "workflows.models.ExecutionStatus",
        "EventIngestStatusEnum": ["accepted", "duplicate", "rejected"],
        "CampaignStatusEnum": "marketing.campaigns.models.CampaignStatus",
        "CampaignSendStatusEnum": "marketing.campaigns.models.SendStatus",
    },
    "PREPROCESSING_HOOKS": ["benchbarrier.api.schema.strip_trailing_slashes"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "benchbarrier.api.schema.query_parameters_as_served",
    ],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
