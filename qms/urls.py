from importlib import import_module

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from rest_framework.routers import APIRootView

from qms.sso import views as sso_views
from qms.views import actions, attachments, dashboard, outbox, people, pickers, tokens, twofactor

qms_patterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("my-work/", dashboard.my_work, name="my_work"),
    path("actions/", actions.ActionListView.as_view(), name="action_list"),
    path("actions/new/", actions.ActionEditView.as_view(), name="action_add"),
    path("actions/<int:pk>/", actions.ActionDetailView.as_view(), name="action_detail"),
    path("actions/<int:pk>/history/", actions.ActionDetailView.as_view(tab="history"), name="action_history"),
    path("actions/<int:pk>/edit/", actions.ActionEditView.as_view(), name="action_edit"),
    path("actions/<int:pk>/status/", actions.action_move, name="action_move"),
    path("actions/<int:pk>/effectiveness/", actions.action_check_effectiveness, name="action_effectiveness"),
    path("evidence/<str:kind>/<int:pk>/", attachments.attachment_list, name="attachment_list"),
    path("evidence/<int:pk>/download/", attachments.attachment_download, name="attachment_download"),
    path("evidence/<int:pk>/remove/", attachments.attachment_remove, name="attachment_remove"),
    path("people/", people.UserListView.as_view(), name="user_list"),
    path("people/invite/", people.user_invite, name="user_invite"),
    path("people/<int:pk>/", people.UserDetailView.as_view(), name="user_detail"),
    path("people/<int:pk>/history/", people.UserDetailView.as_view(tab="history"), name="user_history"),
    path("people/<int:pk>/edit/", people.user_edit, name="user_edit"),
    path("people/<int:pk>/invite/", people.user_invite_again, name="user_invite_again"),
    path("people/<int:pk>/deactivate/", people.user_deactivate, name="user_deactivate"),
    path("people/<int:pk>/reactivate/", people.user_reactivate, name="user_reactivate"),
    path("people/<int:pk>/hand-over/", people.user_hand_over, name="user_hand_over"),
    path("people/<int:pk>/two-factor/reset/", twofactor.twofactor_reset, name="twofactor_reset"),
    path("two-factor/set-up/", twofactor.twofactor_setup, name="twofactor_setup"),
    path("two-factor/recovery-codes/", twofactor.twofactor_recovery_codes, name="twofactor_recovery_codes"),
    path("two-factor/turn-off/", twofactor.twofactor_disable, name="twofactor_disable"),
    path("sign-in-security/", twofactor.security_settings, name="security_settings"),
    path("api-tokens/new/", tokens.apitoken_add, name="apitoken_add"),
    path("api-tokens/<int:pk>/revoke/", tokens.apitoken_revoke, name="apitoken_revoke"),
    path("org-units/", people.OrgUnitListView.as_view(), name="orgunit_list"),
    path("outbox/", outbox.outbox_list, name="outbox_list"),
    path("outbox/<int:pk>/retry/", outbox.outbox_retry, name="outbox_retry"),
    path("pick/<slug:source>/", pickers.picker, name="picker"),
]

# The apps that serve an API under /api/, each from the router in its api/urls.py; /api/ lists them all.
API_APPS = ("processes", "objectives", "risks", "nonconformities", "audits", "packs", "reviews", "qms")
api_root = APIRootView.as_view(
    api_root_dict={
        prefix: f"{basename}-list"
        for app in API_APPS
        for prefix, _viewset, basename in import_module(f"{app}.api.urls").router.registry
    }
)

urlpatterns = [
    path("", include((qms_patterns, "qms"))),
    path("processes/", include("processes.urls")),
    path("objectives/", include("objectives.urls")),
    path("risks/", include("risks.urls")),
    path("audits/", include("audits.urls")),
    path("nonconformities/", include("nonconformities.urls")),
    path("reviews/", include("reviews.urls")),
    path("evidence-packs/", include("packs.urls")),
    path("api/", api_root, name="api-root"),
    *(path("api/", include(f"{app}.api.urls")) for app in API_APPS),
    path("healthz", dashboard.healthz, name="healthz"),
    path("accounts/login/", twofactor.SignInView.as_view(), name="login"),
    path("accounts/login/code/", twofactor.login_code, name="login_code"),
    path("accounts/sso/", include("qms.sso.urls")),
    path("accounts/logout/", sso_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    # The admin signs in through the same two steps as the app.
    path("admin/login/", login_not_required(RedirectView.as_view(pattern_name="login", query_string=True))),
    path("admin/", admin.site.urls),
]

# A 400 in the product layout, with the reason the app gave (qms.views.errors).
handler400 = "qms.views.errors.bad_request"
