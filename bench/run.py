"""`make bench`: seed, serve with gunicorn, drive each Agora endpoint and its ceiling with wrk, report.

    python -m bench.run --scale 1 --duration 15 --connections 8 32 --repetitions 3
    python -m bench.run --profile products_api      # one endpoint under cProfile, in process

The database (``DATABASE_URL``, default ``agora_bench``) is seeded only when its recorded scale
differs. Each repetition runs every scenario's Agora endpoint and its ceiling back to back, in
alternating order, so the machine's noise falls on both sides of a ratio alike. Results go to
``bench/results/<date>.json`` and ``.md`` (``--out`` elsewhere); ``--check`` fails the command when a
run had errors or a scenario is missing (the smoke test), never on a missed target.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from bench import report, scaleout, seed

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
WORKERS = 2


@dataclass(frozen=True)
class Scenario:
    name: str
    agora: str  # path; ``{chat}``/``{owner}`` filled from the seeded data
    ceiling: str
    auth: str  # "jwt" or "session"


SCENARIOS = [
    Scenario("products_api", "/api/products/", "/bench/ceiling/products/", "jwt"),
    Scenario("shop", "/shop/", "/bench/ceiling/shop/", "session"),
    Scenario("messages_1m", "/api/messages/?chat={big_chat}", "/bench/ceiling/messages/{big_chat}/", "jwt"),
    Scenario("messages_10k", "/api/messages/?chat={small_chat}", "/bench/ceiling/messages/{small_chat}/", "jwt"),
    Scenario("clients", "/api/clients/", "/bench/ceiling/clients/{owner}/", "jwt"),
    Scenario("articles", "/api/articles/", "/bench/ceiling/articles/", "jwt"),
    Scenario("projects", "/api/projects/", "/bench/ceiling/projects/", "jwt"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_seeded(scale: float) -> None:
    """Seed ``DATABASE_URL`` unless it already holds this scale (its comment says so)."""
    import psycopg2

    try:
        with psycopg2.connect(os.environ["DATABASE_URL"]) as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
            )
            current = cursor.fetchone()[0] or ""
        connection.close()
    except psycopg2.OperationalError:
        current = ""  # no such database yet
    if current != seed.marker(scale):
        subprocess.run([sys.executable, "-m", "bench.seed", "--scale", f"{scale:g}"], check=True, cwd=ROOT)


@contextmanager
def server(port: int, log: Path, workers: int = WORKERS) -> Iterator[str]:
    """gunicorn with the bench settings on ``port``; stopped (by its pid) on the way out."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            f"--workers={workers}",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            f"--error-logfile={log}",
        ],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/bench/ceiling/articles/", timeout=5).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited; see {log}") from None
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not answer; see {log}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def login(base: str) -> dict[str, str]:
    """The bench user's headers: ``jwt`` (an access token) and ``session`` (the cookies of a real login)."""
    body = json.dumps({"login": seed.BENCH_USERNAME, "password": seed.BENCH_PASSWORD}).encode()
    request = urllib.request.Request(f"{base}/api/auth/login/", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        access = json.load(answer)["access"]
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/", timeout=30).close()
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"login": seed.BENCH_USERNAME, "password": seed.BENCH_PASSWORD, "csrfmiddlewaretoken": csrf}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=form), timeout=30).close()
    if not any(cookie.name == "sessionid" for cookie in jar):
        raise RuntimeError("the bench user's form login set no session cookie")
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    return {"jwt": f"Authorization: Bearer {access}", "session": f"Cookie: {cookies}"}


