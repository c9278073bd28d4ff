"""Five-field cron expressions: what parses to which values, and what is refused and why."""

from __future__ import annotations

import pytest

from app.ecosystem.cron import CronError, CronSchedule, parse_cron

EVERY_MINUTE = frozenset(range(60))
EVERY_HOUR = frozenset(range(24))
EVERY_DAY = frozenset(range(1, 32))
EVERY_MONTH = frozenset(range(1, 13))
EVERY_WEEKDAY = frozenset(range(7))


def fields(schedule: CronSchedule) -> tuple[frozenset[int], ...]:
    return (
        schedule.minutes,
        schedule.hours,
        schedule.days_of_month,
        schedule.months,
        schedule.days_of_week,
    )


def test_every_minute() -> None:
    schedule = parse_cron("* * * * *")
    assert fields(schedule) == (EVERY_MINUTE, EVERY_HOUR, EVERY_DAY, EVERY_MONTH, EVERY_WEEKDAY)
    assert schedule.expression == "* * * * *"


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        ("@yearly", ({0}, {0}, {1}, {1}, EVERY_WEEKDAY)),
        ("@annually", ({0}, {0}, {1}, {1}, EVERY_WEEKDAY)),
        ("@monthly", ({0}, {0}, {1}, EVERY_MONTH, EVERY_WEEKDAY)),
        ("@weekly", ({0}, {0}, EVERY_DAY, EVERY_MONTH, {0})),
        ("@daily", ({0}, {0}, EVERY_DAY, EVERY_MONTH, EVERY_WEEKDAY)),
        ("@midnight", ({0}, {0}, EVERY_DAY, EVERY_MONTH, EVERY_WEEKDAY)),
        ("@hourly", ({0}, EVERY_HOUR, EVERY_DAY, EVERY_MONTH, EVERY_WEEKDAY)),
        ("@HOURLY", ({0}, EVERY_HOUR, EVERY_DAY, EVERY_MONTH, EVERY_WEEKDAY)),
        (" @Daily ", ({0}, {0}, EVERY_DAY, EVERY_MONTH, EVERY_WEEKDAY)),
    ],
)
def test_macros(macro: str, expected: tuple[set[int], ...]) -> None:
    schedule = parse_cron(macro)
    assert fields(schedule) == tuple(frozenset(values) for values in expected)
    assert schedule.expression == macro  # the expression as written is kept


@pytest.mark.parametrize(
    ("expression", "index", "values"),
    [
        ("*/5 * * * *", 0, set(range(0, 60, 5))),
        ("*/15 * * * *", 0, {0, 15, 30, 45}),
        ("5/15 * * * *", 0, {5, 20, 35, 50}),
        ("10-20/5 * * * *", 0, {10, 15, 20}),
        ("1,2,5-7 * * * *", 0, {1, 2, 5, 6, 7}),
        ("0,30 9-17 * * *", 1, set(range(9, 18))),
        ("0 */6 * * *", 1, {0, 6, 12, 18}),
        ("0 0 1,15 * *", 2, {1, 15}),
        ("0 0 31 * *", 2, {31}),
        ("0 0 1 jan *", 3, {1}),
        ("0 0 1 DEC *", 3, {12}),
        ("0 0 1 jan-mar *", 3, {1, 2, 3}),
        ("0 0 1 Jun,aug *", 3, {6, 8}),
        ("0 0 1 */3 *", 3, {1, 4, 7, 10}),
        ("0 9 * * mon-fri", 4, {1, 2, 3, 4, 5}),
        ("0 9 * * MON,wed,Fri", 4, {1, 3, 5}),
        ("0 9 * * sun", 4, {0}),
        ("0 9 * * sat", 4, {6}),
        ("0 9 * * 1-5", 4, {1, 2, 3, 4, 5}),
        ("0 9 * * */2", 4, {0, 2, 4, 6}),
    ],
)
def test_fields(expression: str, index: int, values: set[int]) -> None:
    assert fields(parse_cron(expression))[index] == frozenset(values)


def test_day_of_week_seven_folds_to_sunday() -> None:
    assert parse_cron("0 0 * * 7").days_of_week == frozenset({0})
    assert parse_cron("0 0 * * 5-7").days_of_week == frozenset({5, 6, 0})
    assert parse_cron("0 0 * * 0,7").days_of_week == frozenset({0})
    assert parse_cron("0 0 * * *").days_of_week == EVERY_WEEKDAY


def test_extra_whitespace_between_fields_is_allowed() -> None:
    assert parse_cron("  0   12 * *  * ").hours == frozenset({12})


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("61 * * * *", ["minute", "61"]),
        ("* 24 * * *", ["hour", "24"]),
        ("* * 0 * *", ["day of month", "0"]),
        ("* * 32 * *", ["day of month", "32"]),
        ("* * * 13 *", ["month", "13"]),
        ("* * * 0 *", ["month", "0"]),
        ("* * * * 8", ["day of week", "8"]),
        ("* * * * 5-2", ["day of week", "backwards"]),
        ("30-10 * * * *", ["minute", "backwards"]),
        ("* * * dec-jan *", ["month", "backwards"]),
        ("*/0 * * * *", ["minute", "0"]),
        ("* */0 * * *", ["hour", "0"]),
        ("*/99 * * * *", ["minute", "99"]),
        ("abc * * * *", ["minute", "'abc'"]),
        ("* * * * funday", ["day of week", "'funday'"]),
        ("* * * jan-foo *", ["month", "'foo'"]),
        ("mon * * * *", ["minute", "'mon'"]),  # names only where they belong
        ("* * * * jan", ["day of week", "'jan'"]),
        ("1,,2 * * * *", ["minute"]),
        ("-5 * * * *", ["minute"]),
        ("*/-1 * * * *", ["minute"]),
        ("* * *", ["five fields", "3 field(s)"]),
        ("* * * * * *", ["five fields", "6 field(s)"]),
        ("", ["five fields", "0 field(s)"]),
        ("@nope", ["five fields", "1 field(s)"]),
        ("every day", ["five fields", "2 field(s)"]),
    ],
)
def test_invalid_expressions_name_the_field(expression: str, words: list[str]) -> None:
    with pytest.raises(CronError) as caught:
        parse_cron(expression)
    message = str(caught.value)
    for word in words:
        assert word in message


def test_the_first_bad_field_is_named() -> None:
    with pytest.raises(CronError, match=r"^hour: 25 is outside 0-23$"):
        parse_cron("0 25 32 13 8")


def test_cron_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="minute"):
        parse_cron("60 * * * *")
