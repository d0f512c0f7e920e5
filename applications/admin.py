"""Admin of cases and documents. The audit trail is read-only here too: no add, change or delete."""

from django.contrib import admin

from .models import Application, AuditEntry, Document, NumberSequence


class AuditEntryInline(admin.TabularInline):
    model = AuditEntry
    fields = ("at", "actor", "transition", "from_state", "to_state", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Cases change only through their transitions (the API and the portal), never by editing here."""

    list_display = (
        "__str__",
        "state",
        "voltage",
        "applicant_type",
        "applicant_name",
        "account_manager",
        "submitted_at",
    )
    list_filter = ("state", "voltage", "applicant_type", "business")
    search_fields = ("number", "applicant_name", "address")
    list_select_related = ("account_manager",)
    inlines = [AuditEntryInline]
    exclude = ("documents",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Metadata only: the files are served to their owner and the staff working the case, nobody else."""

    list_display = ("__str__", "owner", "kind", "valid_until", "uploaded_at", "rejected_at")
    list_filter = ("kind",)
    readonly_fields = (
        "owner",
        "kind",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "rejected_at",
        "rejected_reason",
    )
    exclude = ("file",)

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("application", "at", "actor", "transition", "from_state", "to_state")
    list_filter = ("transition",)
    list_select_related = ("application", "actor")
    search_fields = ("application__number",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ("year", "last")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
