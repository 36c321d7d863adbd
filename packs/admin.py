from django.contrib import admin

from qms.admin import QMSAdmin

from .models import EvidencePack


@admin.register(EvidencePack)
class EvidencePackAdmin(QMSAdmin):
    """Read-only: a pack is made by its task and kept as it was made."""

    list_display = ["pk", "audit", "status", "requested_by", "requested_at", "page_count", "size", "sha256"]
    list_filter = ["status"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
