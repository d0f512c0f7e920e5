"""API token authentication in one query: the token, its user and the user's role codes."""

from functools import cache

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from hhht_power.db import planned_cursor

from .models import User


@cache
def _token_sql() -> str:
    """One row per role of the token's user (one row with no role when it has none)."""
    q = connection.ops.quote_name
    user = User._meta
    roles = User.roles.field
    columns = ", ".join(f"u.{q(f.column)}" for f in user.concrete_fields)
    return (
        f"SELECT t.{q('created')}, {columns}, r.{q(roles.m2m_reverse_name())} "
        f"FROM {q(Token._meta.db_table)} t "
        f"JOIN {q(user.db_table)} u ON u.{q(user.pk.column)} = t.{q('user_id')} "
        f"LEFT JOIN {q(roles.m2m_db_table())} r ON r.{q(roles.m2m_column_name())} = u.{q(user.pk.column)} "
        f"WHERE t.{q('key')} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same header, same answers), reading the token, its user and the
    user's roles in one planned statement: DRF's reads the token and user, and ``User.role_codes``
    would read the roles in a second query on every API request."""

    def authenticate_credentials(self, key):
        with planned_cursor() as cursor:
            cursor.execute(_token_sql(), [key])
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        fields = User._meta.concrete_fields
        user = User.from_db(connection.alias, [f.attname for f in fields], rows[0][1 : 1 + len(fields)])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        user.set_role_codes(row[-1] for row in rows if row[-1] is not None)
        token = Token(key=key, user=user, created=rows[0][0])
        token._state.adding, token._state.db = False, connection.alias
        return user, token
