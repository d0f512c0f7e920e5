from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Organisation, Role, User


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


admin.site.site_header = _("呼和浩特市获得电力 · 管理后台")
admin.site.site_title = _("获得电力管理后台")
admin.site.index_title = _("系统管理")
