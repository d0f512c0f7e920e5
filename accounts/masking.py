"""Masking of personal data (ID numbers, credit codes, mobile numbers) for display and logs."""

import logging
import re

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_USCC_CHAR = "[0-9A-HJ-NPQRTUWXY]"
_USCC_RE = re.compile(rf"(?<![0-9A-Z])({_USCC_CHAR}{{2}}\d{{6}}){_USCC_CHAR}{{9}}({_USCC_CHAR})(?![0-9A-Z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


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


class MaskPersonalDataFilter(logging.Filter):
    """A logging filter that masks personal numbers in every record before it is written."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
