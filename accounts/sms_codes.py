"""SMS verification codes 短信验证码: sent for registration, sign-in and password reset, valid for five
minutes, used once, a few wrong tries allowed; sending is rate-limited per number and per address
(``settings.RATE_LIMITS``: one a minute and five an hour per number, twenty an hour per address).

The message goes through the configured SMS gateway (``settings.SMS_BACKEND``, a class with
``send(phone=, text=)``; the backends live in ``deadlines.sms``), looked up by name like Django's email
backends so that the gateway stays pluggable.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import PhoneCode
from .ratelimit import over_limit
from .validators import validate_mobile

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=5)
MAX_FAILED_ATTEMPTS = 5

CODE_RATE_LIMITED = "code_rate_limited"
CODE_INVALID = "code_invalid"
CODE_EXPIRED = "code_expired"
CODE_NOT_SENT = "code_not_sent"

MSG_WAIT = _("验证码发送过于频繁，请稍后再试。")
MSG_INVALID = _("验证码不正确。")
MSG_EXPIRED = _("验证码已失效，请重新获取。")
MSG_NOT_SENT = _("短信发送失败，请稍后重试。")
SMS_TEXT = _("【呼和浩特获得电力】您的验证码为 %(code)s，5分钟内有效。如非本人操作，请忽略。")


def _hash(phone: str, purpose: str, code: str) -> str:
    message = f"{phone}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def code_send(*, request, phone: str, purpose: str, at=None) -> PhoneCode:
    """Send a new code to ``phone`` for ``purpose``, the sending counted against the number's and the
    ``request``'s address's limits. Raises ValidationError on ``phone`` (bad number,
    ``code_rate_limited``: past one a minute or five an hour for the number, or twenty an hour for the
    address)."""
    at = at or timezone.now()
    try:
        phone = validate_mobile(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": [exc]})
    limits = (("sms-per-number-minute", phone), ("sms-per-number", phone), ("sms-per-address", None))
    if any(over_limit(request, group, value=value) for group, value in limits):
        raise ValidationError({"phone": [ValidationError(MSG_WAIT, code=CODE_RATE_LIMITED)]})
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=_hash(phone, purpose, code),
        created_at=at,
        expires_at=at + CODE_TTL,
    )
    try:
        import_string(settings.SMS_BACKEND)().send(phone=phone, text=str(SMS_TEXT % {"code": code}))
    except Exception:  # any gateway failure: the person is told to try again, the code is void
        logger.warning("SMS gateway did not take the verification code", exc_info=True)
        PhoneCode.objects.filter(pk=row.pk).update(expires_at=at)
        raise ValidationError({"phone": [ValidationError(MSG_NOT_SENT, code=CODE_NOT_SENT)]})
    return row


def code_verify(*, phone: str, purpose: str, code: str, at=None) -> None:
    """Use the latest code sent to ``phone`` for ``purpose``. Raises ValidationError on ``code``
    (``code_invalid``, ``code_expired``: past five minutes, used, or too many wrong tries)."""
    at = at or timezone.now()
    try:
        phone = validate_mobile(phone)
    except ValidationError:
        raise ValidationError({"code": [ValidationError(MSG_INVALID, code=CODE_INVALID)]})
    code = (code or "").strip()
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None or not code:
            problem = ValidationError(MSG_INVALID, code=CODE_INVALID)
        elif row.used_at or row.expires_at <= at or row.failed_attempts >= MAX_FAILED_ATTEMPTS:
            problem = ValidationError(MSG_EXPIRED, code=CODE_EXPIRED)
        elif not hmac.compare_digest(row.code_hash, _hash(phone, purpose, code)):
            PhoneCode.objects.filter(pk=row.pk).update(failed_attempts=row.failed_attempts + 1)
            problem = ValidationError(MSG_INVALID, code=CODE_INVALID)
        else:
            PhoneCode.objects.filter(pk=row.pk).update(used_at=at)
            problem = None
    if problem is not None:  # raised after the commit: a wrong try is counted
        raise ValidationError({"code": [problem]})
