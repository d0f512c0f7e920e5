"""``hhht_power.db.loaded_instance``: the instances the hand-written reads build are those ``from_db``
builds, and nothing that ``Model.__init__`` would have run for them is missed."""

import pytest
from django.db.models.signals import post_init, pre_init
from rest_framework.authtoken.models import Token

from accounts.models import User
from applications.models import Application, Document
from hhht_power.db import loaded_instance
from tests.applications.factories import ApplicationFactory

READ_THIS_WAY = [Application, Document, User, Token]


@pytest.mark.parametrize("model", READ_THIS_WAY, ids=lambda m: m.__name__)
def test_no_receiver_of_init_signals_is_skipped(model):
    """``loaded_instance`` sends neither signal: a receiver added for one of these models (an image
    field's dimensions, a library's bookkeeping) must make these reads use ``from_db`` again."""
    assert not pre_init.has_listeners(model)
    assert not post_init.has_listeners(model)


@pytest.mark.django_db
def test_the_same_instance_as_from_db():
    application = ApplicationFactory()
    names = [f.attname for f in Application._meta.concrete_fields]
    values = [getattr(application, n) for n in names]
    orm, ours = Application.from_db("default", names, values), loaded_instance(Application, names, values)

    assert {k: v for k, v in vars(ours).items() if k != "_state"} == {
        k: v for k, v in vars(orm).items() if k != "_state"
    }
    assert (ours._state.adding, ours._state.db) == (orm._state.adding, orm._state.db) == (False, "default")
    # The state the optimistic lock compares with on save is remembered too.
    assert ours._ConcurrentTransitionMixin__initial_states == {"state": application.state}


@pytest.mark.django_db
def test_fields_not_given_are_deferred_and_loaded_on_access():
    application = ApplicationFactory()
    manager = loaded_instance(User, ("id", "username"), (application.customer_id, "someone"))

    assert manager.get_deferred_fields() >= {"real_name", "password"}
    assert manager.real_name == application.customer.real_name  # read from the database when asked


@pytest.mark.django_db
def test_an_instance_loaded_this_way_saves():
    application = ApplicationFactory()
    names = [f.attname for f in User._meta.concrete_fields]
    user = loaded_instance(User, names, [getattr(application.customer, n) for n in names])
    user.real_name = "改过的名字"
    user.save(update_fields=["real_name"])

    assert User.objects.get(pk=user.pk).real_name == "改过的名字"
