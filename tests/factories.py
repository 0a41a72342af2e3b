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


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "shop.Category"
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda number: f"Category {number}")
    slug = factory.Sequence(lambda number: f"category-{number}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "shop.Product"

    name = factory.Sequence(lambda number: f"Product {number:04d}")
    price = 1000
    category = factory.SubFactory(CategoryFactory)
    company = "Acme"
    stock = 10
    is_active = True
    description = "A fine product."


class OrderFactory(factory.django.DjangoModelFactory):
    """An order with one line per given product: ``OrderFactory(products=[a, b])``."""

    class Meta:
        model = "shop.Order"
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    total = 0

    @factory.post_generation
    def products(self, create: bool, extracted: list | None, **kwargs) -> None:
        from shop.models import OrderItem

        if not create or not extracted:
            return
        items = [
            OrderItem(order=self, product=product, product_name=product.name, price=product.price, quantity=1)
            for product in extracted
        ]
        OrderItem.objects.bulk_create(items)
        self.total = sum(item.price for item in items)
        self.save(update_fields=["total"])
