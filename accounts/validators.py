"""Validators for personal and organisational identifiers, shared by forms and the API.

Error codes are constants so tests and clients can match them.
"""

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

INVALID_MOBILE = "invalid_mobile"
INVALID_RESIDENT_ID = "invalid_resident_id"
INVALID_CREDIT_CODE = "invalid_credit_code"

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(value: str) -> str:
    """Strip spaces, dashes and a leading +86 / 86 country code."""
    value = re.sub(r"[\s-]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    return value


def validate_mobile(value: str) -> str:
    """Return the normalised mainland mobile number, or raise ValidationError(INVALID_MOBILE)."""
    number = normalise_mobile(value)
    if not _MOBILE_RE.match(number):
        raise ValidationError(_("请输入有效的中国大陆手机号码（11位，以1开头）。"), code=INVALID_MOBILE)
    return number


def validate_resident_id(value: str) -> str:
    """Return the compact 18-digit resident ID (check digit, birth date and county checked)."""
    number = re.sub(r"\s", "", value or "").upper()
    try:
        return ric.validate(number)
    except StdnumError:
        raise ValidationError(_("居民身份证号码无效，请核对校验位和出生日期。"), code=INVALID_RESIDENT_ID)


def validate_credit_code(value: str) -> str:
    """Return the compact unified social credit code (统一社会信用代码), check character verified."""
    number = re.sub(r"\s", "", value or "").upper()
    try:
        return uscc.validate(number)
    except StdnumError:
        raise ValidationError(_("统一社会信用代码无效，请核对后重新输入。"), code=INVALID_CREDIT_CODE)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's validator with a message of our own: Django 5.2's zh_Hans catalog lacks its new wording."""

    def get_error_message(self):
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}
