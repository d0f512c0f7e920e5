import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEFAULT_PASSWORD, DEMO_ACCOUNTS, seed_accounts


class Command(BaseCommand):
    help = "Create the demo accounts and demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of every demo account")

    def handle(self, *args, password, **options):
        with transaction.atomic():
            seed_accounts(password=password)
        # Each app may add its demo data in <app>/demo.py: seed(stdout=...), idempotent too.
        for config in apps.get_app_configs():
            if config.name == "accounts":
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            seed = getattr(module, "seed", None)
            if seed:
                seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password: {password}):"))
        for username, real_name, _org, roles, _phone in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:16} {real_name}  [{', '.join(roles)}]")
