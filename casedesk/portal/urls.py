from django.urls import path

from . import recovery_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("appeal/", views.appeal, name="appeal"),
    path("appeal/received/", views.receipt, name="receipt"),
    path("status/", views.status, name="status"),
    path("status/case/", views.case, name="case"),
    path("status/lost-code/", recovery_views.recover, name="recover"),
    path("status/leave/", views.leave, name="leave"),
    path("status/documents/<int:document_id>/", views.document, name="document"),
]
