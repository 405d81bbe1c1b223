from __future__ import annotations

from django.urls import path

from config.security import views

app_name = "security"

# Mounted under the admin's path (config/urls.py): /admin/second-factor/...
urlpatterns = [
    path("", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
]
