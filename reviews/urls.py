from django.urls import path

from . import views
from .choices import ContextStatus, StatementKind
from .models import ContextIssue, InterestedParty

app_name = "reviews"


def _context_urls(prefix: str, model, list_view, detail_view, edit_view) -> list:
    name = model._meta.model_name
    return [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/new/", edit_view.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<int:pk>/", detail_view.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/history/", detail_view.as_view(tab="history"), name=f"{name}_history"),
        path(f"{prefix}/<int:pk>/edit/", edit_view.as_view(), name=f"{name}_edit"),
        path(
            f"{prefix}/<int:pk>/retire/",
            views.context_set_status,
            {"model": model, "status": ContextStatus.RETIRED},
            name=f"{name}_retire",
        ),
        path(
            f"{prefix}/<int:pk>/reactivate/",
            views.context_set_status,
            {"model": model, "status": ContextStatus.ACTIVE},
            name=f"{name}_reactivate",
        ),
    ]


urlpatterns = [
    path("", views.reviews_index, name="index"),
    *_context_urls(
        "context-issues",
        ContextIssue,
        views.ContextIssueListView,
        views.ContextIssueDetailView,
        views.ContextIssueEditView,
    ),
    *_context_urls(
        "interested-parties",
        InterestedParty,
        views.InterestedPartyListView,
        views.InterestedPartyDetailView,
        views.InterestedPartyEditView,
    ),
    path("policy/", views.statement_versions, {"kind": StatementKind.POLICY}, name="policy"),
    path("scope/", views.statement_versions, {"kind": StatementKind.SCOPE}, name="scope"),
    path("statements/new/", views.QmsStatementEditView.as_view(), name="qmsstatement_add"),
    path("statements/<int:pk>/", views.QmsStatementDetailView.as_view(), name="qmsstatement_detail"),
    path(
        "statements/<int:pk>/history/",
        views.QmsStatementDetailView.as_view(tab="history"),
        name="qmsstatement_history",
    ),
    path("statements/<int:pk>/edit/", views.QmsStatementEditView.as_view(), name="qmsstatement_edit"),
    path("statements/<int:pk>/approve/", views.statement_approve, name="qmsstatement_approve"),
]
