"""The bench's pure parts: wrk's output, the maths of medians and ratios, targets and the table."""

import json

import pytest

from bench import report, seed


def _wrk_output(**overrides: int) -> str:
    raw = {
        "requests": 3000,
        "duration_us": 15_000_000,
        "p50_us": 4_500,
        "p99_us": 12_250,
        "non2xx": 0,
        "connect": 0,
        "read": 0,
        "write": 0,
        "timeout": 0,
    } | overrides
    summary = "Running 15s test @ http://127.0.0.1:8000/\n  2 threads and 8 connections\nRequests/sec: 200.00\n"
    return summary + report.WRK_MARKER + json.dumps(raw) + "\n"


def test_parse_wrk_reads_the_json_line_of_the_lua_script():
    result = report.parse_wrk(_wrk_output())
    assert result == {"requests": 3000, "rps": 200.0, "p50_ms": 4.5, "p99_ms": 12.25, "non2xx": 0, "errors": 0}


def test_parse_wrk_counts_non_2xx_and_socket_errors_as_errors():
    result = report.parse_wrk(_wrk_output(non2xx=3, read=2, timeout=1))
    assert (result["non2xx"], result["errors"]) == (3, 6)


def test_parse_wrk_refuses_output_without_the_json_line():
    with pytest.raises(ValueError, match="BENCH-JSON"):
        report.parse_wrk("Requests/sec: 200.00\n")


def test_median_spread_and_paired_ratios():
    assert report.median([3.0, 1.0, 2.0]) == 2.0
    assert report.spread([90.0, 100.0, 110.0]) == pytest.approx(0.2)
    assert report.spread([]) == 0.0
    # Each repetition's pair is divided on its own: the noise the pair shares cancels.
    assert report.paired_ratios([50.0, 60.0], [100.0, 100.0]) == [0.5, 0.6]


def _run(scenario: str, side: str, repetition: int, rps: float, *, connections: int = 8, **extra: float) -> dict:
    return {
        "scenario": scenario,
        "side": side,
        "connections": connections,
        "repetition": repetition,
        "rps": rps,
        "p50_ms": extra.get("p50_ms", 10.0),
        "p99_ms": extra.get("p99_ms", 20.0),
        "errors": extra.get("errors", 0),
        "load": 1.0,
    }


def test_summarise_takes_the_median_of_paired_ratios_and_checks_the_target():
    runs = [
        _run("products_api", "agora", 0, 60.0),
        _run("products_api", "ceiling", 0, 100.0),
        _run("products_api", "agora", 1, 140.0),
        _run("products_api", "ceiling", 1, 200.0),
        _run("products_api", "agora", 2, 50.0),
        _run("products_api", "ceiling", 2, 100.0),
    ]
    [row] = report.summarise(runs, [8])
    assert row["ratio"] == pytest.approx(0.6)
    assert (row["ratio_min"], row["ratio_max"]) == (0.5, 0.7)
    assert row["agora_rps"] == 60.0 and row["ceiling_rps"] == 100.0
    assert row["met"] is True


def test_summarise_fails_a_row_on_errors_a_low_ratio_or_a_long_tail_at_32_connections():
    errors = report.summarise([_run("clients", "agora", 0, 90.0, errors=1), _run("clients", "ceiling", 0, 100.0)], [8])
    low = report.summarise([_run("clients", "agora", 0, 40.0), _run("clients", "ceiling", 0, 100.0)], [8])
    tail = report.summarise(
        [
            _run("clients", "agora", 0, 90.0, connections=32, p50_ms=10.0, p99_ms=41.0),
            _run("clients", "ceiling", 0, 100.0, connections=32),
        ],
        [32],
    )
    assert errors[0]["checks"] == {"errors": False, "ratio": True}
    assert low[0]["checks"] == {"errors": True, "ratio": False}
    assert tail[0]["checks"] == {"errors": True, "ratio": True, "p99": False}


