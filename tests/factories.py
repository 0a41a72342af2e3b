import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User

PASSWORD = "Secret$Pass1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda number: f"person{number}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    phone = factory.Sequence(lambda number: f"+7912{number:07d}")
    last_name = "Ivanova"
    first_name = factory.Sequence(lambda number: f"Anna{number}")
    middle_name = ""
    is_active = True
    email_confirmed_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs) -> None:
        if not create:
            return
        for name in ["user", *(extracted or [])]:
            # get_or_create: transactional tests flush the groups the data migration made.
            self.groups.add(Group.objects.get_or_create(name=name)[0])
        self.save()
