"""The admin, for the quality manager's rare repairs. It never does what the product forbids: every
app's admin stands on QMSAdmin, which holds those rules once."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from .models import Action, Notification, OrgUnit, User


class QMSAdmin(SimpleHistoryAdmin):
    """The base of every model admin in the QMS, superuser or not:

    - nothing is deleted (records are retired, cancelled or deactivated, so their history and the
      links to them stay), one by one or in bulk;
    - a record closed for good is shown read-only, by the product's own rule (`frozen_reason()`);
    - every save is kept in history with who made it (SimpleHistoryAdmin.save_model), and no past
      version is written back over a record (a revert would step around the product's rules).
    """

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_change_permission(self, request, obj=None) -> bool:
        frozen_reason = getattr(obj, "frozen_reason", None)
        if frozen_reason is not None and frozen_reason():
            return False
        return super().has_change_permission(request, obj)

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(_("A past version is not written back over a record."))
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        if not hasattr(self.model._meta, "simple_history_manager_attribute"):  # a log kept without history
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        return super().history_view(request, object_id, extra_context)


@admin.register(User)
class UserAdmin(DjangoUserAdmin, QMSAdmin):
    list_display = ["username", "first_name", "last_name", "job_title", "role", "org_unit", "is_active"]
    list_filter = ["role", "org_unit", "is_active", "is_superuser"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("In the QMS"), {"fields": ("role", "job_title", "org_unit", "sso_subject")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("In the QMS"), {"fields": ("first_name", "last_name", "email", "role", "job_title", "org_unit")}),
    )

    def user_change_password(self, request, id, form_url=""):
        """Only one's own password: whoever sets another person's could sign in as them."""
        if str(request.user.pk) != str(id):
            raise PermissionDenied(_("People choose their own passwords."))
        return super().user_change_password(request, id, form_url)


@admin.register(OrgUnit)
class OrgUnitAdmin(QMSAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Action)
class ActionAdmin(QMSAdmin):
    """The lifecycle and the effectiveness check happen in the app, where their rules are kept."""

    list_display = ["reference", "title", "kind", "status", "owner", "due_date"]
    list_filter = ["status", "kind"]
    search_fields = ["reference", "title"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["deputies", "processes"]
    readonly_fields = ["status", "completed_on", "verified_by", "verified_at", "verification_note"]


@admin.register(Notification)
class NotificationAdmin(QMSAdmin):
    """Read-only: the log of what was sent is evidence."""

    list_display = ["kind", "key", "content_type", "object_id", "recipient", "sent_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Second factors are set up by their owner and reset by a quality manager in the product, where
# history records it (qms.twofactor); the admin neither shows their secrets nor adds or deletes them.
admin.site.unregister([TOTPDevice, StaticDevice])
