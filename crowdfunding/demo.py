"""Demo crowdfunding for `fill`: ~500 participants with profiles and ~500 projects of every topic and
status, with their teams, followers, promotions, reward tiers and donations.

Everything is planned in memory, then written with a few ``bulk_create`` calls (the services would
cost thousands of queries and audit rows, and `make run` fills on every fresh start). The rows are
therefore made to agree with what the services would have stored: a project's counters (raised,
donations, pre-ordered products, followers joined, approved posts), its roles' seats and its tiers'
claims are counted from the rows planned for it, and its budget and ratings come from
``crowdfunding.budget``.

Idempotent: participants are recognised by username and projects are topped up to ``500 × scale``,
each derived from its number alone, so a second `fill` adds nothing and `fill --scale 2` adds the
other half.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import BUNDLED_AVATARS, User
from crowdfunding.budget import FOLLOWERS_WANTED, budget_compute, ratings_compute
from crowdfunding.models import (
    FOLLOWER,
    SALARY_MAX,
    SALARY_MIN,
    Application,
    Donation,
    ParticipantProfile,
    Platform,
    Project,
    ProjectRole,
    Promotion,
    RewardTier,
    Role,
    Topic,
)

PARTICIPANTS = 500
PROJECTS = 500
# Demo accounts (accounts.demo) who become participants and author the first projects, so that
# "My projects", "My donations" and the manage pages have something to show after `make run`.
DEMO_PEOPLE = ["alice", "bob", "carol"]
# Statuses in a repeating order: mostly active projects (the rankings show only those), some of each other.
STATUS_CYCLE = [
    Project.Status.ACTIVE,
    Project.Status.ACTIVE,
    Project.Status.FUNDED,
    Project.Status.DRAFT,
    Project.Status.ACTIVE,
    Project.Status.FAILED,
    Project.Status.ACTIVE,
    Project.Status.CANCELLED,
    Project.Status.ACTIVE,
    Project.Status.FUNDED,
]
DONATION_MAX = 10_000_000
# accounts.demo numbers its phones +7900…; the participants' +7901… never collide with them and
# tell the demo participants apart.
PHONE_PREFIX = "+7901"

# (username part, shown name): Russian and English people, a Russian surname agreeing with the gender.
RU_MEN = [("ivan", "Иван"), ("dmitry", "Дмитрий"), ("alexey", "Алексей"), ("sergey", "Сергей"), ("maxim", "Максим")]
RU_MEN += [("artem", "Артём"), ("nikita", "Никита"), ("pavel", "Павел"), ("egor", "Егор"), ("roman", "Роман")]
RU_WOMEN = [("anna", "Анна"), ("maria", "Мария"), ("elena", "Елена"), ("olga", "Ольга"), ("daria", "Дарья")]
RU_WOMEN += [("polina", "Полина"), ("ksenia", "Ксения"), ("sofia", "София"), ("irina", "Ирина"), ("vera", "Вера")]
RU_SURNAMES = [("smirnov", "Смирнов"), ("kuznetsov", "Кузнецов"), ("popov", "Попов"), ("sokolov", "Соколов")]
RU_SURNAMES += [("lebedev", "Лебедев"), ("kozlov", "Козлов"), ("novikov", "Новиков"), ("morozov", "Морозов")]
RU_SURNAMES += [("volkov", "Волков"), ("orlov", "Орлов"), ("belov", "Белов"), ("zaitsev", "Зайцев")]
EN_FIRST = [("emma", "Emma"), ("liam", "Liam"), ("olivia", "Olivia"), ("noah", "Noah"), ("ava", "Ava")]
EN_FIRST += [("james", "James"), ("mia", "Mia"), ("lucas", "Lucas"), ("chloe", "Chloe"), ("jack", "Jack")]
EN_LAST = [("smith", "Smith"), ("brown", "Brown"), ("taylor", "Taylor"), ("wilson", "Wilson"), ("clark", "Clark")]
EN_LAST += [("walker", "Walker"), ("hall", "Hall"), ("young", "Young"), ("wright", "Wright"), ("green", "Green")]

# role: (English skills, Russian skills)
SKILLS = {
    Role.COPYWRITER: ("Long reads, headlines that get clicks", "Лонгриды и цепляющие заголовки"),
    Role.VIDEOGRAPHER: ("Shooting on Sony and DJI, editing in DaVinci", "Съёмка на Sony и DJI, монтаж в DaVinci"),
    Role.DIRECTOR: ("Directing short formats and interviews", "Режиссура коротких форматов и интервью"),
    Role.SCRIPTWRITER: ("Scripts for reels and ten-minute videos", "Сценарии для рилс и десятиминутных роликов"),
    Role.GRAPHIC_DESIGNER: ("Thumbnails, covers and brand kits in Figma", "Обложки, превью и фирменный стиль в Figma"),
    Role.PRODUCER: ("Planning, budgets and brand deals", "Планирование, бюджеты и рекламные интеграции"),
    Role.SOUND_ENGINEER: ("Podcast sound, noise removal, mixing", "Звук для подкастов, чистка шумов, сведение"),
    Role.LIGHTING_TECHNICIAN: ("Studio and location light on a budget", "Свет в студии и на выезде без больших затрат"),
    Role.SEO_SPECIALIST: ("Keywords, YouTube SEO, analytics", "Семантика, SEO для YouTube, аналитика"),
    Role.COMMUNITY_MANAGER: ("Comments, chats and giveaways", "Комментарии, чаты и розыгрыши"),
    Role.MONETIZATION_SPECIALIST: ("Sponsorships, merch and paid posts", "Спонсорство, мерч и платные посты"),
}
FAN_SKILLS = ("Reading blogs and sharing the ones I like", "Читаю блоги и делюсь теми, что нравятся")
EXPERIENCE = (
    "{years} years of freelance work for small blogs",
    "{years} года работы с небольшими блогами на фрилансе",
)

# topic: [(blog name, product name, idea)], English and Russian; names fit 30 characters.
BLOGS: dict[str, list[tuple[str, str, str]]] = {
    Topic.FITNESS: [
        ("Morning Runs", "Training plan", "Running before work: weekly plans, gear reviews and honest progress."),
        ("Зал без страха", "Программа тренировок", "Как начать ходить в зал с нуля и не бросить через месяц."),
        ("Stretch & Strong", "Mobility course", "Ten-minute routines for people who sit all day."),
        ("Фитнес после 40", "Видеокурс", "Тренировки и питание для тех, кому за сорок, без фанатизма."),
    ],
    Topic.TRAVEL: [
        ("Backpack Diaries", "Travel guide", "Cheap routes across the Caucasus, with maps and budgets."),
        ("Дороги Урала", "Путеводитель", "Маршруты выходного дня по Уралу: где жить, что смотреть."),
        ("Slow Trains", "Photo book", "Crossing Eurasia by train and meeting people on the way."),
        ("Север зовёт", "Фотоальбом", "Путешествия по Карелии, Кольскому и Белому морю."),
    ],
    Topic.FASHION: [
        ("Capsule Closet", "Style guide", "Thirty pieces, a hundred outfits: a capsule wardrobe explained."),
        ("Винтаж и точка", "Каталог образов", "Находки с барахолок и как их носить сегодня."),
        ("Street Looks", "Lookbook", "Street style from Moscow and Saint Petersburg every week."),
        ("Шью сама", "Выкройки", "Шитьё одежды дома: выкройки, ткани и ошибки новичка."),
    ],
    Topic.FINANCE: [
        ("Money Basics", "Budget planner", "Personal finance for students: budgets, savings, first investments."),
        ("Копилка", "Финансовый планер", "Как вести семейный бюджет и откладывать без боли."),
        ("Index Calm", "E-book", "Boring long-term investing, explained with real numbers."),
        ("Рубль к рублю", "Электронная книга", "Налоги, вычеты и вклады простыми словами."),
    ],
    Topic.HEALTH: [
        ("Sleep Better", "Sleep course", "Habits and science behind a good night's sleep."),
        ("Здоровая спина", "Курс упражнений", "Упражнения для спины от практикующего реабилитолога."),
        ("Calm Mind", "Meditation pack", "Short guided meditations for busy people."),
        ("Врач объясняет", "Справочник", "Врач отвечает на частые вопросы пациентов без страшилок."),
    ],
    Topic.TECHNOLOGY: [
        ("Gadget Bench", "Buyer's guide", "Hands-on reviews of budget gadgets that really last."),
        ("Код с нуля", "Курс Python", "Программирование для начинающих: от переменных до бота."),
        ("Home Lab", "Setup guide", "Building a home server from old parts, step by step."),
        ("Железо без мифов", "Гайд по сборке", "Сборка компьютера под любой бюджет и тесты железа."),
    ],
    Topic.FAMILY: [
        ("Dad Notes", "Activity book", "A young father's notes: games, routines and small wins."),
        ("Мама в декрете", "Планер для мам", "Как совмещать ребёнка, дом и немного себя."),
        ("Weekend Kids", "Family guide", "Cheap weekend ideas for families with small children."),
        ("Большая семья", "Книга рецептов", "Быт семьи с четырьмя детьми: рецепты, бюджет, порядок."),
    ],
    Topic.HOME: [
        ("Tiny Flat Ideas", "Design guide", "Making a 30 m² flat feel twice as big."),
        ("Ремонт своими руками", "Чек-лист ремонта", "Ремонт без бригады: от стяжки до обоев."),
        ("Green Corner", "Plant care guide", "Houseplants that survive beginners, and how to keep them."),
        ("Уютный дом", "Каталог идей", "Уют на небольшой бюджет: свет, текстиль, хранение."),
    ],
    Topic.BOOKS: [
        ("Shelf Talk", "Reading journal", "A book a week, reviewed in five minutes."),
        ("Книжный червь", "Читательский дневник", "Обзоры новинок и забытой классики без спойлеров."),
        ("Classics Club", "Study guides", "Reading the great novels together, one chapter a day."),
        ("Полка фантастики", "Сборник рассказов", "Русская и зарубежная фантастика: что читать дальше."),
    ],
    Topic.ARTS: [
        ("Sketch Daily", "Sketchbook course", "A sketch a day for a year, with lessons for beginners."),
        ("Акварель с нуля", "Видеоуроки", "Уроки акварели для тех, кто никогда не рисовал."),
        ("Gallery Walks", "Art guide", "Visiting small galleries and talking to the artists."),
        ("Театр за кулисами", "Сборник интервью", "Как живёт провинциальный театр: люди и спектакли."),
    ],
    Topic.EDUCATION: [
        ("English Hour", "Phrase book", "Everyday English for Russian speakers, one topic a week."),
        ("Физика просто", "Конспекты", "Школьная физика на опытах, которые можно повторить дома."),
        ("Study Smarter", "Study planner", "Evidence-based study methods for exams."),
        ("История за 5 минут", "Карточки", "Короткие рассказы о событиях, которые изменили историю."),
    ],
    Topic.GARDEN: [
        ("Balcony Harvest", "Seed calendar", "Growing vegetables on a city balcony."),
        ("Дача круглый год", "Календарь посадок", "Огород, теплица и сад: что делать каждый месяц."),
        ("Rose Diaries", "Care guide", "Old garden roses and how to keep them healthy."),
        ("Грядка для ленивых", "Гайд по огороду", "Огород без лишней работы: мульча, высокие грядки."),
    ],
    Topic.GAMES: [
        ("Indie Finds", "Game guide", "Small indie games worth your evening, reviewed weekly."),
        ("Настолки по пятницам", "Сборник правил", "Обзоры настольных игр и партии с друзьями."),
        ("Retro Save", "Retro handbook", "Fixing and playing old consoles."),
        ("Киберспорт изнутри", "Гайд для новичков", "Как устроен любительский киберспорт и как в него попасть."),
    ],
    Topic.CRAFTS: [
        ("Knit Club", "Knitting patterns", "Knitting patterns for beginners, from scarves to sweaters."),
        ("Деревянная мастерская", "Чертежи", "Столярка в гараже: полки, табуреты, игрушки."),
        ("Clay & Kiln", "Pottery course", "Pottery at home without a wheel."),
        ("Свечи и мыло", "Набор рецептов", "Домашнее мыло и свечи: рецепты и безопасность."),
    ],
}
# Added to a blog name by number, so the same idea is not listed under one name many times.
NAME_SUFFIXES = ["", " TV", " Live", " Club", " Daily", " Lab", " 2.0", " Show"]
TIERS = [
    ("Thank-you postcard", "A postcard signed by the author.", 500),
    ("Your name in the credits", "Listed in every video of the first season.", 1_000),
    ("Early access", "Every episode a week before everyone else.", 2_500),
    ("Backstage call", "An hour-long video call with the team.", 10_000),
    ("Открытка от автора", "Открытка с автографом автора.", 700),
    ("Мерч проекта", "Футболка и стикеры проекта.", 3_000),
]
COMMENTS = [
    "Good luck with the blog!",
    "Can't wait for the first episode.",
    "Удачи! Жду первых выпусков.",
    "Давно искал такой блог.",
    "From a fellow beginner: keep going!",
    "Подписался, буду следить.",
]
MESSAGES = ["I would love to help.", "Есть опыт в похожем проекте.", "Happy to join the team.", "Готов начать сразу."]
# How a post on each platform is linked (the post's code is filled in).
POST_URLS = {
    Platform.YOUTUBE: "https://www.youtube.com/watch?v={code}",
    Platform.VK: "https://vk.com/wall-{code}",
    Platform.X: "https://x.com/{user}/status/{code}",
    Platform.WORDPRESS: "https://{user}.wordpress.com/{code}/",
    Platform.LINKEDIN: "https://www.linkedin.com/posts/{user}_{code}",
    Platform.INSTAGRAM: "https://www.instagram.com/p/{code}/",
    Platform.FACEBOOK: "https://www.facebook.com/{user}/posts/{code}",
    Platform.TUMBLR: "https://{user}.tumblr.com/post/{code}",
    Platform.LIVEJOURNAL: "https://{user}.livejournal.com/{code}.html",
    Platform.RUTUBE: "https://rutube.ru/video/{code}/",
    Platform.WIX: "https://{user}.wixsite.com/blog/post/{code}",
}


@dataclass
class Person:
    id: int
    username: str
    professions: list[str]


@dataclass
class Plan:
    """One project and the rows that hang from it, before anything has a primary key."""

    project: Project
    roles: list[ProjectRole] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    promotions: list[Promotion] = field(default_factory=list)
    tiers: list[RewardTier] = field(default_factory=list)
    donations: list[Donation] = field(default_factory=list)


def fill(*, scale: int, stdout: Any) -> None:
    with transaction.atomic():
        users = _participants(PARTICIPANTS * scale)
        profiles = _profiles()
        people = _people()
        projects = _projects(PROJECTS * scale, people)
    if users or profiles or projects:
        stdout.write(
            f"Crowdfunding: {users} participants and {profiles} profiles added, {projects} projects "
            "(participants sign in with the demo password)."
        )


# --- Participants ----------------------------------------------------------------------------


def _person_name(number: int) -> tuple[str, str, str]:
    """(username, first name, last name) of the ``number``-th demo participant."""
    generator = random.Random(f"crowdfunding-person-{number}")  # demo data, not security
    kind = number % 3
    if kind == 0:
        (first_key, first), (last_key, last) = generator.choice(EN_FIRST), generator.choice(EN_LAST)
    else:
        first_key, first = generator.choice(RU_MEN if kind == 1 else RU_WOMEN)
        last_key, last = generator.choice(RU_SURNAMES)
        if kind == 2:
            last_key, last = f"{last_key}a", f"{last}а"
    return f"{first_key}.{last_key}{number}", first, last


def _participants(wanted: int) -> int:
    """Create the demo participants that do not exist yet; returns how many were made."""
    names = [_person_name(number) for number in range(wanted)]
    existing = set(User.objects.filter(username__in=[name[0] for name in names]).values_list("username", flat=True))
    password = _password_hash()
    now = timezone.now()
    users = [
        User(
            username=username,
            email=f"{username}@example.com",
            phone=f"{PHONE_PREFIX}{number:07d}",
            first_name=first,
            last_name=last,
            password=password,
            email_confirmed_at=now,
            bundled_avatar=BUNDLED_AVATARS[number % len(BUNDLED_AVATARS)],
        )
        for number, (username, first, last) in enumerate(names)
        if username not in existing
    ]
    User.objects.bulk_create(users, batch_size=500)
    # Every account is in the "user" group, as accounts.services puts people who sign up.
    group, _created = Group.objects.get_or_create(name="user")
    membership = User.groups.through
    membership.objects.bulk_create([membership(user_id=user.pk, group_id=group.pk) for user in users], batch_size=1000)
    return len(users)


def _password_hash() -> str:
    """One hash of the demo password for all the participants.

    With the default PBKDF2 it has few iterations: the password is published anyway, a full-strength
    hash costs `make run` a noticeable pause, and Django re-hashes it at full strength on the first
    login (the hasher's ``must_update``).
    """
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(DEMO_PASSWORD, hasher.salt(), iterations=1_000)
    return make_password(DEMO_PASSWORD)


def _profiles() -> int:
    """A participant profile for every demo participant and demo person who has none yet."""
    candidates = User.objects.filter(
        Q(username__in=DEMO_PEOPLE) | Q(phone__startswith=PHONE_PREFIX), participant_profile__isnull=True
    )
    profiles = []
    for user_id, username in candidates.order_by("pk").values_list("pk", "username"):
        generator = random.Random(f"crowdfunding-profile-{username}")  # demo data, not security
        russian = generator.random() < 0.6
        # About one in six is a fan only: no profession, a donor and promoter.
        professions = [] if generator.random() < 0.16 else generator.sample(Role.values, generator.randint(1, 3))
        skills = "; ".join(SKILLS[Role(role)][russian] for role in professions) or FAN_SKILLS[russian]
        profiles.append(
            ParticipantProfile(
                user_id=user_id,
                skills=skills,
                experience=EXPERIENCE[russian].format(years=generator.randint(1, 9)),
                professions=professions,
                topics=generator.sample(Topic.values, generator.randint(1, 4)),
            )
        )
    ParticipantProfile.objects.bulk_create(profiles, batch_size=500)
    return len(profiles)


def _people() -> list[Person]:
    rows = ParticipantProfile.objects.filter(user__is_active=True).order_by("user_id")
    return [
        Person(id=user_id, username=username, professions=professions)
        for user_id, username, professions in rows.values_list("user_id", "user__username", "professions")
    ]


# --- Projects --------------------------------------------------------------------------------


def _projects(wanted: int, people: list[Person]) -> int:
    have = Project.objects.count()
    if have >= wanted or len(people) < 10:
        return 0
    demo_people = {person.username: person for person in people if person.username in DEMO_PEOPLE}
    by_profession: dict[str, list[Person]] = {role: [] for role in Role.values}
    for person in people:
        for role in person.professions:
            by_profession[role].append(person)
    now = timezone.now()
    plans = [_plan(number, people, demo_people, by_profession, now) for number in range(have, wanted)]
    Project.objects.bulk_create([plan.project for plan in plans], batch_size=500)
    for plan in plans:
        # The children were planned against the unsaved project: give them its new key.
        rows: list[ProjectRole | Application | Promotion | RewardTier | Donation] = [
            *plan.roles,
            *plan.applications,
            *plan.promotions,
            *plan.tiers,
            *plan.donations,
        ]
        for row in rows:
            row.project = plan.project
    ProjectRole.objects.bulk_create([row for plan in plans for row in plan.roles], batch_size=1000)
    Application.objects.bulk_create([row for plan in plans for row in plan.applications], batch_size=1000)
    Promotion.objects.bulk_create([row for plan in plans for row in plan.promotions], batch_size=1000)
    # Saving the tiers gives them keys; a donation planned against a tier picks its key up when saved.
    RewardTier.objects.bulk_create([row for plan in plans for row in plan.tiers], batch_size=1000)
    Donation.objects.bulk_create([row for plan in plans for row in plan.donations], batch_size=1000)
    return len(plans)


def _plan(
    number: int,
    people: list[Person],
    demo_people: dict[str, Person],
    by_profession: dict[str, list[Person]],
    now: datetime,
) -> Plan:
    """The ``number``-th demo project with its team, promotions, tiers and donations."""
    generator = random.Random(f"crowdfunding-project-{number}")  # demo data, not security
    status = STATUS_CYCLE[number % len(STATUS_CYCLE)]
    topic = Topic.values[number % len(Topic.values)]
    blog_name, product_name, idea = BLOGS[Topic(topic)][(number // len(Topic.values)) % len(BLOGS[Topic(topic)])]
    blog_name += NAME_SUFFIXES[(number // (len(Topic.values) * 4)) % len(NAME_SUFFIXES)]
    order = [demo_people[name] for name in DEMO_PEOPLE if name in demo_people]
    author = order[number] if number < len(order) else generator.choice(people)
    project = Project(
        author_id=author.id,
        blog_name=blog_name,
        idea=idea,
        topic=topic,
        product_name=product_name,
        author_price=generator.choice([0, 290, 490, 990, 990, 1_490, 2_990, 4_990]),
        posts_per_month=generator.choice([4, 8, 10, 12, 15, 20, 30]),
        sites=generator.sample(Platform.values, generator.randint(1, 5)),
        months=generator.randint(3, 12),
        status=status,
        # About one public project in forty was hidden by the moderators.
        is_hidden=status != Project.Status.DRAFT and number % 40 == 17,
    )
    _dates(project, generator, now)
    plan = Plan(project=project)
    # One project in ten has no specialists at all (the seed's generator crashed on those).
    roles = [] if number % 10 == 4 else generator.sample(Role.values, generator.randint(1, 4))
    for role in roles:
        salary = 0 if generator.random() < 0.05 else generator.randrange(SALARY_MIN, SALARY_MAX + 1, 5_000)
        plan.roles.append(ProjectRole(role=role, headcount=generator.choice([1, 1, 1, 2, 2, 3]), salary=salary))
    for _ in range(generator.choice([0, 1, 2, 2, 3])):
        title, about, least = generator.choice(TIERS)
        if all(tier.title != title for tier in plan.tiers):
            count = generator.randint(5, 60)
            plan.tiers.append(RewardTier(title=title, description=about, min_amount=least, quantity=count))
    result = budget_compute(
        months=project.months,
        sites=len(project.sites),
        posts_per_month=project.posts_per_month,
        author_price=project.author_price,
        specialists={role.role: (role.headcount, role.salary) for role in plan.roles},
    )
    project.goal = result.goal
    project.product_price = result.product_price
    project.products_to_sell = result.products_to_sell
    if status != Project.Status.DRAFT:
        others = [person for person in people if person.id != author.id]
        _team(plan, generator, others, by_profession, author)
        _followers(plan, generator, others)
        _donations(plan, generator, others)
    ratings = ratings_compute(
        budget=result, months=project.months, followers=project.followers_joined, approved_posts=project.approved_posts
    )
    project.rating_followers = ratings.followers
    project.rating_specialists = ratings.specialists
    project.rating_promotion = ratings.promotion
    project.rating_overall = ratings.overall
    return plan


def _dates(project: Project, generator: random.Random, now: datetime) -> None:
    """Deadline, publication and closing times that fit the status."""
    if project.status == Project.Status.DRAFT:
        project.deadline = now + timedelta(days=generator.randint(20, 90))
        return
    if project.status == Project.Status.ACTIVE:
        # A few end within days, so "ending soon" has something to sort.
        project.deadline = now + timedelta(days=generator.choice([1, 2, 3]) if generator.random() < 0.1 else 0)
        project.deadline += timedelta(days=generator.randint(0, 60), hours=generator.randint(2, 23))
        project.published_at = now - timedelta(days=generator.randint(1, 40), hours=generator.randint(0, 23))
        return
    project.deadline = now - timedelta(days=generator.randint(1, 120), hours=generator.randint(0, 23))
    project.published_at = project.deadline - timedelta(days=generator.randint(20, 60))
    if project.status == Project.Status.CANCELLED:
        project.closed_at = project.published_at + timedelta(days=generator.randint(1, 15))
    else:
        # The deadline job closes it within minutes.
        project.closed_at = project.deadline + timedelta(minutes=generator.randint(1, 15))


def _decided(project: Project, generator: random.Random) -> datetime:
    """A moment while the project was open, for an author's decision."""
    start = project.published_at or timezone.now()
    end = project.closed_at or timezone.now()
    return start + (end - start) * generator.random()


def _team(
    plan: Plan,
    generator: random.Random,
    others: list[Person],
    by_profession: dict[str, list[Person]],
    author: Person,
) -> None:
    """Accepted specialists (as many as each role's seats taken), some pending and rejected applicants."""
    project = plan.project
    for role in plan.roles:
        pool = [person for person in by_profession[role.role] if person.id != author.id]
        candidates = generator.sample(pool, min(len(pool), role.headcount + 2))
        filled = role.headcount if project.status == Project.Status.FUNDED else generator.randint(0, role.headcount)
        role.seats_taken = min(filled, len(candidates))
        for index, person in enumerate(candidates):
            if index < role.seats_taken:
                status, salary = Application.Status.ACCEPTED, role.salary
            elif project.status == Project.Status.ACTIVE and generator.random() < 0.5:
                status, salary = Application.Status.PENDING, None
            elif generator.random() < 0.3:
                status, salary = Application.Status.REJECTED, None
            else:
                continue
            plan.applications.append(
                Application(
                    applicant_id=person.id,
                    role=role.role,
                    message=generator.choice(MESSAGES),
                    status=status,
                    salary=salary,
                    decided_at=None if status == Application.Status.PENDING else _decided(project, generator),
                )
            )


def _followers(plan: Plan, generator: random.Random, others: list[Person]) -> None:
    """Accepted followers (the followers-joined counter) and their promotion posts."""
    project = plan.project
    # Mostly a dozen or two; about one project in thirty has the full hundred.
    wanted = FOLLOWERS_WANTED if generator.random() < 0.03 else generator.choice([0, 1, 3, 5, 8, 12, 20])
    followers = generator.sample(others, min(wanted, len(others), FOLLOWERS_WANTED))
    project.followers_joined = len(followers)
    for person in followers:
        plan.applications.append(
            Application(
                applicant_id=person.id,
                role=FOLLOWER,
                status=Application.Status.ACCEPTED,
                decided_at=_decided(project, generator),
            )
        )
        # One post per (promoter, platform) at most: the promotion rating counts distinct posts.
        for platform in generator.sample(project.sites, min(len(project.sites), generator.choice([0, 0, 1, 1, 2]))):
            roll = generator.random()
            if roll < 0.6:
                status = Promotion.Status.APPROVED
            elif roll < 0.85 and project.status == Project.Status.ACTIVE:
                status = Promotion.Status.PENDING
            else:
                status = Promotion.Status.REJECTED
            code = f"{generator.randrange(16**10):010x}"
            url = POST_URLS[Platform(platform)].format(user=person.username.replace(".", "-"), code=code)
            plan.promotions.append(
                Promotion(
                    promoter_id=person.id,
                    platform=platform,
                    url=url,
                    status=status,
                    decided_at=None if status == Promotion.Status.PENDING else _decided(project, generator),
                )
            )
    project.approved_posts = sum(promotion.status == Promotion.Status.APPROVED for promotion in plan.promotions)


def _donations(plan: Plan, generator: random.Random, others: list[Person]) -> None:
    """Free donations, pre-orders and tier claims; a funded project reaches its goal, a failed one does not."""
    project = plan.project
    # As the deadline job and cancelling leave them: pledged while open, then collected or refunded.
    outcomes: dict[str, str] = {
        Project.Status.ACTIVE: Donation.Status.PLEDGED,
        Project.Status.FUNDED: Donation.Status.COLLECTED,
    }
    status = outcomes.get(project.status, Donation.Status.REFUNDED)
    failed = project.status == Project.Status.FAILED
    # The share of the goal the backers bring, so the progress bars show every stage: a failed
    # project fell short, a funded one got there (the loop below makes up the rest).
    shares: dict[str, list[float]] = {
        Project.Status.ACTIVE: [0.02, 0.1, 0.25, 0.4, 0.6, 0.8, 1.05],
        Project.Status.FUNDED: [0.9],
        Project.Status.FAILED: [0.1, 0.3, 0.6, 0.9],
        Project.Status.CANCELLED: [0, 0.05, 0.2],
    }
    share = generator.choice(shares[project.status])
    count = generator.choice([2, 5, 8, 12, 20])
    typical = max(100, int(project.goal * share / count))
    for _ in range(count if share else 0):
        kind = generator.choice([Donation.Kind.FREE, Donation.Kind.FREE, Donation.Kind.PREORDER, Donation.Kind.TIER])
        tier, quantity = None, 1
        if kind == Donation.Kind.PREORDER and project.author_price:
            quantity = generator.choice([1, 1, 2, 3])
            amount = quantity * project.product_price
        elif kind == Donation.Kind.TIER and any(tier.claimed < tier.quantity for tier in plan.tiers):
            tier = generator.choice([tier for tier in plan.tiers if tier.claimed < tier.quantity])
            amount = max(tier.min_amount, _rounded(typical * generator.uniform(0.2, 1.5)))
        else:
            kind = Donation.Kind.FREE
            amount = min(DONATION_MAX, max(100, _rounded(typical * generator.uniform(0.2, 1.8))))
        if failed and project.raised + amount >= project.goal:
            break
        _donate(plan, generator, others, status, kind=kind, amount=amount, quantity=quantity, tier=tier)
    # A funded project reached its goal: a few generous backers made up the rest.
    while project.status == Project.Status.FUNDED and project.raised < project.goal:
        amount = min(DONATION_MAX, project.goal - project.raised + generator.choice([0, 1_000, 25_000]))
        _donate(plan, generator, others, status, kind=Donation.Kind.FREE, amount=amount, quantity=1, tier=None)


def _rounded(amount: float) -> int:
    """A sum people give: whole hundreds."""
    return int(round(amount, -2))


def _donate(
    plan: Plan,
    generator: random.Random,
    others: list[Person],
    status: str,
    *,
    kind: str,
    amount: int,
    quantity: int,
    tier: RewardTier | None,
) -> None:
    """Plan one donation and move the counters the way ``donation_make`` does."""
    project = plan.project
    plan.donations.append(
        Donation(
            donor_id=generator.choice(others).id,
            kind=kind,
            amount=amount,
            quantity=quantity,
            tier=tier,
            anonymous=generator.random() < 0.15,
            comment=generator.choice(COMMENTS) if generator.random() < 0.4 else "",
            status=status,
        )
    )
    project.raised += amount
    project.donations_count += 1
    if kind == Donation.Kind.PREORDER:
        project.products_preordered += quantity
    if tier is not None:
        tier.claimed += 1
