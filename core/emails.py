"""Every outgoing email has a plain-text and an HTML part, both rendered from templates."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def email_build(
    *,
    to: list[str],
    template: str,
    context: dict,
    language: str | None = None,
    headers: dict[str, str] | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    """Render ``<template>_subject.txt``, ``<template>.txt`` and ``<template>.html`` into one email.

    ``connection`` lets a batch job send many emails through one SMTP connection.
    """
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or translation.get_language()):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text_body = render_to_string(f"{template}.txt", context)
        html_body = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text_body, to=to, headers=headers, connection=connection)
    message.attach_alternative(html_body, "text/html")
    return message


def email_send(*, to: list[str], template: str, context: dict, language: str | None = None) -> int:
    """Render the email (see ``email_build``) and send it."""
    return email_build(to=to, template=template, context=context, language=language).send()
