"""What every sweep command shares: run once, or ``--loop`` every ``--interval`` seconds (``--max-runs``),
or ``--enqueue`` the sweep for the task workers. A command names its sweep function (it returns the counts,
printed as ``key=value`` in their order) and, if it has one, the task that runs the same sweep."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management.base import BaseCommand


class SweepCommand(BaseCommand):
    default_interval = 60
    min_interval = 1
    task = None  # a django-tasks task running the same sweep, for --enqueue
    sweep_function: Callable[[], dict]  # set by each command: staticmethod(the sweep)

    def sweep(self) -> dict:
        return self.sweep_function()

    def describe(self, counts: dict) -> str:
        return " ".join(f"{k}={v}" for k, v in counts.items())

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep sweeping every --interval seconds")
        parser.add_argument("--interval", type=int, default=self.default_interval)
        parser.add_argument("--max-runs", type=int, default=0, help="with --loop: stop after this many sweeps")
        if self.task is not None:
            parser.add_argument("--enqueue", action="store_true",
                                help="put a sweep on the task queue for the workers (db_worker) instead of running it here")

    def handle(self, *args, loop=False, interval=None, max_runs=0, enqueue=False, **opts):
        runs = 0
        while True:
            runs += 1
            if enqueue:
                result = self.task.enqueue()
                self.stdout.write(f"enqueued sweep task {result.id}")
            else:
                self.stdout.write(self.describe(self.sweep()))
            if not loop or (max_runs and runs >= max_runs):
                return
            time.sleep(max(self.min_interval, self.default_interval if interval is None else interval))
