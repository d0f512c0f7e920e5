"""Admin of cases and documents. The audit trail is read-only here too: no add, change or delete.

ID and phone numbers are masked here as in the API; an administrator who must read one uses the
"reveal" action, which shows them on a page that is not cached and records who looked, when, in the
admin's history of each case (``accounts.admin.reveal_response``).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import reveal_response
from accounts.masking import mask_id_number, mask_phone

from .models import Application, AuditEntry, Document, NumberSequence, PolicyParameter

MASKED = {"id_number": "id_number_masked", "contact_phone": "contact_phone_masked"}


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

    actions = ["reveal_personal_data"]

    def get_fields(self, request, obj=None):
        return [MASKED.get(f, f) for f in super().get_fields(request, obj)]

    def get_readonly_fields(self, request, obj=None):
        return [MASKED.get(f.name, f.name) for f in self.model._meta.fields]

    @admin.display(description=_("证件号码"))
    def id_number_masked(self, obj):
        return mask_id_number(obj.id_number)

    @admin.display(description=_("联系电话"))
    def contact_phone_masked(self, obj):
        return mask_phone(obj.contact_phone)

    @admin.action(description=_("查看完整证件号码和电话（记录查看人）"))
    def reveal_personal_data(self, request, queryset):
        rows = [
            (obj, [(_("证件号码"), obj.id_number), (_("联系电话"), obj.contact_phone)]) for obj in queryset
        ]
        return reveal_response(self, request, rows)

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


@admin.register(PolicyParameter)
class PolicyParameterAdmin(admin.ModelAdmin):
    """A change takes effect from a date: add a row with a later date, never edit one already in force."""

    list_display = ("code", "value", "effective_from", "note")
    list_filter = ("code",)

    def get_readonly_fields(self, request, obj=None):
        return ["code", "effective_from", "value"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False
