"""The audit trail is append-only: the model, the query API, the database and the admin all refuse edits."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction

from applications.models import AuditEntry
from tests.applications.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(customer):
    application = ApplicationFactory(customer=customer)
    return AuditEntry.objects.create(
        application=application, actor=customer, transition="create", from_state="", to_state="draft"
    )


def test_an_entry_cannot_be_saved_again_or_deleted(entry):
    entry.reason = "rewritten"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.reason == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_update_and_delete(entry):
    for sql in (
        "UPDATE applications_auditentry SET reason = 'x' WHERE id = %s",
        "DELETE FROM applications_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, reason="").exists()


def test_the_admin_shows_entries_but_cannot_add_change_or_delete(client, admin_user, entry):
    client.force_login(admin_user)
    base = "/admin/applications/auditentry/"
    assert client.get(base).status_code == 200
    page = client.get(f"{base}{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="reason"' not in page.content  # read-only view, no form field
    assert client.post(f"{base}{entry.pk}/change/", {"reason": "x"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    # The bulk "delete selected" action is not offered either.
    response = client.post(base, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert AuditEntry.objects.filter(pk=entry.pk, reason="").exists()
    assert response.status_code in (200, 302, 403)
    # Nor can the case be deleted from under its history.
    assert (
        client.post(
            f"/admin/applications/application/{entry.application_id}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
