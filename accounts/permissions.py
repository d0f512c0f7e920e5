"""Entry points of the permission layer shared by views and the API."""

from rest_framework import permissions


def can(user, perm: str, obj=None) -> bool:
    """True when ``user`` may do ``perm`` (to ``obj``), per the rules registered in each app."""
    return bool(user and user.is_authenticated and user.has_perm(perm, obj))


class HasRolePermission(permissions.BasePermission):
    """DRF permission: the view's ``required_perm`` (a rules permission name) without an object."""

    def has_permission(self, request, view):
        perm = getattr(view, "required_perm", None)
        return perm is None or can(request.user, perm)
