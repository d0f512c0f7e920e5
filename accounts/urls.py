from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("login/sms/", views.login_sms, name="login_sms"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("privacy/", views.privacy, name="privacy"),
    path("sms-code/", views.send_code, name="send_code"),
]
