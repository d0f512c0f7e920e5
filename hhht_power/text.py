"""Text every app writes the same way."""

from django.utils.translation import pgettext


def enumeration(items) -> str:
    """``items`` as one list in the reader's language: 身份证明、产权证明 / Identity proof, Property proof."""
    return pgettext("between the items of a list", "、").join(str(item) for item in items)
