"""The pure half of the bench: wrk's output, medians and spreads, ratios, targets, the Markdown table.

Nothing here touches a server or a database, so `tests/bench/` checks it quickly.
"""

import json
import statistics
from dataclasses import dataclass
from typing import Any

# wrk prints this line from bench/wrk.lua's done(); everything else it prints is ignored.
WRK_MARKER = "BENCH-JSON "


@dataclass(frozen=True)
class Target:
    """A ratio Agora/ceiling the issue asks for (``None`` when the issue sets none: reported only)."""

    scenario: str
    title: str
    ratio: float | None


# The scenarios, in the table's order, with the targets (#11, "Targets").
TARGETS = [
    Target("products_api", "`GET /api/products/` page 1 (JWT)", 0.6),
    Target("shop", "`/shop/` page 1 (signed in)", 0.35),
    Target("messages_1m", "`GET /api/messages/?chat=` newest 50, 1M chat (JWT)", 0.6),
    Target("messages_10k", "`GET /api/messages/?chat=` newest 50, 10k chat (JWT)", 0.6),
    Target("clients", "`GET /api/clients/` page 1 (JWT)", 0.5),
    Target("articles", "`GET /api/articles/` page 1 (JWT)", 0.5),
    Target("projects", "`GET /api/projects/` page 1 (JWT)", None),
]
MAIL_TARGET = 0.8
CHAT_COST_LIMIT = 1.2  # cost of the newest page at 1M messages / at 10k
P99_LIMIT = 4.0  # p99 ≤ 4 × p50 at 32 connections


def parse_wrk(output: str) -> dict[str, float]:
    """The numbers of one wrk run: requests/s, p50 and p99 in ms, requests, errors (non-2xx + socket)."""
    for line in output.splitlines():
        if line.startswith(WRK_MARKER):
            raw = json.loads(line.removeprefix(WRK_MARKER))
            break
    else:
        raise ValueError(f"no {WRK_MARKER.strip()} line in wrk's output:\n{output}")
    seconds = raw["duration_us"] / 1_000_000
    socket_errors = sum(raw[name] for name in ("connect", "read", "write", "timeout"))
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "non2xx": raw["non2xx"],
        "errors": raw["non2xx"] + socket_errors,
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def spread(values: list[float]) -> float:
    """(max − min) / median: how far apart the repetitions were, as a fraction of the median."""
    middle = median(values)
    return (max(values) - min(values)) / middle if values and middle else 0.0


def paired_ratios(agora: list[float], ceiling: list[float]) -> list[float]:
    """Agora / ceiling for each repetition (each pair ran back to back, so the noise they share cancels)."""
    return [a / c if c else 0.0 for a, c in zip(agora, ceiling, strict=True)]


def _runs(runs: list[dict[str, Any]], scenario: str, side: str, connections: int) -> list[dict[str, Any]]:
    found = [r for r in runs if r["scenario"] == scenario and r["side"] == side and r["connections"] == connections]
    return sorted(found, key=lambda r: r["repetition"])


def summarise(runs: list[dict[str, Any]], connections: list[int]) -> list[dict[str, Any]]:
    """One row per scenario and connection count: medians, spreads, the ratio and whether targets hold."""
    rows = []
    for target in TARGETS:
        for count in connections:
            agora, ceiling = (
                _runs(runs, target.scenario, "agora", count),
                _runs(runs, target.scenario, "ceiling", count),
            )
            if not agora or not ceiling:
                continue
            ratios = paired_ratios([r["rps"] for r in agora], [r["rps"] for r in ceiling])
            ratio = median(ratios)
            p50, p99 = median([r["p50_ms"] for r in agora]), median([r["p99_ms"] for r in agora])
            errors = sum(r["errors"] for r in agora) + sum(r["errors"] for r in ceiling)
            checks = {"errors": errors == 0}
            if target.ratio is not None:
                checks["ratio"] = ratio >= target.ratio
            if count >= 32:
                checks["p99"] = p99 <= P99_LIMIT * p50
            rows.append(
                {
                    "scenario": target.scenario,
                    "title": target.title,
                    "connections": count,
                    "agora_rps": median([r["rps"] for r in agora]),
                    "agora_spread": spread([r["rps"] for r in agora]),
                    "ceiling_rps": median([r["rps"] for r in ceiling]),
                    "ceiling_spread": spread([r["rps"] for r in ceiling]),
                    "ratio": ratio,
                    "ratio_min": min(ratios),
                    "ratio_max": max(ratios),
                    "target": target.ratio,
                    "p50_ms": p50,
                    "p99_ms": p99,
                    "errors": errors,
                    "load": median([r["load"] for r in agora + ceiling]),
                    "met": all(checks.values()),
                    "checks": checks,
                }
            )
    return rows


