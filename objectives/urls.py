from django.urls import path

from qms.views.modules import module_overview

app_name = "objectives"

urlpatterns = [path("", module_overview, {"module": "objectives"}, name="index")]
