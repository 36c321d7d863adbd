from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    path("", views.AuditProgrammeListView.as_view(), name="index"),
    path("programmes/", views.AuditProgrammeListView.as_view(), name="auditprogramme_list"),
    path("programmes/new/", views.AuditProgrammeEditView.as_view(), name="auditprogramme_add"),
    path("programmes/<int:pk>/", views.AuditProgrammeDetailView.as_view(), name="auditprogramme_detail"),
    path(
        "programmes/<int:pk>/history/",
        views.AuditProgrammeDetailView.as_view(tab="history"),
        name="auditprogramme_history",
    ),
    path("programmes/<int:pk>/edit/", views.AuditProgrammeEditView.as_view(), name="auditprogramme_edit"),
    path("intervals/<int:process_pk>/", views.interval_edit, name="interval_edit"),
    path("audits/", views.AuditListView.as_view(), name="audit_list"),
    path("audits/new/", views.AuditEditView.as_view(), name="audit_add"),
    path("audits/<int:pk>/", views.AuditDetailView.as_view(), name="audit_detail"),
    path("audits/<int:pk>/history/", views.AuditDetailView.as_view(tab="history"), name="audit_history"),
    path("audits/<int:pk>/edit/", views.AuditEditView.as_view(), name="audit_edit"),
    path("audits/<int:pk>/status/", views.audit_move, name="audit_move"),
    path("audits/<int:pk>/report/", views.audit_report, name="audit_report"),
    path("audits/<int:pk>/issue/", views.audit_issue, name="audit_issue"),
    path("audits/<int:pk>/checklist/build/", views.checklist_build, name="checklist_build"),
    path("audits/<int:pk>/checklist/add/", views.checklist_add, name="checklist_add"),
    path("audits/<int:audit_pk>/findings/new/", views.finding_edit, name="finding_add"),
    path("checklist/<int:pk>/", views.checklist_item, name="checklist_item"),
    path("checklist/<int:pk>/remove/", views.checklist_remove, name="checklist_remove"),
    path("findings/", views.FindingListView.as_view(), name="finding_list"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/edit/", views.finding_edit, name="finding_edit"),
    path("findings/<int:pk>/respond/", views.finding_respond, name="finding_respond"),
    path("findings/<int:pk>/raise/<str:what>/", views.finding_raise, name="finding_raise"),
]
