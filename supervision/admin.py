"""Read-only views of the supervision records for the administrator (history is written by services)."""

from django.contrib import admin

from .models import CreditRecordEvent, FigureRefresh, SupervisionOrder, SupervisionOrderEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderEventInline(admin.TabularInline):
    model = SupervisionOrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "actor", "organisation", "at", "text")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(ReadOnlyAdmin):
    list_display = ("pk", "application", "stage", "issuing_org", "responsible_org", "reply_due", "state")
    list_filter = ("state", "stage", "responsible_org")
    search_fields = ("application__number",)
    inlines = [OrderEventInline]


@admin.register(CreditRecordEvent)
class CreditRecordEventAdmin(ReadOnlyAdmin):
    list_display = ("record", "kind", "actor", "at", "state_before", "state_after")
    list_filter = ("kind",)


@admin.register(FigureRefresh)
class FigureRefreshAdmin(ReadOnlyAdmin):
    list_display = ("refreshed_at", "seconds", "stage_rows", "case_rows")
