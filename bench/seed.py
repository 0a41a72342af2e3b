"""Fill a PostgreSQL database for the benchmark, fast: `python -m bench.seed --scale 1`.

At scale 1: 100,000 active products in the demo categories, one chat of 1,000,000 messages, one of
10,000 (the 10k-vs-1M comparison) and a few small chats, all with the bench user as a member;
10,000 mailing clients and 1,000 published articles of the bench user; the crowdfunding demo.
Products and clients go in with ``COPY``, messages with one ``INSERT … SELECT generate_series``:
``bulk_create`` would spend minutes building a million model instances.

The database (``DATABASE_URL``, default ``agora_bench`` on the local server) is dropped and created
again, migrated and filled; its comment records the scale, so `bench.run` seeds only when needed.
"""

import argparse
import io
import os
import sys
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/agora_bench"
BENCH_USERNAME = "bench"
BENCH_PASSWORD = "Bench$Pass1"  # noqa: S105 - a throwaway account in a throwaway database
PRODUCTS = 100_000
BIG_CHAT_MESSAGES = 1_000_000
SMALL_CHAT_MESSAGES = 10_000
MAIL_CLIENTS = 10_000
ARTICLES = 1_000
# Titles of the bench's chats; `bench.run` finds them by these.
BIG_CHAT = "Bench: big chat"
SMALL_CHAT = "Bench: 10k chat"
MARKER_PREFIX = "agora-bench scale="


def scaled(count: int, scale: float) -> int:
    """``count × scale`` rows, at least one, so the tiniest scale still has every kind of row."""
    return max(1, round(count * scale))


def marker(scale: float) -> str:
    return f"{MARKER_PREFIX}{scale:g}"


def recreate_database(url: str) -> None:
    """Drop and create the database of ``url``, through the server's ``postgres`` database."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def seeded_scale() -> str | None:
    """The scale recorded in the current database's comment, or None when it was not seeded."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        comment = cursor.fetchone()[0] or ""
    return comment.removeprefix(MARKER_PREFIX) if comment.startswith(MARKER_PREFIX) else None


