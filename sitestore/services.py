"""Every write of the site store goes through these functions."""

import logging
import shutil
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.emails import email_send
from core.services import audit_record, changes_apply
from sitestore import previews, selectors
from sitestore.models import Preview, SiteTemplate, StageChange, TemplateCartItem, UserSite

logger = logging.getLogger(__name__)

STAGE_ORDER: list[str] = list(UserSite.Stage.values)


# --- Templates (admin) ---------------------------------------------------------------------

TEMPLATE_FIELDS = (
    "name",
    "slug",
    "kind",
    "about",
    "explanation",
    "price",
    "features",
    "screenshots",
    "bundle",
    "is_published",
)


def _template_changes(template: SiteTemplate, data: dict[str, Any]) -> list[str]:
    """Apply ``data`` in memory and validate it; a published template needs a sound bundle."""
    fields = changes_apply(template, data, allowed=TEMPLATE_FIELDS)
    if template.is_published:
        problems = selectors.template_bundle_problems(template)
        if problems:
            raise ValidationError({"bundle": problems})
    return fields


def template_create(*, data: dict[str, Any], actor: User | None, request: HttpRequest | None = None) -> SiteTemplate:
    template = SiteTemplate()
    fields = _template_changes(template, data)
    with transaction.atomic():
        template.save()
        audit_record(
            action="sitestore.template_created",
            actor=actor,
            target=template,
            request=request,
            details={"fields": fields},
        )
    return template


def template_update(
    *, template: SiteTemplate, data: dict[str, Any], actor: User | None, request: HttpRequest | None = None
) -> SiteTemplate:
    with transaction.atomic():
        current = SiteTemplate.objects.select_for_update().get(pk=template.pk)
        fields = _template_changes(current, data)
        if fields:
            current.save(update_fields=[*fields, "updated_at"])
            audit_record(
                action="sitestore.template_updated",
                actor=actor,
                target=current,
                request=request,
                details={"fields": fields},
            )
    template.refresh_from_db()
    return template


def template_delete(*, template: SiteTemplate, actor: User | None, request: HttpRequest | None = None) -> None:
    """Delete a template nobody bought; one with sold sites is refused (the sites are built on it)."""
    with transaction.atomic():
        if UserSite.objects.filter(template=template).exists():
            raise ValidationError(_("“%(name)s” has been bought; unpublish it instead.") % {"name": template.name})
        audit_record(
            action="sitestore.template_deleted",
            actor=actor,
            target=template,
            request=request,
            details={"name": template.name},
        )
        template.delete()


def templates_set_published(
    *, templates: QuerySet[SiteTemplate], published: bool, actor: User | None, request: HttpRequest | None = None
) -> tuple[int, dict[str, list[str]]]:
    """Publish or unpublish templates; returns how many changed and, by name, why the others were refused.

    A template is published only when its bundle is sound, so nobody can buy or run a broken site.
    """
    refused: dict[str, list[str]] = {}
    with transaction.atomic():
        ids = []
        for template in templates.select_for_update().exclude(is_published=published):
            problems = selectors.template_bundle_problems(template) if published else []
            if problems:
                refused[template.name] = problems
            else:
                ids.append(template.pk)
        if ids:
            SiteTemplate.objects.filter(pk__in=ids).update(is_published=published, updated_at=timezone.now())
            audit_record(
                action="sitestore.templates_published" if published else "sitestore.templates_unpublished",
                actor=actor,
                request=request,
                details={"templates": ids},
            )
    return len(ids), refused


# --- Template cart -------------------------------------------------------------------------


def _template_for_sale(template: SiteTemplate) -> SiteTemplate:
    """The template as it is now in the database, refused when it is not (or no longer) for sale."""
    current = SiteTemplate.objects.filter(pk=template.pk, is_published=True).first()
    if current is None:
        raise ValidationError({"template": [_("The template “%(name)s” is not for sale.") % {"name": template.name}]})
    return current


