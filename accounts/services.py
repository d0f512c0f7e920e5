"""Writers for accounts."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from .models import Role, RoleCode, User
from .validators import validate_mobile

USERNAME_TAKEN = "username_taken"
MSG_USERNAME_TAKEN = _("该用户名已被注册，请换一个。")


def registration_errors(*, username: str, password: str, phone: str, real_name: str) -> dict:
    """Every field error of a customer registration at once (empty when all is well)."""
    errors: dict[str, list[ValidationError]] = {}
    if not username:
        errors["username"] = [ValidationError(_("请输入用户名。"), code="required")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [ValidationError(MSG_USERNAME_TAKEN, code=USERNAME_TAKEN)]
    if not real_name or not real_name.strip():
        errors["real_name"] = [ValidationError(_("请输入姓名。"), code="required")]
    try:
        validate_mobile(phone)
    except ValidationError as exc:
        errors["phone"] = [exc]
    try:
        password_validation.validate_password(
            password or "", user=User(username=username, real_name=real_name or "")
        )
    except ValidationError as exc:
        errors["password"] = list(exc.error_list)
    return errors


def customer_register(*, username: str, password: str, phone: str, real_name: str) -> User:
    """Create a customer account; raises ValidationError (a dict by field) and saves nothing on error."""
    errors = registration_errors(username=username, password=password, phone=phone, real_name=real_name)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            user = User(username=username, real_name=real_name.strip(), phone=validate_mobile(phone))
            user.set_password(password)
            user.save()
            user.roles.add(Role.objects.get(code=RoleCode.CUSTOMER))
    except IntegrityError:  # lost a race for the same username
        raise ValidationError({"username": [ValidationError(MSG_USERNAME_TAKEN, code=USERNAME_TAKEN)]})
    return user