def _copy(table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """``COPY`` rows into a table (text format; the values must not contain tabs or newlines)."""
    from django.db import connection

    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _bench_user() -> Any:
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import User

    user = User(
        username=BENCH_USERNAME,
        email="bench@example.com",
        phone="+79990000000",
        first_name="Bench",
        last_name="User",
        email_confirmed_at=timezone.now(),
    )
    user.set_password(BENCH_PASSWORD)
    user.save()
    user.groups.add(Group.objects.get_or_create(name="user")[0])
    return user


def _products(count: int, now: datetime) -> int:
    """``count`` active products spread over the demo catalogue, one second apart in age."""
    from django.utils.text import slugify

    from shop.demo import CATALOGUE, _product
    from shop.models import Category

    categories = [
        Category.objects.get_or_create(
            name=name, defaults={"slug": slugify(name), "description": f"{name} from popular brands."}
        )[0]
        for name in CATALOGUE
    ]

    def rows() -> Iterable[tuple[Any, ...]]:
        for number in range(count):
            category = categories[number % len(categories)]
            product = _product(category, CATALOGUE[category.name], number // len(categories))
            moment = now - timedelta(seconds=count - number)
            yield (
                product.name,
                product.price,
                moment,
                moment,
                True,
                product.description,
                "",
                category.pk,
                product.company,
                product.stock,
            )

    _copy(
        "shop_product",
        [
            "name",
            "price",
            "created_at",
            "updated_at",
            "is_active",
            "description",
            "image",
            "category_id",
            "company",
            "stock",
        ],
        rows(),
    )
    return count


def _chat(title: str, members: list[Any], messages: int, now: datetime) -> Any:
    """A chat with ``messages`` messages by its members in turn, one second apart, all read."""
    from django.db import connection

    from chat.models import Chat, Membership

    chat = Chat.objects.create(title=title, created_by=members[0])
    Membership.objects.bulk_create(
        [
            Membership(chat=chat, user=user, role=Membership.Role.OWNER if index == 0 else Membership.Role.MEMBER)
            for index, user in enumerate(members)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO chat_message (chat_id, author_id, text, created_at, changed_at, is_deleted) "
            "SELECT %s, (%s::bigint[])[1 + n %% %s], 'Bench message ' || n, "
            "%s - make_interval(secs => %s - n), %s - make_interval(secs => %s - n), false "
            "FROM generate_series(1, %s) AS n",
            [chat.pk, [user.pk for user in members], len(members), now, messages, now, messages, messages],
        )
        cursor.execute("SELECT max(id) FROM chat_message WHERE chat_id = %s", [chat.pk])
        newest = cursor.fetchone()[0]
    Membership.objects.filter(chat=chat).update(last_read_id=newest)
    Chat.objects.filter(pk=chat.pk).update(last_activity_at=now)
    return chat


def _mail_clients(owner: Any, count: int, now: datetime) -> int:
    _copy(
        "mailings_client",
        ["owner_id", "email", "full_name", "comment", "created_at", "updated_at"],
        (
            (owner.pk, f"client{number:06d}@example.com", f"Client {number:06d}", "", now, now)
            for number in range(count)
        ),
    )
    return count


def _articles(author: Any, count: int, now: datetime) -> int:
    from blog.models import Article

    Article.objects.bulk_create(
        [
            Article(
                title=f"Bench article {number}",
                slug=f"bench-article-{number}",
                body=f"Bench article {number}.\n\nA paragraph of text to render in the list's excerpt.",
                is_published=True,
                published_at=now - timedelta(minutes=count - number),
                author=author,
            )
            for number in range(count)
        ],
        batch_size=1000,
    )
    return count


def seed(scale: float) -> dict[str, int]:
    """Fill the (freshly created and migrated) database at ``scale``; returns what was made."""
    from django.db import connection, transaction
    from django.utils import timezone

    import accounts.demo
    import crowdfunding.demo
    from accounts.models import User
    from chat.models import Message
    from crowdfunding.models import Project

    now = timezone.now()
    made: dict[str, int] = {}
    with transaction.atomic():
        accounts.demo.fill(scale=1, stdout=io.StringIO())
        user = _bench_user()
        others = list(User.objects.filter(username__in=["alice", "bob"]).order_by("username"))
        made["active products"] = _products(scaled(PRODUCTS, scale), now)
        # The 10k chat first: its newest page then sits behind a million newer rows of another
        # chat, the case where reading a chat's newest page must not depend on other chats.
        for title, count in [(SMALL_CHAT, SMALL_CHAT_MESSAGES), (BIG_CHAT, BIG_CHAT_MESSAGES)]:
            _chat(title, [user, *others], scaled(count, scale), now)
        for number in range(3):
            _chat(f"Bench: small chat {number}", [user, others[number % len(others)]], 20, now)
        made["chats"] = 5
        made["chat messages"] = Message.objects.count()
        made["mailing clients"] = _mail_clients(user, scaled(MAIL_CLIENTS, scale), now)
        made["blog articles"] = _articles(user, scaled(ARTICLES, scale), now)
    # The crowdfunding demo counts in whole steps of 500 projects (and runs its own transactions).
    crowdfunding.demo.fill(scale=max(1, round(scale)), stdout=io.StringIO())
    made["crowdfunding projects"] = Project.objects.count()
    with connection.cursor() as cursor:
        # Fresh statistics and visibility maps, as a database in service has: without them the
        # planner guesses and index-only scans visit the heap.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            f"COMMENT ON DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} IS %s", [marker(scale)]
        )
    return made


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 100k products, a 1M-message chat (default)")
    options = parser.parse_args(argv)
    if options.scale <= 0:
        parser.error("--scale must be positive")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    url = os.environ["DATABASE_URL"]
    if not url.startswith(("postgres://", "postgresql://")):
        parser.error("the bench seeds PostgreSQL only (DATABASE_URL=postgres://…)")
    import django
    from django.core.management import call_command

    started = time.monotonic()
    recreate_database(url)
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.monotonic()
    made = seed(options.scale)
    sys.stdout.write(
        f"Seeded {urlsplit(url).path.lstrip('/')} at scale {options.scale:g} "
        f"(migrate {migrated - started:.1f} s, fill {time.monotonic() - migrated:.1f} s):\n"
    )
    for what, count in made.items():
        sys.stdout.write(f"  {count:>9,} {what}\n")
    sys.stdout.write(f"  bench user: {BENCH_USERNAME} / {BENCH_PASSWORD}\n")


if __name__ == "__main__":
    main()
