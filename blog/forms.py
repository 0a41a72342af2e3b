from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from blog.services import BODY_MAX, TITLE_MAX


class ArticleForm(forms.Form):
    """The page form; the rules (lengths, image checks, schedule) live in ``blog.services``."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Text"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Plain text: an empty line starts a new paragraph; links become clickable."),
    )
    image = forms.ImageField(
        label=_("Preview image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )
    remove_image = forms.BooleanField(label=_("Remove the current image"), required=False)
    is_published = forms.BooleanField(label=_("Publish now"), required=False)
    publish_at = forms.DateTimeField(
        label=_("Or publish automatically at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, editing: bool = False, has_image: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not at import, so they are translated into the visitor's language.
        image_help = _("PNG, JPEG, GIF or WebP, at most %(mb)s MB; resized to at most %(side)s px.")
        self.fields["image"].help_text = image_help % {
            "mb": settings.BLOG_IMAGE_MAX_MB,
            "side": settings.BLOG_IMAGE_MAX_SIDE,
        }
        self.fields["publish_at"].help_text = _("Time zone: %(zone)s. Leave both empty to keep a draft.") % {
            "zone": settings.TIME_ZONE
        }
        if not has_image:
            del self.fields["remove_image"]
        if editing:
            self.fields["is_published"].label = _("Published")
