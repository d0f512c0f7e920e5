"""Admin of permit tasks: read-only (tasks change only through their transitions), the history too."""

from django.contrib import admin

from .models import ApprovalTask, SharedDocument, TaskAuditEntry, TaskPart


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartInline(ReadOnlyInline):
    model = TaskPart
    fields = ("kind", "organisation", "done_at", "done_by", "note")
    readonly_fields = fields


class AuditInline(ReadOnlyInline):
    model = TaskAuditEntry
    fields = ("at", "actor", "transition", "from_state", "to_state", "reason")
    readonly_fields = fields


@admin.register(ApprovalTask)
class ApprovalTaskAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "round", "department", "state", "created_at", "closed_at")
    list_filter = ("kind", "state", "department")
    search_fields = ("application__number",)
    list_select_related = ("application", "department")
    inlines = [PartInline, AuditInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SharedDocument)
class SharedDocumentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "application", "kind", "version", "uploaded_by", "uploaded_at")
    list_filter = ("kind",)
    exclude = ("file",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "file"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
