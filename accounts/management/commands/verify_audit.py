"""``manage.py verify_audit``: walk every append-only history (cases, permit tasks) and report the first
broken link of the hash chain; exits non-zero when one is found."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from accounts.audit import AppendOnlyEntry, verify_chains


class Command(BaseCommand):
    help = "Verify the hash chains of the audit trails (办理记录, 审批记录); report the first broken link."

    def handle(self, *args, **options):
        broken = []
        for model in apps.get_models():
            if not issubclass(model, AppendOnlyEntry):
                continue
            count, link = verify_chains(model)
            if link is None:
                self.stdout.write(f"{model._meta.label}: {count} entries, every chain intact")
            else:
                self.stdout.write(f"{model._meta.label}: BROKEN at {link}")
                broken.append(link)
        if broken:
            raise CommandError(f"audit trail broken: {broken[0]}")
