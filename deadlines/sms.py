"""SMS gateways behind one interface. ``settings.SMS_BACKEND`` names the class; a real gateway is a
class with the same ``send`` living anywhere on the path, configured there (never in code)."""

import threading
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string

from accounts.masking import mask_phone


class SmsError(Exception):
    """The gateway did not take the message; delivery retries later."""


class BaseSmsBackend:
    def send(self, *, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class FileSmsBackend(BaseSmsBackend):
    """Appends each message to ``settings.SMS_FILE_PATH`` (phone masked): the default without a gateway."""

    _lock = threading.Lock()

    def send(self, *, phone: str, text: str) -> None:
        line = f"{datetime.now().isoformat(timespec='seconds')}\t{mask_phone(phone)}\t{text}\n"
        with self._lock, open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as fh:
            fh.write(line)


class ConsoleSmsBackend(BaseSmsBackend):
    def send(self, *, phone: str, text: str) -> None:
        print(f"SMS to {mask_phone(phone)}: {text}")  # noqa: T201


class FakeSmsBackend(BaseSmsBackend):
    """For tests: records messages in ``outbox``; set ``fail_next`` to make the next sends fail."""

    outbox: list[tuple[str, str]] = []
    fail_next = 0

    def send(self, *, phone: str, text: str) -> None:
        if FakeSmsBackend.fail_next > 0:
            FakeSmsBackend.fail_next -= 1
            raise SmsError("gateway unavailable")
        FakeSmsBackend.outbox.append((phone, text))

    @classmethod
    def reset(cls) -> None:
        cls.outbox = []
        cls.fail_next = 0


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
