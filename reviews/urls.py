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
    # Management reviews
    path("management-reviews/", views.review_list, name="managementreview_list"),
    path("management-reviews/new/", views.ManagementReviewEditView.as_view(), name="managementreview_add"),
    path("management-reviews/<int:pk>/", views.ManagementReviewDetailView.as_view(), name="managementreview_detail"),
    path(
        "management-reviews/<int:pk>/minutes/",
        views.ManagementReviewDetailView.as_view(tab="minutes"),
        name="managementreview_minutes",
    ),
    path("management-reviews/<int:pk>/minutes.pdf", views.review_minutes_pdf, name="managementreview_minutes_pdf"),
    path(
        "management-reviews/<int:pk>/minutes/pdf-state/",
        views.review_minutes_pdf_state,
        name="managementreview_minutes_pdf_state",
    ),
    path(
        "management-reviews/<int:pk>/history/",
        views.ManagementReviewDetailView.as_view(tab="history"),
        name="managementreview_history",
    ),
    path("management-reviews/<int:pk>/edit/", views.ManagementReviewEditView.as_view(), name="managementreview_edit"),
    path("management-reviews/<int:pk>/prepare/", views.review_prepare, name="managementreview_prepare"),
    path("management-reviews/<int:pk>/start/", views.review_start, name="managementreview_start"),
    path("management-reviews/<int:pk>/issue/", views.review_issue, name="managementreview_issue"),
    path("management-reviews/<int:pk>/addendum/", views.review_addendum, name="managementreview_addendum"),
    path("management-reviews/<int:pk>/inputs/<str:input>/prepare/", views.input_prepare, name="review_input_prepare"),
    path("management-reviews/<int:pk>/inputs/<str:input>/note/", views.meeting_note, name="review_meeting_note"),
    path(
        "management-reviews/<int:pk>/commentaries/<int:process_pk>/",
        views.commentary_edit,
        name="review_commentary",
    ),
    path("management-reviews/<int:pk>/meeting/", views.review_meeting, name="managementreview_meeting"),
    path(
        "management-reviews/<int:pk>/meeting/<str:step>/",
        views.review_meeting,
        name="managementreview_meeting_step",
    ),
    path("management-reviews/<int:pk>/decisions/", views.decision_add, name="review_decision_add"),
    path(
        "management-reviews/<int:pk>/attendance/<int:person_pk>/",
        views.attendance_set,
        name="review_attendance",
    ),
]