def wrk(url: str, *, connections: int, duration: float, header: str | None) -> dict[str, Any]:
    """One wrk run, with the 1-minute load average sampled while it ran."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s", "-s", str(WRK_SCRIPT)]
    if header:
        command += ["-H", header]
    samples: list[float] = []
    finished = threading.Event()

    def sample() -> None:
        while not finished.wait(0.5):
            samples.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    finally:
        finished.set()
        sampler.join()
    return {**report.parse_wrk(output), "load": max(samples, default=os.getloadavg()[0])}


def seeded_ids() -> dict[str, int]:
    from accounts.models import User
    from chat.models import Chat

    return {
        "big_chat": Chat.objects.get(title=seed.BIG_CHAT).pk,
        "small_chat": Chat.objects.get(title=seed.SMALL_CHAT).pk,
        "owner": User.objects.get(username=seed.BENCH_USERNAME).pk,
    }


def http_runs(
    base: str, ids: dict[str, int], *, connections: list[int], duration: float, repetitions: int
) -> list[dict[str, Any]]:
    runs = []
    for repetition in range(repetitions):
        # A fresh login each round: the access token lives 15 minutes.
        headers = login(base)
        for scenario in SCENARIOS:
            sides = [("agora", scenario.agora, headers[scenario.auth]), ("ceiling", scenario.ceiling, None)]
            if repetition % 2:
                sides.reverse()
            for count in connections:
                for side, path, header in sides:
                    url = base + path.format(**ids)
                    if repetition == 0:
                        wrk(url, connections=2, duration=1, header=header)  # warm the workers' caches
                    result = wrk(url, connections=count, duration=duration, header=header)
                    runs.append(
                        {"scenario": scenario.name, "side": side, "connections": count, "repetition": repetition}
                        | result
                    )
                    sys.stdout.write(
                        f"  [{repetition + 1}/{repetitions}] {scenario.name:<13} {side:<7} c={count:<3} "
                        f"{result['rps']:8.1f} req/s  p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                        f"errors {result['errors']}  load {result['load']:.1f}\n"
                    )
    return runs


# --- Mail throughput ---------------------------------------------------------------------------


@contextmanager
def smtp_sink() -> Iterator[int]:
    """aiosmtpd's discarding sink in its own process (sharing ours would steal the sender's CPU)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"]
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def mail_runs(messages: int, repetitions: int) -> dict[str, Any]:
    """The mailing sender's real path (``mailing_send_now(wait=True)``) vs a raw smtplib loop."""
    from django.conf import settings
    from django.utils import timezone

    from accounts.models import User
    from mailings import services
    from mailings.models import Attempt, Client

    owner = User.objects.get(username=seed.BENCH_USERNAME)
    clients = list(Client.objects.filter(owner=owner).order_by("id")[:messages])
    message = services.mail_message_create(
        owner=owner, subject="Bench mailing", body="Hello,\n\nthe bench's mailing body, a short paragraph or two."
    )
    agora_rates, raw_rates, logged = [], [], 0
    with smtp_sink() as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        for repetition in range(repetitions):
            for side in ("agora", "raw") if repetition % 2 == 0 else ("raw", "agora"):
                if side == "agora":
                    now = timezone.now()
                    mailing = services.mailing_create(
                        owner=owner,
                        message=message,
                        clients=clients,
                        start_at=now + timedelta(days=1),
                        end_at=now + timedelta(days=2),
                        periodicity="once",
                    )
                    started = time.perf_counter()
                    run = services.mailing_send_now(mailing=mailing, actor=None, wait=True)
                    agora_rates.append(len(clients) / (time.perf_counter() - started))
                    logged += Attempt.objects.filter(run=run, status=Attempt.Status.SUCCESS).count()
                else:
                    started = time.perf_counter()
                    with smtplib.SMTP("127.0.0.1", port) as smtp:
                        for client in clients:
                            email = EmailMessage()
                            email["Subject"], email["From"], email["To"] = "Bench mailing", owner.email, client.email
                            email.set_content("Hello,\n\nthe bench's mailing body, a short paragraph or two.")
                            smtp.send_message(email)
                    raw_rates.append(len(clients) / (time.perf_counter() - started))
                sys.stdout.write(f"  mail [{repetition + 1}/{repetitions}] {side:<5} {len(clients)} messages\n")
    return report.mail_summary(agora_rates, raw_rates, len(clients), logged)


# --- Profile -----------------------------------------------------------------------------------


