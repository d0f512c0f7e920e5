"""What the state machines of cases and permit tasks check the same way."""

from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed


def require_state(obj, name: str) -> None:
    """Refuse (``TransitionNotAllowed``, a 409) a transition ``name`` that cannot start from ``obj``'s
    state, naming that state; the transition's conditions are checked afterwards, each with its own
    message."""
    if not can_proceed(getattr(obj, name), check_conditions=False):
        raise TransitionNotAllowed(
            _("当前状态“%(state)s”下不能执行此操作。") % {"state": obj.get_state_display()}
        )
