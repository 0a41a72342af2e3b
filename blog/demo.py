"""Demo blog for `fill`: ten published articles with preview images, a draft and a scheduled one.

Idempotent: articles are recognised by title, so a second `fill` adds nothing; `--scale N` tops the
blog up to ``10 × N`` published articles (the extra ones are short team notes without a picture).
"""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageOps

from accounts.models import User
from blog.cache import blog_cache_clear
from blog.models import Article
from blog.services import article_create
from core.permissions import BLOG_MANAGER_GROUP

ARTICLES = [
    (
        "Welcome to Agora",
        "Agora puts a shop, a site-template store, a messenger, crowdfunding for beginner bloggers and an "
        "email mailing service under one roof. One account opens all of them, and one profile keeps your "
        "name, avatar and settings in one place.\n\n"
        "In this blog the team writes about what is new on the platform, how to get the most out of each "
        "section, and what we are working on next. Articles appear here as soon as they are published; "
        "the mailings section also shows three of them picked at random on its front page.\n\n"
        "Questions and ideas are welcome: write to us in the messenger or from the feedback page of the "
        "site store. We read everything.",
        ("#0d6efd", "#6f42c1"),
    ),
    (
        "Five habits of bloggers who keep going",
        "Most new blogs stop after their third post. The ones that survive share a few habits.\n\n"
        '1. They publish on a schedule their readers can learn: every Tuesday beats "when I have time".\n'
        "2. They keep a list of ideas and never start from a blank page.\n"
        "3. They write for one reader they can picture, not for everybody.\n"
        "4. They answer every comment during the first months.\n"
        "5. They look at their numbers once a month, not every hour.\n\n"
        "None of this needs talent. It needs a calendar and a little stubbornness — and, if you want to "
        "grow faster, a small team: that is what the crowdfunding section is for.",
        ("#198754", "#20c997"),
    ),
    (
        "How the crowdfunding budget is calculated",
        "Every project in the crowdfunding section comes with a budget that is recalculated on each edit, "
        "so authors and donors see exactly where the money goes.\n\n"
        "The specialists' pay is the sum, over all roles, of headcount × monthly salary × months. Followers "
        "who promote the blog are paid per person according to how often you post and on how many sites. "
        "Together they make the funding goal.\n\n"
        "The budget also tells you the price of the product the blog will sell and how many copies must be "
        "sold to cover the costs. Change the number of months or sites and watch the figures move before "
        "you publish the project.",
        ("#fd7e14", "#dc3545"),
    ),
    (
        "Email campaigns that people actually open",
        "A mailing is only as good as its subject line. Keep it under fifty characters, say what is inside, "
        "and never promise what the email does not deliver.\n\n"
        "Send at the time your clients read mail: the mailing service computes send times in your own time "
        'zone, so a "daily at 9:00" mailing stays at nine even when the clocks change.\n\n'
        "Finally, make leaving easy. Every email from Agora carries a one-click unsubscribe link; people who "
        "can leave freely trust you more, and your statistics stay honest.",
        ("#0dcaf0", "#0d6efd"),
    ),
    (
        "Choosing a site template for your first project",
        "The site store has templates for news sites, forums, shops, blogs, landing pages and portfolios. "
        "Before buying, start the live demo: it runs the real site for ten minutes, just for you.\n\n"
        "A landing page is enough to test an idea. A blog template suits regular writing, and a forum "
        "needs an audience that already exists. If you are unsure, begin small — you can buy another "
        "template later and keep both running.\n\n"
        'After the purchase the site appears under "My sites" with its development stage, and you can '
        "download its files at any moment.",
        ("#6610f2", "#d63384"),
    ),
    (
        "Shop update: price history and discounts",
        "Every product page now shows the lowest and the highest price of the last 30 days, so you can tell "
        "a real discount from a decorative one.\n\n"
        "When a discount runs, the old price is shown struck through next to the new one, together with the "
        "percentage. Discounts end on their own: the price returns automatically when the promotion is over.\n\n"
        'The "bought together" and "for you" suggestions learn from what people order, so they get better '
        "the more the shop is used.",
        ("#ffc107", "#fd7e14"),
    ),
    (
        "Working as a team in the messenger",
        "Group chats are the quickest way to run a small project. Create a chat, add people by their "
        "usernames and share files up to 16 MB — documents, pictures, archives.\n\n"
        "Messages appear for everyone within a couple of seconds, and unread counts stay right even with "
        "several tabs open. You can edit or delete your own messages at any time.\n\n"
        "The chat's owner decides who stays: removing a member takes away their access to the history and "
        "the files at once.",
        ("#20c997", "#0dcaf0"),
    ),
    (
        "Keeping your account safe",
        "A strong password on Agora is at least eight characters long, uses Latin letters with at least one "
        "capital, and contains one of the symbols $ % & ! or :.\n\n"
        "After five wrong attempts the login is paused for fifteen minutes, which stops password guessing. "
        "You can be signed in on three devices at most; a fourth login ends the oldest session.\n\n"
        "If you forget your password, the reset link in your email works once and only for fifteen minutes.",
        ("#212529", "#6c757d"),
    ),
    (
        "What we learned from the first hundred projects",
        "The projects that reached their goal had three things in common: a clear idea in two sentences, "
        "a realistic team, and an author who answered donors quickly.\n\n"
        "Projects asking for a dozen specialists from day one rarely got funded. Those that started with a "
        "copywriter and a graphic designer, and added people later, did much better.\n\n"
        "Reward tiers helped too: a limited edition or an early copy of the product gives donors a reason "
        "to act now rather than later.",
        ("#d63384", "#6f42c1"),
    ),
    (
        "Agora's roadmap for the coming months",
        "Next on our list: better statistics for mailings, more site templates, and richer profiles for "
        "crowdfunding specialists so that authors find the right people faster.\n\n"
        "We are also working on the mobile layout of every section and on faster search in the shop.\n\n"
        "Tell us what matters most to you — the roadmap is shaped by what our users ask for.",
        ("#0d6efd", "#198754"),
    ),
]
DRAFT = (
    "Draft: ideas for the autumn newsletter",
    "Collect the best articles of the season, a short note from the team and three tips for authors.\n\n"
    "To do: pick the pictures and check the links.",
)
SCHEDULED = (
    "Coming soon: templates for online courses",
    "Course authors asked for it, and it is nearly ready: a site template with lessons, progress tracking "
    "and a simple payment page. This article publishes itself when the template goes live.",
)
NOTE = (
    "This week the team fixed small things all over the platform: clearer error messages, faster pages "
    "and a few layout details on phones.\n\nThank you for every report — keep them coming."
)


