"""`make bench SCALEOUT=1`: two gunicorn instances and two Celery workers on one PostgreSQL + Redis.

It shows what running Agora on more than one machine needs: throughput adds up (each instance
alone, then both at once, each with one worker so the two add CPU rather than share it), a session
made on one instance is valid on the other (sessions and the cache live in Redis and PostgreSQL),
and a scheduled job sent to both workers at once still does its work once (50 scheduled articles
are published once each, with one audit event each).
"""

import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import run

SCHEDULED_ARTICLES = 50


@contextmanager
def celery_workers(count: int, log_dir: Path) -> Iterator[None]:
    """``count`` Celery workers of one process each, stopped by their pids on the way out."""
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency=1",
                "--prefetch-multiplier=1",
                f"--hostname=bench{number}@%h",
                f"--logfile={log_dir / f'agora-bench-celery-{number}.log'}",
                "--loglevel=INFO",
            ],
            cwd=run.ROOT,
        )
        for number in range(count)
    ]
    try:
        from config.celery_app import app

        for _ in range(120):
            if len(app.control.ping(timeout=0.5)) >= count:
                break
        else:
            raise RuntimeError(f"{count} Celery workers did not answer; see {log_dir}/agora-bench-celery-*.log")
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _session_shared(first: str, second: str) -> bool:
    """A session made by logging in on ``first`` opens the signed-in shop page on ``second``."""
    cookie = run.login(first)["session"].removeprefix("Cookie: ")
    request = urllib.request.Request(f"{second}/shop/", headers={"Cookie": cookie})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status == 200
    except urllib.error.HTTPError:
        return False  # a redirect to the login page: the session was not known there


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _throughput(bases: list[str], path: str, *, duration: float, header: str) -> list[dict[str, Any]]:
    """wrk against every base URL at once (one wrk each, 8 connections)."""
    results: list[dict[str, Any]] = [{} for _ in bases]

    def drive(index: int) -> None:
        results[index] = run.wrk(bases[index] + path, connections=8, duration=duration, header=header)

    threads = [threading.Thread(target=drive, args=(index,)) for index in range(len(bases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _job_once() -> dict[str, Any]:
    """Send the blog's scheduled-publication job to both workers at once; count what it did."""
    from django.utils import timezone

    from blog.models import Article
    from core.models import AuditEvent
    from core.tasks import run_scheduled_job

    now = timezone.now()
    articles = Article.objects.bulk_create(
        [
            Article(title=f"Scheduled {number}", slug=f"bench-scheduled-{now:%H%M%S}-{number}", body="text")
            for number in range(SCHEDULED_ARTICLES)
        ]
    )
    ids = [article.pk for article in articles]
    Article.objects.filter(pk__in=ids).update(publish_at=now - timedelta(seconds=1))
    tasks = [run_scheduled_job.delay("blog.publish_scheduled_articles") for _ in range(4)]
    counts = [int(task.get(timeout=120)) for task in tasks]
    published = Article.objects.filter(pk__in=ids, is_published=True).count()
    events = AuditEvent.objects.filter(action="blog.article_published", target_id__in=[str(pk) for pk in ids]).count()
    return {
        "articles": SCHEDULED_ARTICLES,
        "task_counts": counts,
        "published": published,
        "audit_events": events,
        "once": sum(counts) == published == events == SCHEDULED_ARTICLES,
    }


def scaleout(ids: dict[str, int], *, duration: float, log_dir: Path) -> dict[str, Any]:
    with ExitStack() as stack:
        bases = [
            stack.enter_context(run.server(run.free_port(), log_dir / f"agora-bench-gunicorn-{n}.log", workers=1))
            for n in range(2)
        ]
        header = run.login(bases[0])["jwt"]
        path = "/api/products/"
        alone = [_throughput([base], path, duration=duration, header=header)[0] for base in bases]
        together = _throughput(bases, path, duration=duration, header=header)
        shared = _session_shared(bases[0], bases[1]) and _session_shared(bases[1], bases[0])
        stack.enter_context(celery_workers(2, log_dir))
        job = _job_once()
    single = sum(result["rps"] for result in alone) / len(alone)
    combined = sum(result["rps"] for result in together)
    return {
        "instances": 2,
        "workers_per_instance": 1,
        "single_rps": single,
        "combined_rps": combined,
        "adds_up": combined / single if single else 0.0,
        "errors": sum(result["errors"] for result in alone + together),
        "session_shared": shared,
        "job": job,
    }
