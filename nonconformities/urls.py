from django.urls import path

from . import views

app_name = "nonconformities"

urlpatterns = [
    path("", views.NonconformityListView.as_view(), name="nonconformity_list"),
    path("<int:pk>/", views.NonconformityDetailView.as_view(), name="nonconformity_detail"),
    path("<int:pk>/history/", views.NonconformityDetailView.as_view(tab="history"), name="nonconformity_history"),
]
