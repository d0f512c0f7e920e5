"""Sign-in endpoints of the API: customer registration, token issue and sign-out."""

from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import sms_codes
from .authentication import is_expired
from .masking import mask_phone
from .models import User
from .serializers import (
    RegisteredUserSerializer,
    RegisterSerializer,
    SmsCodeRequestSerializer,
    SmsCodeSentSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)

LOCKED_OUT = "locked_out"
BAD_CREDENTIALS = "bad_credentials"


class SmsCodeView(APIView):
    """Send an SMS code to a mobile number (registration, sign-in or password reset), under the same
    limits as the page's button."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=SmsCodeRequestSerializer, responses={202: SmsCodeSentSerializer})
    def post(self, request):
        serializer = SmsCodeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = sms_codes.code_send(request=request, **serializer.validated_data)
        body = {"phone": mask_phone(row.phone), "expires_in": int(sms_codes.CODE_TTL.total_seconds())}
        return Response(SmsCodeSentSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class RegisterView(APIView):
    """A customer registers with username, password, mainland mobile number, name, the SMS code sent to
    that number and consent to the privacy notice."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredUserSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        return Response(RegisteredUserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    """Exchange username and password for an API token (the same lock-out as the login page)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        http_request = request._request  # axes records failures against the real HttpRequest
        user = authenticate(
            http_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            return Response(
                {"detail": _("登录失败次数过多，账户已锁定15分钟。"), "code": LOCKED_OUT},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None or not user.is_active:
            return Response(
                {"detail": _("用户名或密码不正确。"), "code": BAD_CREDENTIALS},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token = Token.objects.select_related("user").filter(user=user).first()
        if token is not None and is_expired(token):
            token.delete()
        User.objects.filter(pk=user.pk).update(api_token_used_at=timezone.now())
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class LogoutView(APIView):
    """End the caller's API token (a new one is issued at the next ``auth/token/``)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
