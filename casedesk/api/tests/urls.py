"""The API alone at the path the project mounts it on (independent of config/urls.py)."""

from django.urls import path

from casedesk.api.v1.api import api

urlpatterns = [path("api/v1/", api.urls)]
