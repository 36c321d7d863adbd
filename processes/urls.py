from django.urls import path

from . import views

app_name = "processes"

urlpatterns = [
    path("", views.ProcessListView.as_view(), name="process_list"),
    path("map/", views.process_map_view, name="process_map"),
    path("new/", views.ProcessEditView.as_view(), name="process_add"),
    path("<int:pk>/", views.ProcessDetailView.as_view(), name="process_detail"),
    path("<int:pk>/history/", views.ProcessDetailView.as_view(tab="history"), name="process_history"),
    path("<int:pk>/sections/<slug:name>/", views.process_section, name="process_section"),
    path("<int:pk>/edit/", views.ProcessEditView.as_view(), name="process_edit"),
    path("<int:pk>/parts/<slug:part>/", views.process_part_add, name="process_part_add"),
    path("<int:pk>/parts/<slug:part>/<int:part_pk>/remove/", views.process_part_remove, name="process_part_remove"),
]
