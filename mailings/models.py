from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.timezones import validate_time_zone

# Migration 0001 names the validator by this path.
time_zone_validate = validate_time_zone


class Client(TimeStampedModel):
    """A recipient of one owner's mailings."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_clients")
    email = models.EmailField(_("email"))
    full_name = models.CharField(_("full name"), max_length=200)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("email"),
                name="mailings_client_email_unique_per_owner",
                violation_error_message=_("You already have a client with this email."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"


class MailMessage(TimeStampedModel):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_messages")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body (plain text)"))
    body_html = models.TextField(_("body (HTML, optional)"), blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class Mailing(TimeStampedModel):
    class Periodicity(models.TextChoices):
        ONCE = "once", _("once")
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")
        MONTHLY = "monthly", _("monthly")

    class Status(models.TextChoices):
        CREATED = "created", _("created")
        RUNNING = "running", _("running")
        # Stopped by its owner or disabled by a manager: nothing is scheduled (``is_active`` is
        # False too) until it is resumed.
        STOPPED = "stopped", _("stopped")
        COMPLETED = "completed", _("completed")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailings")
    message = models.ForeignKey(MailMessage, on_delete=models.PROTECT, related_name="mailings")
    clients = models.ManyToManyField(Client, related_name="mailings")
    start_at = models.DateTimeField(_("first send"))
    end_at = models.DateTimeField(_("end"))
    periodicity = models.CharField(_("periodicity"), max_length=10, choices=Periodicity.choices)
    # Send times repeat in this zone, so daylight-saving changes neither skip nor double a send.
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CREATED)
    is_active = models.BooleanField(_("active"), default=True)
    next_send_at = models.DateTimeField(_("next send"), null=True, blank=True, db_index=True)
    disabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=models.F("start_at")), name="mailings_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.message.subject} ({self.get_periodicity_display()})"


class MailingRun(models.Model):
    """One scheduled send of a mailing: the slot time identifies it, so it is created once.

    The sender executing a run holds a lease: ``claimed_by`` names it and ``heartbeat_at`` is
    renewed with every recipient. A lease older than ``MAILINGS_SENDER_LEASE_SECONDS`` belongs to
    a dead sender: the job then marks its in-flight delivery ``unknown`` and resumes the run.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        # Every recipient has an outcome, but some deliveries were cut off by a crash: the owner
        # decides whether to send them again.
        FINISHED_WITH_UNKNOWN = "finished_with_unknown", _("finished, some deliveries unknown")
        # The mailing was stopped while the run was sending: recipients not reached by then get
        # no attempt and are not sent later.
        STOPPED = "stopped", _("stopped before every recipient")

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="runs")
    scheduled_for = models.DateTimeField(_("scheduled for"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(_("recipients"), default=0)
    manual = models.BooleanField(_("sent now by hand"), default=False)
    claimed_by = models.CharField(_("sender"), max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(_("sender last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["-scheduled_for", "-id"]
        constraints = [models.UniqueConstraint(fields=["mailing", "scheduled_for"], name="mailings_one_run_per_slot")]

    def __str__(self) -> str:
        return f"{self.mailing} @ {self.scheduled_for:%Y-%m-%d %H:%M}"


class Attempt(models.Model):
    """The delivery of one run to one client; unique, so no (mailing, client, run) is sent twice."""

    class Status(models.TextChoices):
        SENDING = "sending", _("sending")
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")
        SKIPPED = "skipped", _("skipped (unsubscribed)")
        # The sender died during the SMTP conversation: the email may or may not have arrived.
        UNKNOWN = "unknown", _("unknown (sender stopped mid-delivery)")

    run = models.ForeignKey(MailingRun, on_delete=models.CASCADE, related_name="attempts")
    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="attempts")
    client = models.ForeignKey(Client, null=True, on_delete=models.SET_NULL, related_name="attempts")
    email = models.EmailField(_("email"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENDING)
    response = models.TextField(_("server response"), blank=True)
    attempted_at = models.DateTimeField(_("attempted at"), auto_now=True, db_index=True)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-attempted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "client"], name="mailings_one_attempt_per_run_and_client")
        ]
        indexes = [models.Index(fields=["mailing", "-id"])]

    def __str__(self) -> str:
        return f"{self.email}: {self.status}"


class Unsubscribe(models.Model):
    """An address that asked to receive nothing more from this owner."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("email"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("unsubscribe")
        verbose_name_plural = _("unsubscribes")
        constraints = [
            models.UniqueConstraint("owner", Lower("email"), name="mailings_one_unsubscribe_per_owner_email")
        ]

    def __str__(self) -> str:
        return self.email
