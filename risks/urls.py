from django.urls import path

from . import views

app_name = "risks"

urlpatterns = [
    path("", views.RiskListView.as_view(), name="risk_list"),
    path("heat-map/", views.heat_map, name="heat_map"),
    path("matrix/", views.matrix_edit, name="matrix_edit"),
    path("new/", views.RiskEditView.as_view(), name="risk_add"),
    path("<int:pk>/", views.RiskDetailView.as_view(), name="risk_detail"),
    path("<int:pk>/history/", views.RiskDetailView.as_view(tab="history"), name="risk_history"),
    path("<int:pk>/edit/", views.RiskEditView.as_view(), name="risk_edit"),
    path("<int:pk>/review/", views.risk_review, name="risk_review"),
    path("<int:pk>/approve/", views.risk_approve, name="risk_approve"),
]
