"""``{% live_preview site=site %}`` / ``{% live_preview template=template %}``: the live preview block
(Run / Stop, status, countdown, the sandboxed frame) for the signed-in viewer."""

from typing import Any

from django import template as django_template
from django.conf import settings
from django.urls import reverse

from sitestore import previews, proxy
from sitestore.models import Preview, SiteTemplate, UserSite

register = django_template.Library()


@register.inclusion_tag("sitestore/_preview.html", takes_context=True)
def live_preview(
    context: dict[str, Any], *, site: UserSite | None = None, template: SiteTemplate | None = None
) -> dict[str, Any]:
    request = context["request"]
    preview = previews.preview_current(user=request.user, site=site, template=template)
    if site is not None:
        run_url = reverse("sitestore:site-run", args=[site.pk])
        stop_url = reverse("sitestore:site-stop", args=[site.pk])
    else:
        assert template is not None
        run_url = reverse("sitestore:demo-run", args=[template.pk])
        stop_url = reverse("sitestore:demo-stop", args=[template.pk])
    running = preview is not None and preview.status == Preview.Status.RUNNING
    return {
        "preview": preview,
        "running": running,
        "live_url": proxy.live_url(preview) if running and preview is not None else "",
        "run_url": run_url,
        "stop_url": stop_url,
        "ttl_minutes": settings.SITE_PREVIEW_TTL // 60,
        "csrf_token": context.get("csrf_token"),
    }
