import factory
from django.utils import timezone

from tests.factories import UserFactory


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article; ``ArticleFactory(draft=True)`` makes a draft."""

    class Meta:
        model = "blog.Article"

    class Params:
        draft = factory.Trait(is_published=False, published_at=None)

    title = factory.Sequence(lambda number: f"Article {number:04d}")
    slug = factory.Sequence(lambda number: f"article-{number:04d}")
    body = "First paragraph of the article.\n\nSecond paragraph, with a link: https://example.com/page"
    author = factory.SubFactory(UserFactory, roles=["blog_manager"])
    is_published = True
    published_at = factory.LazyFunction(timezone.now)


def blog_manager(**kwargs):
    return UserFactory(roles=["blog_manager"], **kwargs)
