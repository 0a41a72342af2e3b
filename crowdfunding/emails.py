"""The crowdfunding section's emails: each is built from ``crowdfunding/emails/<name>`` templates and
sent once the transaction that caused it commits (``on_commit``), one email per person.

Every email is ``robust``: a mail server refusing one recipient neither undoes the committed change
nor keeps the others from getting theirs. Emails to an author name a donor only through
``selectors.donor_name`` ("Anonymous" when asked), and a donor's email lists only their own pledges.
"""

from functools import partial
from typing import Any

from django.db import transaction
from django.utils.functional import Promise

from accounts.models import User
from core.emails import email_send
from crowdfunding import selectors
from crowdfunding.models import Application, Donation, Project, Role

TEMPLATES = "crowdfunding/emails"


def _send_on_commit(*, user: User | None, template: str, context: dict[str, Any]) -> None:
    if user is None or not user.email:
        return
    transaction.on_commit(
        partial(
            email_send,
            to=[user.email],
            template=f"{TEMPLATES}/{template}",
            context={"user": user, **context},
        ),
        robust=True,
    )


def _team(project: Project) -> list[User]:
    """The accepted members of the project's team (specialists and followers), each once."""
    members: dict[int, User] = {}
    accepted = Application.objects.filter(project=project, status=Application.Status.ACCEPTED).select_related(
        "applicant"
    )
    for application in accepted:
        members.setdefault(application.applicant_id, application.applicant)
    return list(members.values())


def _donors(project: Project) -> list[tuple[User, list[Donation]]]:
    """Each donor (whose account still exists) with their own donations to the project."""
    donors: dict[int, tuple[User, list[Donation]]] = {}
    for donation in Donation.objects.filter(project=project, donor__isnull=False).select_related("donor", "tier"):
        assert donation.donor is not None  # filtered above
        donors.setdefault(donation.donor.pk, (donation.donor, []))[1].append(donation)
    return list(donors.values())


def project_closed_notify(*, project: Project) -> None:
    """The deadline has passed: tell the author, the team and every donor whether it was funded."""
    context = {"project": project, "funded": project.status == Project.Status.FUNDED}
    _send_on_commit(user=project.author, template="closed_author", context=context)
    for member in _team(project):
        _send_on_commit(user=member, template="closed_member", context=context)
    for donor, donations in _donors(project):
        total = sum(donation.amount for donation in donations)
        _send_on_commit(
            user=donor, template="closed_donor", context={**context, "donations": donations, "total": total}
        )


def project_cancelled_notify(*, project: Project, reason: str, linked: bool = True, tell_author: bool = False) -> None:
    """The project was cancelled: its team and donors are told (donors that their pledges are refunded),
    and its author too when a moderator cancelled it (``tell_author``).

    ``linked``: False when the project is about to be deleted (its author's account goes), so the
    email does not point to a page that will answer 404.
    """
    context = {"project": project, "reason": reason, "linked": linked}
    if tell_author:
        _send_on_commit(user=project.author, template="cancelled", context={**context, "donations": []})
    for member in _team(project):
        _send_on_commit(user=member, template="cancelled", context={**context, "donations": []})
    for donor, donations in _donors(project):
        total = sum(donation.amount for donation in donations)
        _send_on_commit(user=donor, template="cancelled", context={**context, "donations": donations, "total": total})


def donation_received_notify(*, donation: Donation) -> None:
    """Tell the author about a new pledge; an anonymous donor is not named."""
    project = donation.project
    context = {"project": project, "donation": donation, "donor_name": selectors.donor_name(donation)}
    _send_on_commit(user=project.author, template="donation_received", context=context)


def _role_label(role: str) -> str | Promise:
    """The role's name (translated when the email renders); empty for a follower."""
    return Role(role).label if role in Role.values else ""


def application_submitted_notify(*, application: Application) -> None:
    """Tell the author someone wants to join the team."""
    project = application.project
    context = {"project": project, "application": application, "role_label": _role_label(application.role)}
    _send_on_commit(user=project.author, template="application_submitted", context=context)


def application_decided_notify(*, application: Application, accepted: bool) -> None:
    """Tell the applicant the author's answer."""
    context = {
        "project": application.project,
        "application": application,
        "accepted": accepted,
        "role_label": _role_label(application.role),
    }
    _send_on_commit(user=application.applicant, template="application_decided", context=context)
