from django.urls import path

from . import guide_views, recovery_views, views

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
    path("guide/", guide_views.start, name="guide"),
    path("guide/start/", guide_views.restart, name="guide_restart"),
    path("guide/next/", guide_views.next_question, name="guide_next"),
    path("guide/question/<slug:key>/", guide_views.question, name="guide_question"),
    path("guide/result/", guide_views.result, name="guide_result"),
    path("guide/file/", guide_views.file, name="guide_file"),
    path("guide/detach/", guide_views.detach, name="guide_detach"),
]
