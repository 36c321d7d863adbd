from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    path("", views.AuditListView.as_view(), name="index"),
    path("audits/", views.AuditListView.as_view(), name="audit_list"),
    path("audits/<int:pk>/", views.AuditDetailView.as_view(), name="audit_detail"),
    path("audits/<int:pk>/history/", views.AuditDetailView.as_view(tab="history"), name="audit_history"),
    path("programmes/<int:pk>/", views.AuditProgrammeDetailView.as_view(), name="auditprogramme_detail"),
    path(
        "programmes/<int:pk>/history/",
        views.AuditProgrammeDetailView.as_view(tab="history"),
        name="auditprogramme_history",
    ),
]
