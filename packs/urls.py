from django.urls import path

from . import views

app_name = "packs"

urlpatterns = [
    path("", views.EvidencePackListView.as_view(), name="evidencepack_list"),
    path("new/", views.evidencepack_add, name="evidencepack_add"),
    path("<int:pk>/", views.evidencepack_detail, name="evidencepack_detail"),
    path("<int:pk>/download/", views.evidencepack_download, name="evidencepack_download"),
    path("audit-reports/<int:pk>/", views.audit_report_pdf, name="audit_report_pdf"),
    path("audit-reports/<int:pk>/v<int:version>/", views.audit_report_version, name="audit_report_version"),
    path("nonconformities/<int:pk>/", views.nonconformity_pdf, name="nonconformity_pdf"),
]
