"""API token authentication: DRF's, reading the token, its user and the user's roles in one query, and
ending tokens left unused for ``settings.API_TOKEN_IDLE_DAYS`` days."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from .models import User

# How stale the recorded last use may be before a request records it again (one write an hour per token
# at most, instead of one per request); the idle expiry is counted from the recorded use.
USE_RECORDED_EVERY = timedelta(hours=1)
MESSAGE_EXPIRED = _("认证令牌已过期，请重新登录。")


def last_used(token: Token) -> datetime:
    """When ``token`` was last used, as recorded (its creation if never)."""
    used = token.user.api_token_used_at
    return max(token.created, used) if used else token.created


def is_expired(token: Token, now=None) -> bool:
    idle = timedelta(days=settings.API_TOKEN_IDLE_DAYS)
    return last_used(token) + idle < (now or timezone.now())


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same header, same answers). The token is read with its user and one
    row per role of the user (``role_code``), so ``user.role_codes`` needs no query of its own."""

    def authenticate_credentials(self, key):
        rows = list(
            self.get_model()
            .objects.select_related("user")
            .annotate(role_code=F("user__roles__code"))
            .filter(key=key)
        )
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user = rows[0], rows[0].user
        user.set_role_codes(row.role_code for row in rows if row.role_code)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        now = timezone.now()
        if is_expired(token, now):
            token.delete()
            raise exceptions.AuthenticationFailed(MESSAGE_EXPIRED)
        if now - last_used(token) > USE_RECORDED_EVERY:
            User.objects.filter(pk=user.pk).update(api_token_used_at=now)
            user.api_token_used_at = now
        return user, token
