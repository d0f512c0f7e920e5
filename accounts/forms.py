from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from . import services, sms_codes
from .models import PhoneCode, User
from .validators import validate_mobile

MSG_NO_SINGLE_ACCOUNT = _("该手机号码未注册，或绑定了多个账户：请用用户名和密码登录，或联系95598。")

# The password rules, shown before the first attempt (from the validators in settings).
password_rules = lazy(password_validation.password_validators_help_texts, list)


def _sms_code_field():
    return forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def _phone_field():
    return forms.CharField(
        label=_("手机号码"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("该账户已停用。"),
    }


class RegisterForm(forms.Form):
    """Registration: the mobile number verified by an SMS code, the privacy notice agreed to."""

    sms_purpose = PhoneCode.Purpose.REGISTER
    username = forms.CharField(label=_("用户名"), max_length=150)
    real_name = forms.CharField(label=_("姓名"), max_length=50)
    phone = _phone_field()
    sms_code = _sms_code_field()
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput)
    consent = forms.BooleanField(
        label=_("我已阅读并同意《隐私政策》"),
        error_messages={"required": _("请阅读并同意隐私政策后注册。")},
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", ValidationError(_("两次输入的密码不一致。"), code="mismatch"))
        errors = services.registration_errors(
            username=data.get("username", ""),
            password=data.get("password", ""),
            phone=data.get("phone", ""),
            real_name=data.get("real_name", ""),
        )
        for field, errs in errors.items():
            if field not in self.errors:
                self.add_error(field, errs)
        if not self.errors:
            _verify(self, data.get("phone", ""), PhoneCode.Purpose.REGISTER)
        return data

    def save(self):
        return services.customer_register(
            username=self.cleaned_data["username"],
            password=self.cleaned_data["password"],
            phone=self.cleaned_data["phone"],
            real_name=self.cleaned_data["real_name"],
        )


def _verify(form, phone, purpose) -> None:
    try:
        sms_codes.code_verify(phone=phone, purpose=purpose, code=form.cleaned_data.get("sms_code", ""))
    except ValidationError as exc:
        for field, errs in exc.error_dict.items():
            form.add_error("sms_code" if field == "code" else field, errs)


def _single_account(form, phone):
    """The one active account with this mobile number, else an error on ``phone``."""
    try:
        phone = validate_mobile(phone)
    except ValidationError as exc:
        form.add_error("phone", exc)
        return None
    users = list(User.objects.filter(phone=phone, is_active=True)[:2])
    if len(users) != 1:
        form.add_error(
            "phone",
            ValidationError(MSG_NO_SINGLE_ACCOUNT, code="no_account"),
        )
        return None
    return users[0]


class SmsLoginForm(forms.Form):
    """Sign-in by mobile number and SMS code."""

    sms_purpose = PhoneCode.Purpose.LOGIN
    phone = _phone_field()
    sms_code = _sms_code_field()

    def clean(self):
        data = super().clean()
        if not self.errors:
            self.user = _single_account(self, data.get("phone", ""))
            if self.user is not None:
                _verify(self, data["phone"], PhoneCode.Purpose.LOGIN)
        return data


class PasswordResetForm(forms.Form):
    """忘记密码: the mobile number proves the account by an SMS code; a new password is set."""

    sms_purpose = PhoneCode.Purpose.RESET
    phone = _phone_field()
    sms_code = _sms_code_field()
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", ValidationError(_("两次输入的密码不一致。"), code="mismatch"))
        if self.errors:
            return data
        self.user = _single_account(self, data.get("phone", ""))
        if self.user is None:
            return data
        try:
            password_validation.validate_password(data["password"], user=self.user)
        except ValidationError as exc:
            self.add_error("password", exc)
            return data
        _verify(self, data["phone"], PhoneCode.Purpose.RESET)
        return data

    def save(self):
        self.user.set_password(self.cleaned_data["password"])
        self.user.save(update_fields=["password"])
        return self.user


class SmsCodeRequestForm(forms.Form):
    phone = forms.CharField(max_length=20, required=False)
    purpose = forms.ChoiceField(choices=PhoneCode.Purpose.choices)
