from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Process


@admin.register(Process)
class ProcessAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "name", "type", "status", "owner", "org_unit", "next_review_date"]
    list_filter = ["type", "status"]
    search_fields = ["reference", "name"]
    filter_horizontal = ["deputies"]
