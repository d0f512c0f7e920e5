from django.urls import path

from . import api

urlpatterns = [
    path("sms-code/", api.SmsCodeView.as_view(), name="api-sms-code"),
    path("register/", api.RegisterView.as_view(), name="api-register"),
    path("token/", api.TokenView.as_view(), name="api-token"),
    path("logout/", api.LogoutView.as_view(), name="api-logout"),
]
