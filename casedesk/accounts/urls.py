from django.urls import path

from . import auth_views

app_name = "accounts"
urlpatterns = [
    path("verify/", auth_views.otp_verify, name="otp_verify"),
    path("two-factor/", auth_views.otp_enrol, name="otp_enrol"),
    path("logout-everywhere/", auth_views.logout_everywhere, name="logout_everywhere"),
]
