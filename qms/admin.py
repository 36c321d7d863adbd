"""The admin, for the quality manager's rare repairs. It never does what the product forbids: every
app's admin stands on QMSAdmin, which holds those rules once."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .forms import ActionForm, PersonInviteForm
from .models import Action, Notification, OrgUnit, User


class QMSAdmin(SimpleHistoryAdmin):
    """The base of every model admin in the QMS, superuser or not:

    - only those who administer the QMS (quality managers, superusers) add or change anything, as in
      the app, whatever Django permissions a staff account was given;
    - nothing is deleted (records are retired, cancelled or deactivated, so their history and the
      links to them stay), one by one or in bulk;
    - a record closed for good is shown read-only, by the product's own rule (`frozen_reason()`);
    - every save is kept in history with who made it (SimpleHistoryAdmin.save_model), and no past
      version is written back over a record (a revert would step around the product's rules);
    - an owner or deputy is chosen from those the app's forms offer (`choosable_people()`: no
      viewer, nobody deactivated unless the record names them already).
    """

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        record = obj if obj is not None else self.model()
        if hasattr(record, "choosable_people"):
            for name in ("owner", "deputies"):
                if name in form.base_fields:  # a class made for this request by modelform_factory
                    form.base_fields[name].queryset = record.choosable_people(name)
        return form

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request) -> bool:
        return request.user.administers_qms and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        frozen_reason = getattr(obj, "frozen_reason", None)
        if frozen_reason is not None and frozen_reason():
            return False
        return request.user.administers_qms and super().has_change_permission(request, obj)

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


class PersonAdminForm(UserChangeForm):
    """Django's user form, held to the product's rules on roles and deactivation
    (services.person_change_check) for the admin's `user`."""

    user: User

    def clean(self):
        cleaned_data = super().clean()
        role, is_active = cleaned_data.get("role", self.instance.role), cleaned_data.get("is_active", True)
        try:
            services.person_change_check(self.instance, user=self.user, role=role, is_active=is_active)
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned_data


@admin.register(User)
class UserAdmin(DjangoUserAdmin, QMSAdmin):
    """People, changed as the app's people pages change them: only by those who may manage the person
    (services.person_may_manage), never leaving the QMS without a quality manager, and a deactivation
    signs them out and revokes their API tokens (services.person_deactivate)."""

    form = PersonAdminForm
    list_display = ["username", "first_name", "last_name", "job_title", "role", "org_unit", "is_active"]
    list_filter = ["role", "org_unit", "is_active", "is_superuser"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("In the QMS"), {"fields": ("role", "job_title", "org_unit", "sso_subject")}),
    )
    # A new person is invited, as from the People page: they choose their own password from the link.
    add_form = PersonInviteForm
    add_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email")}),
        (_("In the QMS"), {"fields": ("role", "job_title", "org_unit")}),
    )

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not services.person_may_manage(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        """Who signs in to the admin, and with what rights, only a superuser decides (as only a
        superuser changes such an account: services.person_may_manage)."""
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined"]  # facts, not settings
        if not request.user.is_superuser:
            readonly += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user  # a class made for this request by modelform_factory
        return form

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.set_unusable_password()
            super().save_model(request, obj, form, change)
            if not services.person_send_invite(person=obj, user=request.user):
                messages.warning(request, _("The invite could not be sent: send it again from their page in the app."))
            return
        deactivating = "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            obj.is_active = True  # until person_deactivate does it, with all that goes with it
        super().save_model(request, obj, form, change)
        if deactivating:
            services.person_deactivate(person=obj, user=request.user, reason=str(_("Deactivated in the admin.")))

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


class ActionAdminForm(forms.ModelForm):
    clean_due_date = ActionForm.clean_due_date  # no new due date in the past, as in the app


@admin.register(Action)
class ActionAdmin(QMSAdmin):
    """The lifecycle and the effectiveness check happen in the app, where their rules are kept."""

    form = ActionAdminForm

    list_display = ["reference", "title", "kind", "status", "owner", "due_date"]
    list_filter = ["status", "kind"]
    search_fields = ["reference", "title"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["deputies", "processes"]
    # What an action was raised from is set when it is raised: it decides which record's rules it
    # counts for (a nonconformity's corrective actions, a KPI's effectiveness check).
    readonly_fields = [
        "status",
        "completed_on",
        "verified_by",
        "verified_at",
        "verification_note",
        "source_type",
        "source_id",
    ]


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
