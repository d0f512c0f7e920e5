"""The one entry point of the permission layer, for pages, the API, services and transitions.

``can(user, perm, obj)`` asks the rules registered in each app's ``rules.py`` and nothing else. A
superuser gets no shortcut here (Django's ``User.has_perm`` answers True to anything for one): a
superuser holds the administrator role, and the rules say what an administrator may do in the portal.
Django's admin site keeps its own superuser behaviour for the admin pages.
"""

import rules
from rest_framework import permissions


def can(user, perm: str, obj=None) -> bool:
    """True when the active, signed-in ``user`` may do ``perm`` (to ``obj``), per the rules."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and rules.has_perm(perm, user, obj)
    )


class HasRolePermission(permissions.BasePermission):
    """DRF permission: the view's ``required_perm`` (a rules permission name) without an object."""

    def has_permission(self, request, view):
        perm = getattr(view, "required_perm", None)
        return perm is None or can(request.user, perm)
