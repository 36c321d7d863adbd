from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Action, Notification, OrgUnit, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "job_title", "role", "org_unit", "is_active"]
    list_filter = ["role", "org_unit", "is_active", "is_superuser"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("In the QMS"), {"fields": ("role", "job_title", "org_unit")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("In the QMS"), {"fields": ("first_name", "last_name", "email", "role", "job_title", "org_unit")}),
    )


@admin.register(OrgUnit)
class OrgUnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Action)
class ActionAdmin(SimpleHistoryAdmin):
    """The lifecycle and the effectiveness check happen in the app, where their rules are kept; an
    action is never deleted."""

    list_display = ["reference", "title", "kind", "status", "owner", "due_date"]
    list_filter = ["status", "kind"]
    search_fields = ["reference", "title"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["deputies", "processes"]
    readonly_fields = ["status", "completed_on", "verified_by", "verified_at", "verification_note"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the log of what was sent is evidence."""

    list_display = ["kind", "key", "content_type", "object_id", "recipient", "sent_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
