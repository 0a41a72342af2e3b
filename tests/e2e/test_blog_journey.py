"""The blog in real browsers: a blog manager writes a draft with a picture and publishes it; a reader,
who got 404 for the draft, then finds it in the list, opens it and is counted once."""

import pytest
from PIL import Image, ImageOps
from playwright.sync_api import expect

from blog.models import Article
from tests.blog.factories import ArticleFactory
from tests.e2e.helpers import fits_width
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

BODY = (
    "Our first meetup for beginner bloggers takes place on Saturday.\n\n"
    "Bring an idea, a laptop and ten minutes' worth of questions.\n"
    "Details and the map: https://example.com/meetup"
)


def test_a_blog_manager_writes_and_publishes_an_article_and_a_reader_opens_it(
    page, server_url, shot, other_page, console_errors, log_in, tmp_path
):
    for number in range(1, 4):
        ArticleFactory(title=f"Earlier article {number}", body="Earlier news from the team. " * 12)
    writer = UserFactory(roles=["blog_manager"], first_name="Ivan", last_name="Sidorov")
    reader = UserFactory(first_name="Olga", last_name="Smirnova")
    picture = tmp_path / "meetup.png"
    ImageOps.colorize(Image.linear_gradient("L").resize((2400, 1200)), "#0d6efd", "#6f42c1").save(picture)

    # The blog manager starts from the list: "New article" is offered to them.
    log_in(writer)
    page.goto(f"{server_url}/blog/")
    expect(page.locator("#article-list .article-card")).to_have_count(3)
    shot("01-list-as-blog-manager")
    page.locator("#new-article").click()
    expect(page).to_have_url(f"{server_url}/blog/new/")

    # An empty form is refused with the errors beside the fields.
    page.locator("#article-form button[type=submit]").click()
    expect(page.locator("#article-form .invalid-feedback")).to_have_count(2)
    shot("02-form-errors")

    page.locator("#id_title").fill("Meetup for beginner bloggers")
    page.locator("#id_body").fill(BODY)
    page.locator("#id_image").set_input_files(picture)
    shot("03-form-filled")
    page.locator("#article-form button[type=submit]").click()

    # Saved as a draft: the page says so, and the reader cannot see it.
    expect(page).to_have_url(f"{server_url}/blog/meetup-for-beginner-bloggers/")
    expect(page.locator(".alert-success")).to_contain_text("The draft is saved.")
    expect(page.locator("#article-status")).to_contain_text("Draft")
    expect(page.locator("#article-image")).to_be_visible()
    shot("04-draft")
    article = Article.objects.get(slug="meetup-for-beginner-bloggers")
    assert not article.is_published and article.image.width == 1200

    reader_page = other_page(reader, "reader", watch_console=False)
    response = reader_page.goto(f"{server_url}/blog/meetup-for-beginner-bloggers/")
    assert response.status == 404
    reader_page.goto(f"{server_url}/blog/")
    expect(reader_page.locator("#article-list")).not_to_contain_text("Meetup for beginner bloggers")

    # Published with one click; the list (cached until now) shows it first.
    page.locator("#publish-button").click()
    expect(page.locator(".alert-success")).to_contain_text("The article is published.")
    expect(page.locator("#article-status")).to_have_count(0)
    expect(page.locator("#unpublish-button")).to_be_visible()
    shot("05-published")

    reader_page.goto(f"{server_url}/blog/")
    cards = reader_page.locator("#article-list .article-link")
    expect(cards).to_have_count(4)
    expect(cards.first).to_have_text("Meetup for beginner bloggers")
    expect(reader_page.locator("#new-article")).to_have_count(0)
    shot("06-reader-list", of=reader_page)

    cards.first.click()
    expect(reader_page).to_have_url(f"{server_url}/blog/meetup-for-beginner-bloggers/")
    expect(reader_page.locator("#article-title")).to_have_text("Meetup for beginner bloggers")
    expect(reader_page.locator("#article-body p")).to_have_count(2)
    expect(reader_page.locator("#article-body a")).to_have_attribute("href", "https://example.com/meetup")
    # The writer's page after publishing was the first view, the reader's the second.
    expect(reader_page.locator("#article-views")).to_have_text("2 views")
    expect(reader_page.locator("#article-actions")).to_have_count(0)
    shot("07-reader-article", of=reader_page)

    # Coming back the same day does not count again.
    reader_page.reload()
    expect(reader_page.locator("#article-views")).to_have_text("2 views")
    assert Article.objects.get(pk=article.pk).views == 2

    # The reader's small screen: the picture and text fit.
    reader_page.set_viewport_size({"width": 390, "height": 844})
    reader_page.reload()
    assert fits_width(reader_page)
    shot("08-reader-article-phone", of=reader_page)

    assert console_errors == []
