"""Masking of personal data (ID numbers, credit codes, mobile numbers) for display and logs."""

import logging
import re

# Not after a decimal point: the digits of a fraction (a duration in a log line) are no one's number.
_ID_RE = re.compile(r"(?<![0-9A-Za-z.])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_USCC_CHAR = "[0-9A-HJ-NPQRTUWXY]"
_USCC_RE = re.compile(rf"(?<![0-9A-Z.])({_USCC_CHAR}{{2}}\d{{6}}){_USCC_CHAR}{{9}}({_USCC_CHAR})(?![0-9A-Z])")
_PHONE_RE = re.compile(r"(?<![\d.])(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_phone(phone: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def mask_id_number(number: str) -> str:
    """Keep the first 6 and last 4 characters of an 18-character ID or credit code."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_text(text: str) -> str:
    """Mask every ID number, credit code and mobile number inside free text (for logs)."""
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    text = _USCC_RE.sub(lambda m: m.group(1) + "*********" + m.group(2), text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


# The attributes every LogRecord has; anything else on a record was passed as ``extra`` and may be written
# out by a structured (JSON) formatter, so it is masked too.
_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class MaskPersonalDataFilter(logging.Filter):
    """A logging filter that masks personal numbers in every record before any formatter sees it: the
    message, the traceback and exception text, the stack and string ``extra`` values.

    The traceback is formatted here, masked and kept as ``exc_text`` (which every formatter of the
    standard library, and the JSON ones built on it, write out); ``exc_info`` is dropped so that no
    formatter formats the unmasked exception again.
    """

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            message = None
        if message is not None:
            masked = mask_text(message)
            if masked != message or record.args:
                record.msg, record.args = masked, ()
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, mask_text(value))
        return True


def mask_handlers(logger=None, **kwargs):
    """Put the filter on every handler of ``logger`` (and of the root logger): Celery's worker installs
    handlers of its own (``after_setup_logger`` / ``after_setup_task_logger`` signals call this)."""
    for target in {logger, logging.getLogger()} - {None}:
        for handler in target.handlers:
            if not any(isinstance(f, MaskPersonalDataFilter) for f in handler.filters):
                handler.addFilter(MaskPersonalDataFilter())
