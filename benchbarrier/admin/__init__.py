from django.contrib import admin

from benchbarrier.admin import api_keys, audit, spend, workers  # noqa: F401

admin.site.site_header = "BenchBarrier Automation"
admin.site.site_title = "BenchBarrier Automation"
admin.site.index_title = "Back office"
