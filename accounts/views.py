from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hhht_power.celery import app as celery_app

from . import sms_codes
from .forms import (
    LoginForm,
    PasswordResetForm,
    RegisterForm,
    SmsCodeRequestForm,
    SmsLoginForm,
    password_rules,
)
from .masking import mask_phone


class PortalLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    """What a locked-out sign-in gets: JSON for the API, the lock-out page for browsers (429 both)."""
    if request.path.startswith("/api/"):
        body = {"detail": _("登录失败次数过多，账户已锁定15分钟。"), "code": "locked_out"}
        return JsonResponse(body, status=429)
    return render(request, "accounts/locked_out.html", status=429)


def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("注册成功，欢迎使用获得电力服务。"))
        return redirect("applications:mine")
    context = {"form": form, "password_rules": password_rules()}
    return render(request, "accounts/register.html", context, status=400 if form.errors else 200)


def login_sms(request):
    """Sign-in by mobile number and SMS code 短信验证码登录."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SmsLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "accounts/login_sms.html", {"form": form}, status=400 if form.errors else 200)


def password_reset(request):
    """忘记密码: a new password once the SMS code proves the mobile number."""
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("密码已重设，请用新密码登录。"))
        return redirect("accounts:login")
    context = {"form": form, "password_rules": password_rules()}
    return render(request, "accounts/password_reset.html", context, status=400 if form.errors else 200)


def privacy(request):
    return render(request, "accounts/privacy.html")


@require_POST
def send_code(request):
    """Send an SMS code (htmx): the status line under the phone field, 400 with the reason."""
    form = SmsCodeRequestForm(request.POST)
    status, text = 400, _("请求无效。")
    if form.is_valid():
        try:
            sms_codes.code_send(
                request=request, phone=form.cleaned_data["phone"], purpose=form.cleaned_data["purpose"]
            )
        except ValidationError as exc:
            text = " ".join(exc.messages)
        else:
            status = 200
            text = _("验证码已发送至 %(phone)s，5分钟内有效。") % {
                "phone": mask_phone(sms_codes.validate_mobile(form.cleaned_data["phone"]))
            }
    context = {"ok": status == 200, "text": text}
    if not request.htmx:
        (messages.success if status == 200 else messages.error)(request, text)
        target = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("accounts:register")
        return redirect(target)
    return render(request, "accounts/_sms_status.html", context, status=status)


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the message says which
        return exc.__class__.__name__
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
            _channel = conn.default_channel  # opening a channel talks to the server (Redis: a PING)
    except Exception as exc:
        return exc.__class__.__name__
    return None


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer, 503 naming what is down otherwise."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    body = {name: ("ok" if err is None else f"down: {err}") for name, err in checks.items()}
    down = [name for name, err in checks.items() if err]
    body["status"] = "ok" if not down else "down"
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