def template_cart_add(*, user: User, template: SiteTemplate) -> TemplateCartItem:
    """Put a published template in the user's cart; adding it again changes nothing."""
    current = _template_for_sale(template)
    with transaction.atomic():
        item, _created = TemplateCartItem.objects.get_or_create(user=user, template=current)
    return item


def template_cart_remove(*, user: User, template: SiteTemplate) -> None:
    """Take a template out of the user's cart; removing one that is not there changes nothing."""
    with transaction.atomic():
        TemplateCartItem.objects.filter(user=user, template_id=template.pk).delete()


# --- Purchase ------------------------------------------------------------------------------


def _copy_bundle(*, source: Path, destination: Path) -> None:
    """Copy a template's files; links are left out so a bought site holds only its own files."""

    def links(directory: str, names: list[str]) -> list[str]:
        return [name for name in names if (Path(directory) / name).is_symlink()]

    # A leftover from a crash cannot belong to this brand-new row: start clean.
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(source, destination, symlinks=False, ignore=links)


def _next_site_name(*, owner: User, kind: str) -> str:
    """``<Kind> (n)``: n counts the owner's sites of that kind, this one included."""
    number = UserSite.objects.filter(owner=owner, template__kind=kind).count() + 1
    return f"{SiteTemplate.Kind(kind).label} ({number})"


def _sites_create(*, user: User, templates: list[SiteTemplate] | None, request: HttpRequest | None) -> list[UserSite]:
    """Buy every template or none: rows, purchase counts and copied files all go together.

    ``templates=None`` buys the user's cart, read under the buyer's lock so that a double submit
    buys it once. The files are copied inside the transaction; when anything fails, the
    directories made so far are removed again before the error propagates.
    """
    made: list[Path] = []
    try:
        with transaction.atomic():
            # One purchase at a time per buyer, so two purchases never get the same "<Kind> (n)".
            User.objects.select_for_update().filter(pk=user.pk).first()
            from_cart = templates is None
            if templates is None:
                templates = [item.template for item in selectors.cart_items_of(user)]
            if not templates:
                raise ValidationError({"cart": [_("Your template cart is empty.")]})
            sites = []
            for template in templates:
                current = _template_for_sale(template)
                source = selectors.template_bundle_directory(current)
                if not (source / "site.json").is_file():
                    raise ValidationError(
                        {
                            "template": [
                                _("The files of “%(name)s” are missing; please try later.") % {"name": current.name}
                            ]
                        }
                    )
                site = UserSite.objects.create(
                    owner=user,
                    template=current,
                    name=_next_site_name(owner=user, kind=current.kind),
                    about=current.about,
                    started_at=timezone.now(),
                )
                site.directory = f"sites/{site.pk}/"
                destination = selectors.site_directory(site)
                made.append(destination)
                _copy_bundle(source=source, destination=destination)
                site.save(update_fields=["directory", "updated_at"])
                SiteTemplate.objects.filter(pk=current.pk).update(purchases=F("purchases") + 1)
                audit_record(
                    action="sitestore.template_bought",
                    actor=user,
                    target=site,
                    request=request,
                    details={"template": current.pk, "price": current.price, "from_cart": from_cart},
                )
                sites.append(site)
            if from_cart:
                TemplateCartItem.objects.filter(user=user).delete()
    except BaseException:
        for directory in made:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    return sites


def template_buy(*, user: User, template: SiteTemplate, request: HttpRequest | None = None) -> UserSite:
    """Buy one template at once: a new ``UserSite`` with its own copy of the template's files."""
    return _sites_create(user=user, templates=[template], request=request)[0]


def template_cart_checkout(*, user: User, request: HttpRequest | None = None) -> list[UserSite]:
    """Buy everything in the user's template cart, all or nothing; the cart is emptied on success."""
    return _sites_create(user=user, templates=None, request=request)


# --- Stages --------------------------------------------------------------------------------


