"""The budget and ratings formulas of SPEC §4.5 against numbers worked out by hand.

Every expected value below was computed on paper from the SPEC's formulas (the working is in the
comments), never by calling the code under test.
"""

from fractions import Fraction

import pytest

from crowdfunding import services
from crowdfunding.budget import budget_compute, ratings_compute
from crowdfunding.models import Role
from tests.crowdfunding.factories import project_make

# (months, sites, posts, author's price, team {role: (headcount, salary)}) →
# (follower pay, total follower pay, specialists' pay, goal, product price, products to sell,
#  followers rating with nobody joined, specialists rating, overall with the promotion rating 1.0).
BUDGETS = [
    pytest.param(
        # Ratios: month 1 − 0/10 = 1, sites 1 − 3/10 = 0.7, posts 1 − 0/20 = 1.
        # Follower pay int(1500 × 1 × 0.7) = 1050; total int(1050 × 100 × 1 × 1 × 0.7) = 73,500.
        # Team 2 × 20,000 × 6 = 240,000; goal 313,500; share ceil(1000/5) = 200 → price 1200,
        # to sell 313,500 // 200 + 1 = 1567 + 1. Ratings: 6/12 + 1050/3000 + 1 = 1.85;
        # 15000 / (240,000 // 2) = 0.125; overall 1.85 + 0.125 + 1 = 2.975.
        (6, 2, 10, 1000, {Role.VIDEOGRAPHER: (2, 20_000)}),
        (1050, 73_500, 240_000, 313_500, 1200, 1568, 1.85, 0.125, 2.975),
        id="typical",
    ),
    pytest.param(
        # The lower ends: months 3 (ratio 0.7), 1 site (0.6), 1 post (1 − 9/20 = 0.55), no team,
        # price 0. Follower pay int(1500 × 0.55 × 0.6) = 495; total int(495 × 100 × 0.7 × 0.55 × 0.6)
        # = int(11,434.5) = 11,434. No specialists: their rating is 0 (the seed divided by zero).
        # Price 0: product price 0 and no number of products to sell.
        # Followers 3/12 + 495/3000 + 1 = 1.415; overall 2.415.
        (3, 1, 1, 0, {}),
        (495, 11_434, 0, 11_434, 0, None, 1.415, 0.0, 2.415),
        id="lower-ends-no-specialists-free-product",
    ),
    pytest.param(
        # The upper ends: months 12 (1 + 6/10 = 1.6), 11 sites (1.6), 100 posts (1 + 90/20 = 5.5),
        # price 1,000,000, headcount 10 at the top salary 100,000.
        # Follower pay int(1500 × 5.5 × 1.6) = 13,200; total int(13,200 × 100 × 1.6 × 5.5 × 1.6)
        # = 1,320,000 × 14.08 = 18,585,600. Team 10 × 100,000 × 12 = 12,000,000; goal 30,585,600.
        # Share 200,000 → price 1,200,000; to sell 30,585,600 // 200,000 + 1 = 152 + 1.
        # Followers 1 + 4.4 + 1 = 6.4; specialists 15000 / 1,200,000 = 0.0125; overall 7.4125.
        (12, 11, 100, 1_000_000, {Role.DIRECTOR: (10, 100_000)}),
        (13_200, 18_585_600, 12_000_000, 30_585_600, 1_200_000, 153, 6.4, 0.0125, 7.4125),
        id="upper-ends",
    ),
    pytest.param(
        # The platform's share of a price of 15 is ceil(0.2 × 15) = 3. All ratios 1
        # (6 months, 5 sites, 10 posts): follower pay 1500, total 150,000. One copywriter at the
        # lowest salary: 10,000 × 6 = 60,000; goal 210,000. Price 15 + 3 = 18; to sell
        # 210,000 // 3 + 1 = 70,001. Followers 0.5 + 0.5 + 1 = 2.0; specialists 15000 / 60,000
        # = 0.25; overall 3.25.
        (6, 5, 10, 15, {Role.COPYWRITER: (1, 10_000)}),
        (1500, 150_000, 60_000, 210_000, 18, 70_001, 2.0, 0.25, 3.25),
        id="ceil-of-a-fifth-of-15-is-3",
    ),
    pytest.param(
        # A binary-float trap: posts 13 (1 + 3/20 = 1.15), 1 site (0.6). Follower pay
        # int(1500 × 1.15 × 0.6) = 1035 exactly (floats give 1034.9999999999998 → 1034); total
        # int(1035 × 100 × 1 × 1.15 × 0.6) = 71,415 (floats: 71,414.99999999999). Team 60,000;
        # goal 131,415; share 3 → price 18, to sell 131,415 // 3 + 1 = 43,805 + 1.
        # Followers 0.5 + 0.345 + 1 = 1.845; specialists 0.25; overall 3.095.
        (6, 1, 13, 15, {Role.COPYWRITER: (1, 10_000)}),
        (1035, 71_415, 60_000, 131_415, 18, 43_806, 1.845, 0.25, 3.095),
        id="float-trap-in-the-follower-pay",
    ),
    pytest.param(
        # Unpaid specialists (salary 0): average pay 0, so the rating is 0 rather than a crash.
        # Ratios: month 1 − 2/10 = 0.8, sites 0.8, posts 1 − 5/20 = 0.75. Follower pay
        # int(1500 × 0.75 × 0.8) = 900; total int(900 × 100 × 0.8 × 0.75 × 0.8) = 43,200 = goal.
        # Price 1: share ceil(1/5) = 1 → price 2, to sell 43,200 + 1.
        # Followers 4/12 + 900/3000 + 1 = 49/30; overall 79/30.
        (4, 3, 5, 1, {Role.PRODUCER: (1, 0)}),
        (900, 43_200, 0, 43_200, 2, 43_201, Fraction(49, 30), 0.0, Fraction(79, 30)),
        id="unpaid-specialists",
    ),
    pytest.param(
        # Several roles: months 9 (1.3), 4 sites (0.9), 20 posts (1.5). Follower pay
        # int(1500 × 1.5 × 0.9) = 2025; total int(2025 × 100 × 1.3 × 1.5 × 0.9) = int(355,387.5).
        # Team (50,000 + 3 × 15,000) × 9 = 855,000 for 4 people; goal 1,210,387.
        # Share ceil(999/5) = 200 → price 1199; to sell 1,210,387 // 200 + 1 = 6051 + 1.
        # Followers 0.75 + 0.675 + 1 = 2.425; specialists 15000 / (855,000 // 4 = 213,750) = 4/57;
        # overall 2.425 + 4/57 + 1.
        (9, 4, 20, 999, {Role.DIRECTOR: (1, 50_000), Role.COPYWRITER: (3, 15_000)}),
        (2025, 355_387, 855_000, 1_210_387, 1199, 6052, 2.425, Fraction(4, 57), Fraction(97, 40) + Fraction(4, 57) + 1),
        id="several-roles",
    ),
]


