from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from qms.admin import QMSAdmin

from .models import EvidencePack


@admin.register(EvidencePack)
class EvidencePackAdmin(QMSAdmin):
    """Read-only: a pack is made by its task and kept as it was made."""

    list_display = ["pk", "audit", "status", "requested_by", "requested_at", "page_count", "size", "sha256"]
    list_filter = ["status"]
    # The stored PDF has no URL of its own (EvidenceStorage): it is reached through the download view,
    # which checks who may see it.
    exclude = ["file"]
    readonly_fields = ["pdf"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("PDF"))
    def pdf(self, pack: EvidencePack) -> str:
        if not pack.file:
            return "—"
        return format_html('<a href="{}">{}</a>', pack.get_download_url(), pack.download_name)