def profile(name: str, ids: dict[str, int], requests: int, out: Path, stamp: str) -> Path:
    """Serve ``requests`` requests of one Agora endpoint in process under cProfile; save the profile."""
    from django.test import Client

    scenario = next(s for s in SCENARIOS if s.name == name)
    client = Client(SERVER_NAME="127.0.0.1")
    credentials = {"login": seed.BENCH_USERNAME, "password": seed.BENCH_PASSWORD}
    headers = {}
    # Signed in the way wrk is: a session cookie only for the page, a bearer token only for the API.
    if scenario.auth == "session":
        client.post("/accounts/login/", credentials)
    else:
        access = client.post("/api/auth/login/", credentials, content_type="application/json").json()["access"]
        headers["Authorization"] = f"Bearer {access}"
    path = scenario.agora.format(**ids)
    for _ in range(5):  # warm up: imports, caches, templates
        client.get(path, headers=headers)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        response = client.get(path, headers=headers)
    profiler.disable()
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    target = out / f"profile-{name}-{stamp}.prof"
    profiler.dump_stats(target)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
    target.with_suffix(".txt").write_text(text.getvalue())
    return target


# --- Main --------------------------------------------------------------------------------------


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout


def commit() -> str:
    """HEAD, plus the files changed but not committed: the server ran the working tree."""
    changed = [line[3:] for line in _git("status", "--porcelain", "--untracked-files=no").splitlines()]
    head = _git("rev-parse", "--short", "HEAD").strip()
    return head + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Agora's benchmark (issue #11).")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--mail", type=int, default=5000, help="messages of the mail scenario (0: skip it)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--profile", choices=[s.name for s in SCENARIOS], help="profile one endpoint instead")
    parser.add_argument("--profile-requests", type=int, default=200)
    parser.add_argument("--check", action="store_true", help="fail on errors or a missing scenario")
    parser.add_argument("--scaleout", action="store_true", help="also: 2 gunicorn instances + 2 Celery workers")
    options = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", seed.DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    static_root = Path(tempfile.mkdtemp(prefix="agora-bench-static-"))
    os.environ["STATIC_ROOT"] = str(static_root)
    if shutil.which("wrk") is None and not options.profile:
        parser.error("wrk is missing: apt-get install wrk")
    options.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")

    # What the server will run: taken now, since others may commit while the bench runs.
    measured = commit()
    ensure_seeded(options.scale)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], check=True, cwd=ROOT)
    import django
    import redis

    django.setup()
    # Start from an empty cache: what a previous run left would flatter the first repetition.
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    ids = seeded_ids()
    try:
        if options.profile:
            saved = profile(options.profile, ids, options.profile_requests, options.out, stamp)
            sys.stdout.write(f"Profile: {saved} (and {saved.with_suffix('.txt').name}; snakeviz or pstats read it)\n")
            return 0
        with server(free_port(), Path(tempfile.gettempdir()) / f"agora-bench-gunicorn-{stamp}.log") as base:
            runs = http_runs(
                base, ids, connections=options.connections, duration=options.duration, repetitions=options.repetitions
            )
        mail = mail_runs(options.mail, options.repetitions) if options.mail else None
        spread_out = (
            scaleout.scaleout(ids, duration=options.duration, log_dir=Path(tempfile.gettempdir()))
            if options.scaleout
            else None
        )
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    meta = {
        "date": stamp,
        "commit": measured,
        "scale": options.scale,
        "duration": options.duration,
        "connections": options.connections,
        "repetitions": options.repetitions,
        "workers": WORKERS,
        "cpus": os.cpu_count(),
    }
    rows = report.summarise(runs, options.connections)
    cost = report.chat_cost(rows)
    (options.out / f"{stamp}.json").write_text(
        json.dumps(
            {"meta": meta, "runs": runs, "rows": rows, "chat_cost": cost, "mail": mail, "scaleout": spread_out},
            indent=2,
        )
        + "\n"
    )
    table = report.markdown(meta, rows, cost, mail) + report.scaleout_markdown(spread_out)
    (options.out / f"{stamp}.md").write_text(table)
    sys.stdout.write("\n" + table)
    if options.check:
        problems = report.problems(rows, [s.name for s in SCENARIOS], options.connections, mail, spread_out)
        for problem in problems:
            sys.stderr.write(f"bench check: {problem}\n")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