@pytest.mark.parametrize("given, expected", BUDGETS)
def test_budget_and_ratings_match_the_hand_computed_numbers(given, expected):
    months, sites, posts, price, team = given
    follower_pay, total_follower_pay, specialists_pay, goal, product_price, products_to_sell = expected[:6]
    followers, specialists, overall = expected[6:]
    budget = budget_compute(months=months, sites=sites, posts_per_month=posts, author_price=price, specialists=team)
    assert budget.follower_pay == follower_pay
    assert budget.total_follower_pay == total_follower_pay
    assert budget.specialists_pay == specialists_pay
    assert budget.specialists_count == sum(count for count, _salary in team.values())
    assert budget.goal == goal
    assert budget.product_price == product_price
    assert budget.products_to_sell == products_to_sell
    ratings = ratings_compute(budget=budget, months=months, followers=0, approved_posts=0)
    assert ratings.followers == pytest.approx(float(followers))
    assert ratings.specialists == pytest.approx(float(specialists))
    assert ratings.promotion == 1.0
    assert ratings.overall == pytest.approx(float(overall))


@pytest.mark.parametrize(
    "joined, approved, followers_rating, promotion",
    [
        # Typical budget (6 months, follower pay 1050): 0.5 + 0.35 + (1 − joined/100).
        (0, 0, 1.85, 1.0),
        (30, 1, 1.55, 1.01),
        (100, 100, 0.85, 2.0),
        # More approved posts than followers wanted: the promotion rating stops at 2.0.
        (100, 150, 0.85, 2.0),
    ],
)
def test_followers_and_promotion_ratings_follow_who_joined_and_what_was_approved(
    joined, approved, followers_rating, promotion
):
    budget = budget_compute(
        months=6, sites=2, posts_per_month=10, author_price=1000, specialists={Role.VIDEOGRAPHER: (2, 20_000)}
    )
    ratings = ratings_compute(budget=budget, months=6, followers=joined, approved_posts=approved)
    assert ratings.followers == pytest.approx(followers_rating)
    assert ratings.promotion == pytest.approx(promotion)
    assert ratings.overall == pytest.approx(followers_rating + 0.125 + promotion)


def test_the_preview_gives_the_same_numbers_as_the_table():
    budget = services.budget_preview(
        data={
            "months": 3,
            "sites": ["youtube"],
            "posts_per_month": 1,
            "author_price": 0,
            "specialists": {},
        }
    )
    assert (budget.follower_pay, budget.total_follower_pay, budget.goal) == (495, 11_434, 11_434)
    assert budget.product_price == 0
    assert budget.products_to_sell is None


@pytest.mark.django_db
def test_a_created_project_stores_the_hand_computed_budget_and_ratings():
    project = project_make()  # the "typical" row: 6 months, 2 sites, 10 posts, 1000, 2 × 20,000
    assert (project.goal, project.product_price, project.products_to_sell) == (313_500, 1200, 1568)
    assert project.rating_followers == pytest.approx(1.85)
    assert project.rating_specialists == pytest.approx(0.125)
    assert project.rating_promotion == 1.0
    assert project.rating_overall == pytest.approx(2.975)


@pytest.mark.django_db
def test_a_project_without_specialists_is_created_with_a_specialists_rating_of_0():
    project = project_make(specialists={}, author_price=0)
    assert project.rating_specialists == 0
    assert project.products_to_sell is None
    assert project.roles.count() == 0