def chat_cost(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cost of the 1M chat's newest page over the 10k chat's (1/rps each), per connection count."""
    result = []
    for big in (r for r in rows if r["scenario"] == "messages_1m"):
        small = next(
            (r for r in rows if r["scenario"] == "messages_10k" and r["connections"] == big["connections"]), None
        )
        if small and big["agora_rps"]:
            factor = small["agora_rps"] / big["agora_rps"]
            result.append({"connections": big["connections"], "factor": factor, "met": factor <= CHAT_COST_LIMIT})
    return result


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def markdown(meta: dict[str, Any], rows: list[dict[str, Any]], cost: list[dict[str, Any]], mail: dict | None) -> str:
    """The results table of one run, as committed in bench/results/<date>.md."""
    lines = [
        f"# Bench results {meta['date']}",
        "",
        f"Commit {meta['commit']}, scale {meta['scale']:g}, {meta['duration']} s runs, "
        f"{meta['repetitions']} interleaved repetitions, gunicorn {meta['workers']} sync workers, "
        f"{meta['cpus']} CPUs. Medians of the repetitions; spread = (max − min) / median; ratio = median "
        "of the per-repetition Agora/ceiling ratios (min–max); load = the highest 1-minute load average of each "
        "run, median of the row's runs.",
        "",
        "| endpoint | conns | Agora req/s (spread) | ceiling req/s (spread) | ratio (min–max) | target | "
        "p50 / p99 ms | errors | load | met |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        target = f"≥ {row['target']}" if row["target"] is not None else "—"
        lines.append(
            f"| {row['title']} | {row['connections']} | {row['agora_rps']:.0f} ({row['agora_spread']:.0%}) | "
            f"{row['ceiling_rps']:.0f} ({row['ceiling_spread']:.0%}) | {row['ratio']:.2f} "
            f"({row['ratio_min']:.2f}–{row['ratio_max']:.2f}) | {target} | {row['p50_ms']:.1f} / {row['p99_ms']:.1f} | "
            f"{row['errors']} | {row['load']:.1f} | {_yes(row['met'])} |"
        )
    lines += ["", f"Chat: cost of the newest page at 1M messages / at 10k (target ≤ {CHAT_COST_LIMIT}):", ""]
    lines += [f"- {c['connections']} connections: {c['factor']:.2f} — {_yes(c['met'])}" for c in cost]
    if mail:
        lines += [
            "",
            f"Mail: {mail['messages']} messages over one SMTP connection to a local sink "
            f"(target ≥ {MAIL_TARGET} of raw smtplib):",
            "",
            "| sender | messages/s (spread) |",
            "|---|---|",
            f"| mailing sender (`run_execute`, attempts logged) | {mail['agora_rate']:.0f} "
            f"({mail['agora_spread']:.0%}) |",
            f"| raw `smtplib` loop | {mail['raw_rate']:.0f} ({mail['raw_spread']:.0%}) |",
            "",
            f"Ratio {mail['ratio']:.2f} ({mail['ratio_min']:.2f}–{mail['ratio_max']:.2f}) — {_yes(mail['met'])}; "
            f"{mail['logged']} attempts logged as success.",
        ]
    return "\n".join(lines) + "\n"


def mail_summary(agora: list[float], raw: list[float], messages: int, logged: int) -> dict[str, Any]:
    """Messages/s of the sender and of raw smtplib per repetition, summarised like the HTTP rows."""
    ratios = paired_ratios(agora, raw)
    return {
        "messages": messages,
        "agora_rate": median(agora),
        "agora_spread": spread(agora),
        "raw_rate": median(raw),
        "raw_spread": spread(raw),
        "ratio": median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "logged": logged,
        "logged_expected": messages * len(agora),
        "met": median(ratios) >= MAIL_TARGET and logged == messages * len(agora),
    }


def problems(
    rows: list[dict[str, Any]],
    scenarios: list[str],
    connections: list[int],
    mail: dict[str, Any] | None,
    spread_out: dict[str, Any] | None = None,
) -> list[str]:
    """What makes a run unusable (the smoke test's assertions): errors, missing scenarios, unlogged mail."""
    found = []
    for scenario in scenarios:
        for count in connections:
            row = next((r for r in rows if r["scenario"] == scenario and r["connections"] == count), None)
            if row is None:
                found.append(f"{scenario} at {count} connections is missing")
            elif row["errors"]:
                found.append(f"{scenario} at {count} connections had {row['errors']} errors")
    if mail is not None and mail["logged"] != mail["logged_expected"]:
        found.append(f"mail: {mail['logged']} of {mail['logged_expected']} attempts logged as success")
    if spread_out is not None:
        if spread_out["errors"]:
            found.append(f"scale-out: {spread_out['errors']} errors")
        if not spread_out["session_shared"]:
            found.append("scale-out: a session made on one instance was refused by the other")
        if not spread_out["job"]["once"]:
            found.append(f"scale-out: the scheduled job did not run once: {spread_out['job']}")
    return found


def scaleout_markdown(spread_out: dict[str, Any] | None) -> str:
    """The scale-out section of the table (empty when the run had none)."""
    if spread_out is None:
        return ""
    job = spread_out["job"]
    return "\n".join(
        [
            "",
            "Scale-out: 2 gunicorn instances (1 sync worker each) and 2 Celery workers, one PostgreSQL + Redis:",
            "",
            f"- `GET /api/products/`: {spread_out['single_rps']:.0f} req/s on one instance alone, "
            f"{spread_out['combined_rps']:.0f} on both at once ({spread_out['adds_up']:.2f}×), "
            f"{spread_out['errors']} errors",
            f"- a session made on one instance is valid on the other: {_yes(spread_out['session_shared'])}",
            f"- the scheduled job sent {len(job['task_counts'])} times to both workers published "
            f"{job['published']} of {job['articles']} articles (per task: {job['task_counts']}), "
            f"{job['audit_events']} audit events: once — {_yes(job['once'])}",
            "",
        ]
    )
