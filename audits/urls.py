from django.urls import path

from qms.views.modules import module_overview

app_name = "audits"

urlpatterns = [path("", module_overview, {"module": "audits"}, name="index")]
