"""Send times: wall-clock steps in the mailing's time zone, clamped month ends, end_at, no long loops."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailings import sending
from mailings.models import Mailing

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")


def mailing_of(periodicity: str, start: datetime, end: datetime, zone: str = "UTC") -> Mailing:
    return Mailing(periodicity=periodicity, start_at=start, end_at=end, time_zone=zone)


def schedule(mailing: Mailing, limit: int = 1000) -> list[datetime]:
    """Every send time, following next_send_after from the first one (as the job does)."""
    times: list[datetime] = []
    moment = sending.next_send_after(mailing, None)
    while moment is not None and len(times) < limit:
        times.append(moment)
        moment = sending.next_send_after(mailing, moment)
    return times


def test_once_sends_at_start_only():
    start = datetime(2025, 5, 1, 9, tzinfo=UTC)
    mailing = mailing_of(Mailing.Periodicity.ONCE, start, start + timedelta(days=10))

    assert schedule(mailing) == [start]
    assert sending.next_send_after(mailing, start - timedelta(hours=1)) == start


def test_daily_and_weekly_step_by_a_day_and_a_week():
    start = datetime(2025, 5, 1, 9, tzinfo=UTC)
    daily = mailing_of(Mailing.Periodicity.DAILY, start, start + timedelta(days=3))
    weekly = mailing_of(Mailing.Periodicity.WEEKLY, start, start + timedelta(days=21))

    assert schedule(daily) == [start + timedelta(days=n) for n in range(4)]
    assert schedule(weekly) == [start + timedelta(weeks=n) for n in range(4)]


def test_next_send_is_strictly_after_the_moment_given():
    start = datetime(2025, 5, 1, 9, tzinfo=UTC)
    daily = mailing_of(Mailing.Periodicity.DAILY, start, start + timedelta(days=30))

    assert sending.next_send_after(daily, start - timedelta(seconds=1)) == start
    assert sending.next_send_after(daily, start) == start + timedelta(days=1)
    assert sending.next_send_after(daily, start + timedelta(days=1, hours=1)) == start + timedelta(days=2)


@pytest.mark.parametrize(
    ("year", "february"),
    [(2024, 29), (2025, 28)],
    ids=["leap-year", "common-year"],
)
def test_monthly_on_the_31st_is_clamped_to_month_end_without_drift(year, february):
    start = datetime(year, 1, 31, 9, tzinfo=UTC)
    mailing = mailing_of(Mailing.Periodicity.MONTHLY, start, datetime(year, 6, 30, 23, tzinfo=UTC))

    assert [moment.date() for moment in schedule(mailing)] == [
        datetime(year, 1, 31).date(),
        datetime(year, 2, february).date(),
        datetime(year, 3, 31).date(),
        datetime(year, 4, 30).date(),
        datetime(year, 5, 31).date(),
        datetime(year, 6, 30).date(),
    ]
    assert {moment.time() for moment in schedule(mailing)} == {datetime(year, 1, 31, 9).time()}


def test_end_at_is_respected_and_an_occurrence_at_end_at_is_included():
    start = datetime(2025, 5, 1, 9, tzinfo=UTC)
    exactly = mailing_of(Mailing.Periodicity.DAILY, start, start + timedelta(days=2))
    just_before = mailing_of(Mailing.Periodicity.DAILY, start, start + timedelta(days=2) - timedelta(seconds=1))

    assert schedule(exactly)[-1] == start + timedelta(days=2)
    assert len(schedule(exactly)) == 3
    assert len(schedule(just_before)) == 2
    assert sending.next_send_after(exactly, start + timedelta(days=5)) is None


def local_times(times: list[datetime], zone: ZoneInfo) -> list[datetime]:
    return [moment.astimezone(zone) for moment in times]


@pytest.mark.parametrize(
    ("first_day", "last_day"),
    [((2025, 3, 27), (2025, 4, 2)), ((2025, 10, 23), (2025, 10, 29))],
    ids=["spring-forward-mar-30", "fall-back-oct-26"],
)
def test_daily_nine_oclock_in_berlin_stays_nine_oclock_across_dst(first_day, last_day):
    start = datetime(*first_day, 9, tzinfo=BERLIN)
    end = datetime(*last_day, 9, tzinfo=BERLIN)
    mailing = mailing_of(Mailing.Periodicity.DAILY, start.astimezone(UTC), end.astimezone(UTC), "Europe/Berlin")

    local = local_times(schedule(mailing), BERLIN)

    assert len(local) == 7  # one per day: none skipped, none doubled
    assert [moment.date() for moment in local] == [start.date() + timedelta(days=n) for n in range(7)]
    assert {(moment.hour, moment.minute) for moment in local} == {(9, 0)}
    # The UTC hour does change with the clocks, which is the point.
    assert len({moment.astimezone(UTC).hour for moment in local}) == 2


@pytest.mark.parametrize("month", [3, 10])
def test_daily_nine_oclock_in_moscow_stays_nine_oclock_which_is_six_utc(month):
    start = datetime(2025, month, 24, 9, tzinfo=MOSCOW)
    mailing = mailing_of(
        Mailing.Periodicity.DAILY, start.astimezone(UTC), (start + timedelta(days=9)).astimezone(UTC), "Europe/Moscow"
    )

    times = schedule(mailing)

    assert len(times) == 10
    assert {(moment.astimezone(MOSCOW).hour, moment.minute) for moment in times} == {(9, 0)}
    assert {moment.hour for moment in times} == {6}


@pytest.mark.parametrize("change_day", [30, 26], ids=["nonexistent-0230-mar-30", "repeated-0230-oct-26"])
def test_a_send_at_a_time_the_clock_change_skips_or_repeats_happens_once(change_day):
    start = datetime(2025, 3 if change_day == 30 else 10, change_day - 2, 2, 30, tzinfo=BERLIN)
    mailing = mailing_of(
        Mailing.Periodicity.DAILY, start.astimezone(UTC), (start + timedelta(days=4)).astimezone(UTC), "Europe/Berlin"
    )

    times = schedule(mailing)

    assert len(times) == 5
    assert times == sorted(set(times))
    assert [moment.astimezone(BERLIN).date() for moment in times] == [
        start.date() + timedelta(days=n) for n in range(5)
    ]


def test_next_send_from_any_moment_across_dst_is_the_following_local_nine_oclock():
    start = datetime(2025, 3, 25, 9, tzinfo=BERLIN)
    mailing = mailing_of(
        Mailing.Periodicity.DAILY, start.astimezone(UTC), (start + timedelta(days=10)).astimezone(UTC), "Europe/Berlin"
    )
    expected = schedule(mailing)

    moment = start.astimezone(UTC) - timedelta(minutes=30)
    while moment < expected[-1]:
        following = sending.next_send_after(mailing, moment)
        assert following == min(time for time in expected if time > moment)
        moment += timedelta(minutes=45)


@pytest.mark.parametrize(
    "periodicity", [Mailing.Periodicity.DAILY, Mailing.Periodicity.WEEKLY, Mailing.Periodicity.MONTHLY]
)
def test_long_schedules_need_only_a_few_steps(monkeypatch, periodicity):
    mailing = mailing_of(
        periodicity, datetime(2000, 1, 31, 9, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC), "Europe/Berlin"
    )
    calls = []
    real = sending.occurrence
    monkeypatch.setattr(sending, "occurrence", lambda m, index: calls.append(index) or real(m, index))

    following = sending.next_send_after(mailing, datetime(2090, 6, 15, 12, tzinfo=UTC))
    after_end = sending.next_send_after(mailing, datetime(2150, 1, 1, tzinfo=UTC))

    assert datetime(2090, 6, 15, 12, tzinfo=UTC) < following < datetime(2090, 7, 31, 12, tzinfo=UTC)
    assert after_end is None
    assert len(calls) <= 12
