"""The append-only history rows shared by the case and the permit tasks (办理记录, 审批记录).

Subclasses add the foreign key to what the history is of (named by ``chain_field``), their ``Meta`` and
the two refusal messages; the model and its query set refuse every update and delete (a PostgreSQL trigger
does the same below). Each row carries the SHA-256 of its content and of the previous row of the same
case or task (``prev_hash``), so a row changed, removed or slipped in below the model (by the tables' owner,
with the triggers disabled) breaks the chain: ``manage.py verify_audit`` finds the first broken link.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied(self.model.update_refused)

    def delete(self):
        raise PermissionDenied(self.model.delete_refused)


class AppendOnlyEntry(models.Model):
    """Who did which transition when, from which state to which, why, with what data."""

    update_refused = delete_refused = ""  # each subclass names its own record in its messages

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    transition = models.CharField(_("操作"), max_length=40)
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20)
    reason = models.TextField(_("原因"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    prev_hash = models.CharField(_("上一条记录摘要"), max_length=64, blank=True, default="", db_default="")
    hash = models.CharField(_("记录摘要"), max_length=64, blank=True, default="", db_default="")

    chain_field = ""  # the foreign key whose history this is: one chain per case or task

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise PermissionDenied(self.update_refused)
        chain_id = getattr(self, f"{self.chain_field}_id")
        parent = self._meta.get_field(self.chain_field).related_model
        with transaction.atomic():
            # The case's (task's) row lock orders its entries: two writers cannot both extend one head.
            list(parent.objects.select_for_update().filter(pk=chain_id).values_list("pk", flat=True))
            head = (
                type(self)
                .objects.filter(**{f"{self.chain_field}_id": chain_id})
                .order_by("-id")
                .values_list("hash", flat=True)
                .first()
            )
            self.prev_hash = head or ""
            self.hash = self.digest()
            super().save(*args, **kwargs)

    def digest(self) -> str:
        return entry_digest(
            chain_id=getattr(self, f"{self.chain_field}_id"),
            prev_hash=self.prev_hash,
            at=self.at,
            actor_id=self.actor_id,
            transition=self.transition,
            from_state=self.from_state,
            to_state=self.to_state,
            reason=self.reason,
            data=self.data,
        )

    def delete(self, *args, **kwargs):
        raise PermissionDenied(self.delete_refused)

    @classmethod
    def record(cls, subject, *, actor, name, from_state, at, reason="", data=None):
        """Append to ``subject``'s history (a case or a task, just moved by transition ``name``) who did
        it, when, from which state to its current one, why and with what data."""
        return cls.objects.create(
            **{cls.chain_field: subject},
            actor=actor if getattr(actor, "pk", None) else None,
            at=at,
            transition=name,
            from_state=from_state,
            to_state=subject.state,
            reason=reason or "",
            data=data or {},
        )


def entry_digest(*, chain_id, prev_hash, at, actor_id, transition, from_state, to_state, reason, data) -> str:
    """SHA-256 of one entry's content and the previous entry's digest (canonical JSON, instants in UTC)."""
    content = {
        "chain": chain_id,
        "prev": prev_hash,
        "at": at.astimezone(UTC).isoformat(),
        "actor": actor_id,
        "transition": transition,
        "from": from_state,
        "to": to_state,
        "reason": reason,
        "data": data,
    }
    text = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    """The first entry of a history that does not follow from the one before it."""

    model: str
    chain_id: int
    entry_id: int
    problem: str

    def __str__(self):
        return f"{self.model} #{self.chain_id}: entry {self.entry_id} {self.problem}"


def verify_chains(model) -> tuple[int, BrokenLink | None]:
    """Walk every history of ``model`` (an AppendOnlyEntry subclass) in id order; return the number of
    entries read and the first broken link (None when every chain is whole)."""
    chain_field = f"{model.chain_field}_id"
    seen, current, expected = 0, None, ""
    for entry in model.objects.order_by(chain_field, "id").iterator(chunk_size=2000):
        seen += 1
        chain_id = getattr(entry, chain_field)
        if chain_id != current:
            current, expected = chain_id, ""
        label = model._meta.label
        if entry.prev_hash != expected:
            what = "does not follow the entry before it (one was removed, inserted or changed)"
            return seen, BrokenLink(label, chain_id, entry.pk, what)
        if entry.digest() != entry.hash:
            return seen, BrokenLink(label, chain_id, entry.pk, "was changed after it was written")
        expected = entry.hash
    return seen, None


def chain_backfill(model, schema_editor, chain_field: str):
    """A migration step: link the entries of ``model`` (a historical model) written before the chain
    existed, in id order; the trigger refusing updates is set aside meanwhile (as the tables' owner)."""
    table = model._meta.db_table
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only", params=None)
    chain_field = f"{chain_field}_id"
    current, head = None, ""
    for entry in model.objects.order_by(chain_field, "id").iterator(chunk_size=2000):
        chain_id = getattr(entry, chain_field)
        if chain_id != current:
            current, head = chain_id, ""
        digest = entry_digest(
            chain_id=chain_id,
            prev_hash=head,
            at=entry.at,
            actor_id=entry.actor_id,
            transition=entry.transition,
            from_state=entry.from_state,
            to_state=entry.to_state,
            reason=entry.reason,
            data=entry.data,
        )
        model.objects.filter(pk=entry.pk).update(prev_hash=head, hash=digest)
        head = digest
    if postgres:
        # Deferred foreign-key checks queued by the updates must run before the table can be altered.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE", params=None)
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only", params=None)


def append_only_trigger(table: str):
    """A migration operation: on PostgreSQL, a trigger refusing UPDATE and DELETE of ``table``'s rows,
    whatever code (or person at a SQL prompt) tries. Elsewhere (SQLite) nothing: the model refuses."""
    from django.db import migrations

    name = f"{table}_append_only"
    create = f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table} is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {name} ON {table};
CREATE TRIGGER {name}
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {name}();
"""
    drop = f"""
DROP TRIGGER IF EXISTS {name} ON {table};
DROP FUNCTION IF EXISTS {name}();
"""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(create, params=None)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop, params=None)

    return migrations.RunPython(forwards, backwards)
