from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("该账户已停用。"),
    }


class RegisterForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    real_name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(
        label=_("手机号码"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput)

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
        return data

    def save(self):
        return services.customer_register(
            username=self.cleaned_data["username"],
            password=self.cleaned_data["password"],
            phone=self.cleaned_data["phone"],
            real_name=self.cleaned_data["real_name"],
        )
