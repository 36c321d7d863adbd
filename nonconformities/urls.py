from django.urls import path

from . import views

app_name = "nonconformities"

urlpatterns = [
    path("", views.NonconformityListView.as_view(), name="nonconformity_list"),
    path("new/", views.NonconformityEditView.as_view(), name="nonconformity_add"),
    path("<int:pk>/", views.NonconformityDetailView.as_view(), name="nonconformity_detail"),
    path("<int:pk>/history/", views.NonconformityDetailView.as_view(tab="history"), name="nonconformity_history"),
    path("<int:pk>/edit/", views.NonconformityEditView.as_view(), name="nonconformity_edit"),
    path("<int:pk>/status/", views.nonconformity_move, name="nonconformity_move"),
    path("<int:pk>/effectiveness/", views.nonconformity_review, name="nonconformity_review"),
]
