"""Scheduled jobs of the crowdfunding section (declared in ``core.schedule``)."""

from crowdfunding import services


def close_due_projects() -> int:
    return services.projects_close_due()
