"""factory_boy factories for the shared models. Apps add theirs in tests/<app>/factories.py."""

import factory

from accounts.models import Organisation, Role, User

TEST_PASSWORD = "Correct-Horse-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        org = None

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = factory.Sequence(lambda n: f"测试用户{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    organisation = factory.LazyAttribute(lambda u: Organisation.objects.get(code=u.org) if u.org else None)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        codes = extracted if extracted is not None else ["customer"]
        self.save()
        self.roles.set(Role.objects.filter(code__in=codes))
