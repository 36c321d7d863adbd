from django.urls import path

from . import views
from .imports import jobs as import_jobs
from .imports import kpis as kpi_imports
from .imports import values as value_imports

app_name = "objectives"

urlpatterns = [
    path("", views.objective_overview, name="index"),
    path("objectives/", views.ObjectiveListView.as_view(), name="objective_list"),
    path("objectives/new/", views.ObjectiveEditView.as_view(), name="objective_add"),
    path("objectives/<int:pk>/", views.ObjectiveDetailView.as_view(), name="objective_detail"),
    path("objectives/<int:pk>/history/", views.ObjectiveDetailView.as_view(tab="history"), name="objective_history"),
    path("objectives/<int:pk>/edit/", views.ObjectiveEditView.as_view(), name="objective_edit"),
    path("themes/new/", views.ThemeEditView.as_view(), name="strategictheme_add"),
    path("themes/<int:pk>/", views.ThemeDetailView.as_view(), name="strategictheme_detail"),
    path("themes/<int:pk>/history/", views.ThemeDetailView.as_view(tab="history"), name="strategictheme_history"),
    path("themes/<int:pk>/edit/", views.ThemeEditView.as_view(), name="strategictheme_edit"),
    path("kpis/", views.KPIListView.as_view(), name="kpi_list"),
    path("kpis/new/", views.KPIEditView.as_view(), name="kpi_add"),
    path("kpis/import/", kpi_imports.kpi_import, name="kpi_import"),
    path("kpis/import/template/", kpi_imports.kpi_template, name="kpi_template"),
    path("kpis/<int:pk>/", views.KPIDetailView.as_view(), name="kpi_detail"),
    path("kpis/<int:pk>/history/", views.KPIDetailView.as_view(tab="history"), name="kpi_history"),
    path("kpis/<int:pk>/edit/", views.KPIEditView.as_view(), name="kpi_edit"),
    path("kpis/<int:pk>/chart.svg", views.kpi_chart, name="kpi_chart"),
    path("kpis/<int:pk>/values/", views.measurement_enter, name="measurement_enter"),
    path("kpis/<int:pk>/values/<int:value_pk>/", views.measurement_row, name="measurement_row"),
    path("kpis/<int:pk>/values/<int:value_pk>/edit/", views.measurement_edit, name="measurement_edit"),
    path("kpis/<int:pk>/effectiveness/", views.effectiveness_measure_set, name="effectiveness_measure_set"),
    path("my-measures/", views.my_measures, name="my_measures"),
    path("measurements/import/", value_imports.measurement_import, name="measurement_import"),
    path("measurements/template/", value_imports.measurement_template, name="measurement_template"),
    path("imports/<int:pk>/", import_jobs.import_job_detail, name="import_job_detail"),
    path("measurements/export/", value_imports.measurement_export, name="measurement_export"),
]
