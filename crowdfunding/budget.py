"""The budget and ratings formulas of SPEC §4.5, as pure functions of a project's numbers.

Every ratio is computed with exact fractions, then truncated with ``int`` where the SPEC says so:
binary floats turn, for example, the follower pay of 13 posts on one site, ``int(1500 × 1.15 × 0.6)``,
into 1034 (``1500 * 1.15 * 0.6 == 1034.9999999999998``) instead of 1035. ``ceil(0.2 × price)`` is
computed as the exact ``ceil(price / 5)``.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from fractions import Fraction
from math import ceil

# Promoters a project looks for: the SPEC's "followers wanted default 100", the 100 in its
# total follower pay and in the followers rating.
FOLLOWERS_WANTED = 100
FOLLOWER_BASE_PAY = 1500
# The followers rating's pay term divides by this (SPEC: follower pay / 3000).
FOLLOWER_PAY_SCALE = 3000
# The specialists rating's numerator (SPEC: 15000 / average specialist pay).
SPECIALIST_RATING_NUMERATOR = 15000
# The promotion rating: 1.0 until the author approves a promotion, then one more point once
# FOLLOWERS_WANTED distinct (promoter, platform) posts are approved, and no more than that.
PROMOTION_BASE = 1.0


@dataclass(frozen=True)
class Budget:
    months_ratio: Fraction
    sites_ratio: Fraction
    posts_ratio: Fraction
    specialists_pay: int
    specialists_count: int
    follower_pay: int
    total_follower_pay: int
    goal: int
    product_price: int
    # None when the author's price is 0: a free product cannot cover any budget.
    products_to_sell: int | None

    def as_dict(self) -> dict[str, int | None]:
        """The API's ``budget`` object (SPEC §6), plus the ratios as plain numbers for display."""
        data = asdict(self)
        for name in ("months_ratio", "sites_ratio", "posts_ratio"):
            data[name] = float(data[name])
        return data


def months_ratio(months: int) -> Fraction:
    return 1 - Fraction(6 - months, 10)


def sites_ratio(sites: int) -> Fraction:
    return 1 - Fraction(5 - sites, 10)


def posts_ratio(posts_per_month: int) -> Fraction:
    return 1 - Fraction(10 - posts_per_month, 20)


def author_share(author_price: int) -> int:
    """``ceil(0.2 × price)``, exactly: the platform's margin on one product."""
    return ceil(Fraction(author_price, 5))


def budget_compute(
    *,
    months: int,
    sites: int,
    posts_per_month: int,
    author_price: int,
    specialists: Mapping[str, tuple[int, int]],
) -> Budget:
    """The budget of a project; ``specialists`` maps a role to ``(headcount, monthly salary)``."""
    month = months_ratio(months)
    site = sites_ratio(sites)
    posts = posts_ratio(posts_per_month)
    follower_pay = int(FOLLOWER_BASE_PAY * posts * site)
    total_follower_pay = int(follower_pay * FOLLOWERS_WANTED * month * posts * site)
    specialists_pay = sum(count * salary * months for count, salary in specialists.values())
    specialists_count = sum(count for count, _salary in specialists.values())
    goal = specialists_pay + total_follower_pay
    share = author_share(author_price)
    return Budget(
        months_ratio=month,
        sites_ratio=site,
        posts_ratio=posts,
        specialists_pay=specialists_pay,
        specialists_count=specialists_count,
        follower_pay=follower_pay,
        total_follower_pay=total_follower_pay,
        goal=goal,
        product_price=share + author_price,
        products_to_sell=goal // share + 1 if share else None,
    )


@dataclass(frozen=True)
class Ratings:
    followers: float
    specialists: float
    promotion: float
    overall: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def followers_rating(*, months: int, follower_pay: int, followers: int) -> float:
    """``months/12 + follower pay/3000 + (1 − followers/100)``; ``followers`` are those who joined."""
    return float(
        Fraction(months, 12) + Fraction(follower_pay, FOLLOWER_PAY_SCALE) + (1 - Fraction(followers, FOLLOWERS_WANTED))
    )


def specialists_rating(*, specialists_pay: int, specialists_count: int) -> float:
    """``15000 / (specialists' pay // number of specialists)``; 0 without specialists or pay."""
    if specialists_count == 0:
        return 0.0
    average = specialists_pay // specialists_count
    if average == 0:
        return 0.0
    return float(Fraction(SPECIALIST_RATING_NUMERATOR, average))


def promotion_rating(*, approved_posts: int) -> float:
    """1.0 until a promotion is approved; grows with approved posts up to 2.0."""
    return PROMOTION_BASE + float(Fraction(min(approved_posts, FOLLOWERS_WANTED), FOLLOWERS_WANTED))


def ratings_compute(*, budget: Budget, months: int, followers: int, approved_posts: int) -> Ratings:
    followers_value = followers_rating(months=months, follower_pay=budget.follower_pay, followers=followers)
    specialists_value = specialists_rating(
        specialists_pay=budget.specialists_pay, specialists_count=budget.specialists_count
    )
    promotion_value = promotion_rating(approved_posts=approved_posts)
    return Ratings(
        followers=followers_value,
        specialists=specialists_value,
        promotion=promotion_value,
        overall=followers_value + specialists_value + promotion_value,
    )