def _preview(colors: tuple[str, str]) -> SimpleUploadedFile:
    """A 1200×630 gradient in the article's colours (demo pictures are drawn, not downloaded)."""
    gradient = Image.linear_gradient("L").rotate(45, expand=True).resize((1200, 630))
    image = ImageOps.colorize(gradient, colors[0], colors[1])
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=80)
    return SimpleUploadedFile("preview.jpg", output.getvalue(), content_type="image/jpeg")


def _author() -> User | None:
    """The demo blog manager "blogger", else any blog manager or superuser."""
    people = User.objects.filter(is_active=True)
    return (
        people.filter(username="blogger").first()
        or people.filter(groups__name=BLOG_MANAGER_GROUP).order_by("pk").first()
        or people.filter(is_superuser=True).order_by("pk").first()
    )


def fill(*, scale: int, stdout) -> None:
    author = _author()
    if author is None:
        stdout.write("No blog manager to write the demo articles; blog skipped.")
        return
    wanted = len(ARTICLES) * scale
    existing = set(Article.objects.values_list("title", flat=True))
    now = timezone.now()
    created = 0
    for index in range(wanted):
        if index < len(ARTICLES):
            title, body, colors = ARTICLES[index]
        else:
            title, body, colors = f"Notes from the team #{index - len(ARTICLES) + 1}", NOTE, None
        if title in existing:
            continue
        article = article_create(
            actor=author, title=title, body=body, image=_preview(colors) if colors else None, is_published=True
        )
        # Spread the demo over the past weeks, the first article the oldest.
        Article.objects.filter(pk=article.pk).update(published_at=now - timedelta(days=2 * (wanted - index)))
        created += 1
    for (title, body), publish_at in ((DRAFT, None), (SCHEDULED, now + timedelta(days=3))):
        if title not in existing:
            article_create(actor=author, title=title, body=body, publish_at=publish_at)
            created += 1
    if created:
        blog_cache_clear()  # the dates above were moved without the services
        stdout.write(f"Demo blog: {created} articles by {author.username}.")
