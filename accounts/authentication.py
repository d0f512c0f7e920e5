"""API token authentication in one query (the token, its user and the user's role codes), and the
remembered authentications that the API's hot reads check inside their own statement."""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from hhht_power.db import loaded_instance, planned_cursor

from .models import User


@cache
def _fingerprint_sql() -> str:
    """What a user is as PostgreSQL has it: a digest of its row (password, activity, organisation,
    administrator flag... every column) and of its roles, for the user ``u``."""
    q = connection.ops.quote_name
    roles = User.roles.field
    return (
        f"md5(u::text || '/' || COALESCE((SELECT string_agg(x.{q(roles.m2m_reverse_name())}, ',' "
        f"ORDER BY x.{q(roles.m2m_reverse_name())}) FROM {q(roles.m2m_db_table())} x "
        f"WHERE x.{q(roles.m2m_column_name())} = u.{q(User._meta.pk.column)}), ''))"
    )


@cache
def _token_sql() -> str:
    """One row per role of the token's user (one row with no role when it has none), with the user's
    fingerprint on PostgreSQL (elsewhere, SQLite for ``make run``, nothing is remembered)."""
    q = connection.ops.quote_name
    user = User._meta
    roles = User.roles.field
    columns = ", ".join(f"u.{q(f.column)}" for f in user.concrete_fields)
    fingerprint = _fingerprint_sql() if connection.vendor == "postgresql" else "NULL"
    return (
        f"SELECT t.{q('created')}, {columns}, {fingerprint}, r.{q(roles.m2m_reverse_name())} "
        f"FROM {q(Token._meta.db_table)} t "
        f"JOIN {q(user.db_table)} u ON u.{q(user.pk.column)} = t.{q('user_id')} "
        f"LEFT JOIN {q(roles.m2m_db_table())} r ON r.{q(roles.m2m_column_name())} = u.{q(user.pk.column)} "
        f"WHERE t.{q('key')} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same header, same answers), reading the token, its user and the
    user's roles in one planned statement: DRF's reads the token and user, and ``User.role_codes``
    would read the roles in a second query on every API request. Each success is remembered for the
    hot reads (``remembered``)."""

    def authenticate_credentials(self, key):
        with planned_cursor() as cursor:
            cursor.execute(_token_sql(), [key])
            rows = cursor.fetchall()
        if not rows:
            forget(key)
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        n = len(_user_attnames())
        values, fingerprint = rows[0][1 : 1 + n], rows[0][1 + n]
        codes = tuple(row[-1] for row in rows if row[-1] is not None)
        user, token = _authenticated(key, rows[0][0], values, codes)
        if not user.is_active:
            forget(key)
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if fingerprint is not None:
            _remember(key, _Remembered(rows[0][0], values, codes, fingerprint))
        return user, token


@cache
def _user_attnames() -> list[str]:
    return [f.attname for f in User._meta.concrete_fields]


def _authenticated(key, created, values, codes):
    user = loaded_instance(User, _user_attnames(), values)
    user.set_role_codes(codes)
    token = loaded_instance(Token, ("key", "user_id", "created"), (key, user.pk, created))
    Token.user.field.set_cached_value(token, user)
    return user, token


# Remembered authentications -------------------------------------------------------------------------------
# The API's hot reads (a page of cases, one case) authenticate a token seen before without a query of
# their own: they take the user remembered from its last authentication, and their statement reads the
# data only if the token still exists and its user's row and roles are still what was remembered (the
# guard, checked by PostgreSQL in the same snapshot as the data). When the guard fails, the view
# forgets the token and authenticates it the usual way (401 for a deleted token or an inactive user).
@dataclass(frozen=True)
class _Remembered:
    created: object
    values: tuple
    codes: tuple
    fingerprint: str


@dataclass(frozen=True)
class TokenGuard:
    """The condition a hot read adds to its statement (``sql``, with its ``params``)."""

    key: str
    user_id: int
    fingerprint: str

    @staticmethod
    @cache
    def sql() -> str:
        q = connection.ops.quote_name
        return (
            f"EXISTS (SELECT 1 FROM {q(Token._meta.db_table)} t JOIN {q(User._meta.db_table)} u "
            f"ON u.{q(User._meta.pk.column)} = t.{q('user_id')} WHERE t.{q('key')} = %(guard_key)s "
            f"AND u.{q(User._meta.pk.column)} = %(guard_user)s AND {_fingerprint_sql()} = %(guard_fp)s)"
        )

    @property
    def params(self) -> dict:
        return {"guard_key": self.key, "guard_user": self.user_id, "guard_fp": self.fingerprint}


REMEMBERED_TOKENS = 1024  # per process; the least recently used is forgotten first
_remembered: OrderedDict[str, _Remembered] = OrderedDict()
_lock = threading.Lock()


def _remember(key: str, found: _Remembered) -> None:
    with _lock:
        _remembered[key] = found
        _remembered.move_to_end(key)
        while len(_remembered) > REMEMBERED_TOKENS:
            _remembered.popitem(last=False)


def forget(key: str) -> None:
    with _lock:
        _remembered.pop(key, None)


def remembered(request):
    """``(user, token, guard)`` for the request's token if it was authenticated before in this process,
    else None. The user is a new instance each time (nothing one request caches on it reaches another);
    it may be out of date, which the read's ``guard`` finds out."""
    # The header from the WSGI environment itself: DRF's ``get_authorization_header`` builds the
    # request's whole ``headers`` mapping to read it.
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0].lower() != TokenAuthentication.keyword.lower():
        return None
    key = header[1]
    with _lock:
        found = _remembered.get(key)
        if found is not None:
            _remembered.move_to_end(key)
    if found is None:
        return None
    user, token = _authenticated(key, found.created, found.values, found.codes)
    return user, token, TokenGuard(key, user.pk, found.fingerprint)
