"""Statistics URLs, mounted at the root of each language (config/urls.py): the staff
dashboard under staff/stats/ (its views require a login), the public page and its open
data under stats/."""

from django.urls import path

from . import report_views, views

app_name = "stats"
urlpatterns = [
    path("staff/stats/", views.dashboard, name="dashboard"),
    path("staff/stats/<slug:key>.csv", views.dashboard_csv, name="staff_csv"),
    path("staff/stats/<slug:key>.xlsx", views.dashboard_csv, {"fmt": "xlsx"},
         name="staff_xlsx"),
    path("staff/stats/annual-report/", report_views.annual_report_download,
         name="annual_report"),
    path("stats/", views.public, name="public"),
    path("stats/open-data.csv", views.open_data_csv, name="open_data_csv"),
    path("stats/open-data.json", views.open_data_json, name="open_data_json"),
    path("stats/<slug:key>.csv", views.public_csv, name="public_csv"),
]
