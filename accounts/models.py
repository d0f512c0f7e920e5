"""Organisations, users and roles.

An organisation is a unit of the city (市供电局, 市工信局, ...) or a sub-unit of one (综合受理窗口 of
市行政审批局). Every staff user belongs to exactly one organisation; customers belong to none. Roles
are rows, so the permission layer (``accounts.rules``) asks ``user.has_role(...)``.
"""

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    GRID = "grid", _("电网企业")
    SUPERVISOR = "supervisor", _("监管部门")
    DEPARTMENT = "department", _("审批部门")
    WINDOW = "window", _("综合受理窗口")
    SUBUNIT = "subunit", _("下属单位")


class Organisation(models.Model):
    """A unit of the city administration or the grid company (单位)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    kind = models.CharField(_("类别"), max_length=20, choices=OrganisationKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self):
        return self.name

    def family_ids(self) -> list[int]:
        """This organisation's id and those of its sub-units (one level, as the city has)."""
        return [self.pk, *Organisation.objects.filter(parent_id=self.pk).values_list("pk", flat=True)]


class RoleCode(models.TextChoices):
    CUSTOMER = "customer", _("用电客户")
    PSB_STAFF = "psb_staff", _("供电局工作人员")
    ACCOUNT_MANAGER = "account_manager", _("客户经理")
    REVIEWER = "reviewer", _("部门审批人员")
    WINDOW = "window", _("综合受理窗口人员")
    SUPERVISOR = "supervisor", _("监管人员")
    LEADER = "leader", _("督办领导")
    ADMIN = "admin", _("系统管理员")


STAFF_ROLES = frozenset(
    {
        RoleCode.PSB_STAFF,
        RoleCode.ACCOUNT_MANAGER,
        RoleCode.REVIEWER,
        RoleCode.WINDOW,
        RoleCode.SUPERVISOR,
        RoleCode.LEADER,
        RoleCode.ADMIN,
    }
)


class Role(models.Model):
    code = models.CharField(_("代码"), max_length=30, primary_key=True, choices=RoleCode.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self):
        return str(RoleCode(self.code).label)


class User(AbstractUser):
    """A person who signs in: a customer, or staff of exactly one organisation."""

    real_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号码"), max_length=11, blank=True)
    # Staff: the number customers may call (shown on their case page as the account manager's).
    work_phone = models.CharField(_("工作电话"), max_length=20, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), blank=True, related_name="users")
    # Raised whenever the user's password, activity or roles change: the sessions signed in before no
    # longer match (``get_session_auth_hash``) and the API token is deleted (``sign_out_everywhere``).
    credentials_version = models.PositiveIntegerField(_("凭据版本"), default=0, editable=False)
    api_token_used_at = models.DateTimeField(_("API令牌最近使用时间"), null=True, blank=True, editable=False)
    # 直属领导: who follows up what this person's customers report (a low satisfaction rating).
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("直属领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.real_name or self.username

    def get_session_auth_hash(self):
        """Django's hash of the password, and of ``credentials_version`` once raised."""
        base = super().get_session_auth_hash()
        if not self.credentials_version:
            return base
        salt = "accounts.models.User.get_session_auth_hash"
        return salted_hmac(salt, f"{base}:{self.credentials_version}", algorithm="sha256").hexdigest()

    def save(self, *args, **kwargs):
        """A changed password or activity ends the user's sessions and token."""
        fields = kwargs.get("update_fields")
        changed = False
        if self.pk and (fields is None or {"password", "is_active"} & set(fields)):
            now = {"password": self.password, "is_active": self.is_active}
            before = User.objects.filter(pk=self.pk).values(*now).first()
            changed = before is not None and before != now
        if changed:
            self.credentials_version += 1
            if fields is not None:
                kwargs["update_fields"] = {*fields, "credentials_version"}
        super().save(*args, **kwargs)
        if changed:
            sign_out_everywhere([self.pk], bump=False)

    @cached_property
    def role_codes(self) -> frozenset[str]:
        """The user's role codes, read once per request (prefetched roles are reused)."""
        if not self.pk or not self.is_active:
            return frozenset()
        return self._with_implied_roles(r.code for r in self.roles.all())

    def set_role_codes(self, codes) -> None:
        """Give ``role_codes`` the codes read with the user (token authentication reads them in its
        query), instead of a query of their own."""
        self.__dict__["role_codes"] = self._with_implied_roles(codes) if self.is_active else frozenset()

    def _with_implied_roles(self, codes) -> frozenset[str]:
        codes = set(codes)
        if self.is_superuser:
            codes.add(RoleCode.ADMIN)
        return frozenset(codes)

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes.intersection(codes))

    @property
    def is_customer(self) -> bool:
        return self.has_role(RoleCode.CUSTOMER)

    @property
    def is_staff_member(self) -> bool:
        """Staff of an organisation (any non-customer role)."""
        return self.organisation_id is not None and bool(self.role_codes & STAFF_ROLES)

    @cached_property
    def organisation_family_ids(self) -> list[int]:
        return self.organisation.family_ids() if self.organisation_id else []


def sign_out_everywhere(user_ids, *, bump: bool = True) -> None:
    """End every session and API token of the users ``user_ids``."""
    from rest_framework.authtoken.models import Token

    if bump:
        User.objects.filter(pk__in=user_ids).update(credentials_version=F("credentials_version") + 1)
    Token.objects.filter(user_id__in=user_ids).delete()


@receiver(m2m_changed, sender=User.roles.through)
def _roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A role given or taken away signs the user out everywhere (its rights change with its roles)."""
    if action in ("post_add", "post_remove") and pk_set:
        users = list(pk_set) if reverse else [instance.pk]
    elif action == "pre_clear":  # before the clear, while the related rows are still there
        users = list(instance.users.values_list("pk", flat=True)) if reverse else [instance.pk]
    else:
        return
    sign_out_everywhere(users)
    if not reverse:
        instance.__dict__.pop("role_codes", None)
        instance.refresh_from_db(fields=["credentials_version"])


class PhoneCode(models.Model):
    """A one-time SMS verification code 短信验证码 for a mobile number and one purpose. Only a keyed hash
    of the code is stored; it expires (``expires_at``), is used once, and allows a few wrong tries."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("注册")
        LOGIN = "login", _("登录")
        RESET = "reset", _("找回密码")

    phone = models.CharField(_("手机号码"), max_length=11)
    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["phone", "purpose", "created_at"], name="phonecode_lookup")]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"