def stage_move_refusal(*, from_stage: str, to_stage: str, reopen: bool) -> str | None:
    """Why a site may not move between these stages, or None when it may (forms check it early too)."""
    if to_stage not in STAGE_ORDER:
        return _("Choose a valid stage.")
    from_index, to_index = STAGE_ORDER.index(from_stage), STAGE_ORDER.index(to_stage)
    to_label = UserSite.Stage(to_stage).label
    if to_index == from_index:
        return _("The site is already at the stage “%(stage)s”.") % {"stage": to_label}
    if to_index < from_index and not reopen:
        return _("A site only moves forward; reopen it to move it back to “%(stage)s”.") % {"stage": to_label}
    if to_index > from_index + 1:
        next_label = UserSite.Stage(STAGE_ORDER[from_index + 1]).label
        return _("A site moves one stage at a time: the next stage is “%(stage)s”.") % {"stage": next_label}
    return None


def site_stage_move(
    *,
    site: UserSite,
    to_stage: str,
    actor: User | None,
    note: str = "",
    reopen: bool = False,
    request: HttpRequest | None = None,
) -> StageChange:
    """Move a site to the next stage (staff only), or back when staff explicitly reopen it.

    Forward moves go one stage at a time, so the history shows every stage the site went through.
    Each move is kept with its author and date, audited, and emailed to the owner on commit.
    """
    if actor is None or not actor.is_staff:
        raise ValidationError(_("Only staff can change the stage of a site."))
    with transaction.atomic():
        current = UserSite.objects.select_for_update().select_related("owner").get(pk=site.pk)
        from_stage = current.stage
        refusal = stage_move_refusal(from_stage=from_stage, to_stage=to_stage, reopen=reopen)
        if refusal:
            raise ValidationError({"stage": [refusal]})
        from_index, to_index = STAGE_ORDER.index(from_stage), STAGE_ORDER.index(to_stage)
        to_label = UserSite.Stage(to_stage).label
        current.stage = to_stage
        current.save(update_fields=["stage", "updated_at"])
        change = StageChange.objects.create(
            site=current, from_stage=from_stage, to_stage=to_stage, actor=actor, note=note.strip()
        )
        audit_record(
            action="sitestore.stage_reopened" if to_index < from_index else "sitestore.stage_moved",
            actor=actor,
            target=current,
            request=request,
            details={"from": from_stage, "to": to_stage, "note": change.note},
        )
        owner = current.owner
        context = {
            "user": owner,
            "site": current,
            "from_stage": UserSite.Stage(from_stage).label,
            "to_stage": to_label,
            "note": change.note,
            "reopened": to_index < from_index,
        }
        transaction.on_commit(
            lambda: email_send(to=[owner.email], template="sitestore/emails/stage_changed", context=context)
        )
    site.refresh_from_db(fields=["stage", "updated_at"])
    return change


# --- Account deletion ----------------------------------------------------------------------


def owner_account_deleted(*, user: User) -> None:
    """Before an account is deleted (``ACCOUNTS_DELETE_HOOKS``): its sites' files go once it commits.

    The rows (sites, their history, previews, cart, bot messages and threads) go with the account
    by cascade; only the copied files live outside the database.
    """
    # Previews: their processes are stopped here, before the rows (the only record of them) cascade away.
    for preview in Preview.objects.filter(owner=user, status__in=Preview.ACTIVE_STATUSES):
        previews.preview_stop(preview=preview, reason="account deleted")
    directories = []
    for site in UserSite.objects.filter(owner=user).exclude(directory=""):
        try:
            directories.append(selectors.site_directory(site))
        except ValueError:
            # A record pointing outside the sites' root is never followed, even to delete it.
            logger.warning("Site %s has a directory outside the sites root; left alone.", site.pk)

    def remove() -> None:
        for directory in directories:
            shutil.rmtree(directory, ignore_errors=True)

    transaction.on_commit(remove)
