from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from .masking import mask_phone
from .models import Organisation, Role, User
from .validators import validate_mobile


def reveal_response(model_admin, request, rows):
    """The admin page showing unmasked personal numbers: ``rows`` are (object, [(label, value)]); each
    object's admin history records who looked and when; nothing of it is cached."""
    for obj, _values in rows:
        model_admin.log_change(request, obj, str(_("查看了完整证件号码和电话")))
    response = TemplateResponse(
        request,
        "admin/reveal_personal_data.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": _("完整证件号码和电话"),
            "rows": rows,
            "opts": model_admin.model._meta,
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


class MaskedPhoneChangeForm(UserChangeForm):
    """The phone is never shown in the form (the help text shows it masked); a new one may be typed,
    and a blank field keeps the one on file."""

    phone = forms.CharField(label=_("手机号码"), required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["phone"] = ""
        if self.instance.phone:
            self.fields["phone"].help_text = _("当前：%(phone)s。留空则不变。") % {
                "phone": mask_phone(self.instance.phone)
            }

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "").strip()
        return validate_mobile(value) if value else self.instance.phone


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent", "sort_order")
    list_filter = ("kind",)
    search_fields = ("name", "code", "name_en")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "__str__")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = MaskedPhoneChangeForm
    actions = ["reveal_phone"]
    list_display = ("username", "real_name", "organisation", "is_active", "is_staff")
    list_filter = ("organisation", "roles", "is_active", "is_staff")
    search_fields = ("username", "real_name", "email")
    filter_horizontal = ("roles", "groups", "user_permissions")
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            _("单位与角色"),
            {"fields": ("real_name", "phone", "work_phone", "organisation", "roles", "reports_to")},
        ),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("单位与角色"), {"fields": ("real_name", "phone", "organisation", "roles")}),
    )

    @admin.action(description=_("查看完整手机号码（记录查看人）"))
    def reveal_phone(self, request, queryset):
        return reveal_response(self, request, [(user, [(_("手机号码"), user.phone)]) for user in queryset])


admin.site.site_header = _("呼和浩特市获得电力 · 管理后台")
admin.site.site_title = _("获得电力管理后台")
admin.site.index_title = _("系统管理")
