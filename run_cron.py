#!/usr/bin/env python
"""Broker-less scheduler for the embedded mode: runs the jobs of ``core.schedule`` when due.

    python run_cron.py          loop forever, running each job when its schedule fires; prints
                                only the runs that did something (a count above zero) and failures
    python run_cron.py --once   run every job that is due now, once, and exit
    python run_cron.py --list   print the schedule

Several copies may run at once (or beside Celery beat): each due run is claimed in the database
by exactly one of them, and every job is idempotent anyway.
"""

import argparse
import os
import signal
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="run the jobs that are due now and exit")
    mode.add_argument("--list", action="store_true", help="print the schedule and exit")
    parser.add_argument("--interval", type=float, default=20.0, help="seconds between checks in the loop")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.db import close_old_connections

    from core.jobs import describe_result, run_due_jobs, run_due_jobs_reporting
    from core.schedule import JOBS

    if args.list:
        for job in JOBS:
            print(f"{job.cron:<15} {job.name:<45} {job.description}")
        return 0
    if args.once:
        ran = run_due_jobs()
        print("ran: " + (", ".join(ran) if ran else "nothing was due"))
        return 0

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from sitestore.previews import previews_reclaim, previews_shutdown

    # run_cron lives and dies with the embedded server (make run): site previews that a previous
    # run of it left behind end now, and this run's end with it.
    reclaimed = previews_reclaim()
    if reclaimed:
        print(f"run_cron: previews reclaimed: {reclaimed}", flush=True)
    print(f"run_cron: {len(JOBS)} jobs, checking every {args.interval:g} s", flush=True)
    while not stopping:
        close_old_connections()
        # Silent when nothing happened: the console of `make run` stays readable.
        for outcome in run_due_jobs_reporting():
            if outcome.error is not None:
                print(f"run_cron: {outcome.name} failed: {outcome.error!r}", flush=True)
            elif outcome.did_something:
                print(f"run_cron: {outcome.name}: {describe_result(outcome.result)}", flush=True)
        deadline = time.monotonic() + args.interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.5)
    close_old_connections()
    stopped = previews_shutdown()
    if stopped:
        print(f"run_cron: previews stopped at shutdown: {stopped}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
