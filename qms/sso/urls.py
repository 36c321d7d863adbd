from django.urls import path

from . import views

app_name = "sso"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("callback/", views.callback, name="callback"),
]