def test_a_scenario_without_a_target_is_reported_and_met_without_errors():
    [row] = report.summarise([_run("projects", "agora", 0, 1.0), _run("projects", "ceiling", 0, 100.0)], [8])
    assert row["target"] is None and row["met"] is True


def test_chat_cost_divides_the_10k_rate_by_the_1m_rate():
    runs = [
        _run("messages_1m", "agora", 0, 80.0),
        _run("messages_1m", "ceiling", 0, 100.0),
        _run("messages_10k", "agora", 0, 100.0),
        _run("messages_10k", "ceiling", 0, 100.0),
    ]
    [cost] = report.chat_cost(report.summarise(runs, [8]))
    assert cost == {"connections": 8, "factor": 1.25, "met": False}


def test_mail_summary_needs_the_ratio_and_every_attempt_logged():
    met = report.mail_summary([90.0, 80.0], [100.0, 100.0], messages=10, logged=20)
    unlogged = report.mail_summary([90.0, 80.0], [100.0, 100.0], messages=10, logged=19)
    assert met["ratio"] == pytest.approx(0.85) and met["met"] is True
    assert unlogged["met"] is False


def test_markdown_has_a_row_per_scenario_with_ratio_target_and_verdict():
    runs = [_run("shop", "agora", 0, 30.0), _run("shop", "ceiling", 0, 100.0)]
    meta = {"date": "D", "commit": "abc", "scale": 0.1, "duration": 5, "repetitions": 1, "workers": 2, "cpus": 2}
    mail = report.mail_summary([90.0], [100.0], messages=10, logged=10)
    table = report.markdown(meta, report.summarise(runs, [8]), [], mail)
    assert "| `/shop/` page 1 (signed in) | 8 | 30 (0%) | 100 (0%) | 0.30 (0.30–0.30) | ≥ 0.35 |" in table
    assert table.splitlines()[-1].startswith("Ratio 0.90 (0.90–0.90) — yes; 10 attempts logged")


def test_problems_name_missing_scenarios_errors_and_unlogged_mail():
    rows = report.summarise([_run("shop", "agora", 0, 30.0, errors=2), _run("shop", "ceiling", 0, 100.0)], [8])
    mail = report.mail_summary([90.0], [100.0], messages=10, logged=9)
    assert report.problems(rows, ["shop", "clients"], [8], mail) == [
        "shop at 8 connections had 2 errors",
        "clients at 8 connections is missing",
        "mail: 9 of 10 attempts logged as success",
    ]
    clean = report.summarise([_run("shop", "agora", 0, 30.0), _run("shop", "ceiling", 0, 100.0)], [8])
    assert report.problems(clean, ["shop"], [8], None) == []


def test_seed_scales_counts_but_keeps_at_least_one_row():
    assert seed.scaled(seed.PRODUCTS, 1) == 100_000
    assert seed.scaled(seed.BIG_CHAT_MESSAGES, 0.01) == 10_000
    assert seed.scaled(seed.ARTICLES, 0.0001) == 1
    assert seed.marker(0.1) == "agora-bench scale=0.1"


def _scaleout(**overrides) -> dict:
    job = {"articles": 50, "task_counts": [50, 0, 0, 0], "published": 50, "audit_events": 50, "once": True}
    return {
        "single_rps": 100.0,
        "combined_rps": 180.0,
        "adds_up": 1.8,
        "errors": 0,
        "session_shared": True,
        "job": job,
    } | overrides


def test_scaleout_section_and_its_checks():
    section = report.scaleout_markdown(_scaleout())
    assert "100 req/s on one instance alone, 180 on both at once (1.80×)" in section
    assert "valid on the other: yes" in section
    assert report.scaleout_markdown(None) == ""
    assert report.problems([], [], [], None, _scaleout()) == []
    broken = _scaleout(errors=2, session_shared=False, job=_scaleout()["job"] | {"once": False})
    assert [problem.split(":")[1].strip()[:12] for problem in report.problems([], [], [], None, broken)] == [
        "2 errors",
        "a session ma",
        "the schedule",
    ]
