from django.contrib import admin

from qms.admin import QMSAdmin

from .models import Process


@admin.register(Process)
class ProcessAdmin(QMSAdmin):
    list_display = ["reference", "name", "type", "status", "owner", "org_unit", "next_review_date"]
    list_filter = ["type", "status"]
    search_fields = ["reference", "name"]
    filter_horizontal = ["deputies"]
