"""Scheduled jobs of the blog (declared in ``core.schedule``)."""

from blog import services


def publish_scheduled_articles() -> int:
    return services.articles_publish_scheduled()
