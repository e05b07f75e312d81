"""`python -m bench`: every SPEC §9 figure, beside a bare Bolt app's where there is one.

Absolute times on a shared machine are noise; the ratio column is what the targets speak of.
"""

from __future__ import annotations

import argparse
import os
import platform
from importlib.metadata import version

from bench import (
    digest_burn_up_bench,
    http_bench,
    memory_bench,
    metrics_bench,
    redraw_bench,
    report_bench,
    scheduler_bench,
    startup_bench,
)


def _row(what: str, onboard: str, bare: str, ratio: str, target: str, ok: bool | None) -> str:
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    return f"| {what} | {onboard} | {bare} | {ratio} | {target} | {verdict} |"


HEADER = [
    "| figure | Onboard | bare Bolt | ratio | target | |",
    "| --- | --- | --- | --- | --- | --- |",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--applications", type=int, default=10000)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["mark", *http_bench.COMMANDS],
        help="only these HTTP rows (e.g. --only mark), a quick look",
    )
    parser.add_argument(
        "--without-homes",
        action="store_true",
        help="with --only: the step the commands change has no assignee, so no Home is redrawn",
    )
    args = parser.parse_args()

    print(
        f"cores {os.cpu_count()} · Python {platform.python_version()} · "
        f"slack-bolt {version('slack-bolt')} · SQLAlchemy {version('sqlalchemy')}"
    )
    if args.only:  # a quick look at one HTTP figure: nothing else runs
        names = [n for n in args.only if n in http_bench.COMMANDS]
        setup = http_bench.SETUP_WITHOUT_HOMES if args.without_homes else http_bench.SETUP
        http = http_bench.run(
            args.requests,
            args.runs,
            mark="mark" in args.only,
            at_200=False,
            commands=names,
            setup=setup,
        )
        print("\n".join([*HEADER, *http_bench.rows(http, _row), *http_bench.warnings(http)]))
        return
    http = http_bench.run(args.requests, args.runs)
    passes = scheduler_bench.reminder_pass((args.applications // 10, args.applications))
    digest = scheduler_bench.digest_pass(args.channels)
    memory = memory_bench.run(args.applications)
    redraws, startup = redraw_bench.run(), startup_bench.run()
    metrics = metrics_bench.run(args.requests, args.runs)

    small, large = passes
    rows = [
        *HEADER,
        *http_bench.rows(http, _row),
        _row(
            f"pass, {large.applications:,} apps (1% stalled)",
            f"{large.seconds:.2f} s",
            "",
            "",
            "< 2 s",
            large.seconds < 2,
        ),
        _row(
            "queries to plan a pass",
            f"{small.planning_queries} → {large.planning_queries}",
            f"({small.applications:,} → {large.applications:,} apps)",
            "",
            "not growing with apps",
            large.planning_queries <= small.planning_queries,
        ),
        _row(
            "queries to deliver, per message sent",
            f"{large.delivery_queries / max(large.sent, 1):.1f}",
            f"({large.sent} sent)",
            "",
            "(exactly-once bookkeeping)",
            None,
        ),
        _row(
            f"digest pass, {digest.channels:,} channels",
            f"{digest.seconds:.2f} s",
            f"{digest.sent} sent",
            "",
            "concurrent across channels",
            digest.sent == digest.channels and digest.seconds < digest.channels / 10,
        ),
        _row(
            "5 messages to one channel",
            f"{digest.burst_seconds:.2f} s",
            "",
            "",
            "≥ 1 s apart",
            digest.burst_seconds >= 4 * 0.99,
        ),
        _row(
            f"RSS with {args.applications:,} apps",
            f"{memory['after_pass_and_load_mb']:.0f} MB",
            f"idle {memory['idle_mb']:.0f} MB",
            "",
            "< 200 MB",
            memory["after_pass_and_load_mb"] < 200,
        ),
        *report_bench.rows(args.applications, _row),
        *digest_burn_up_bench.rows(args.channels, _row),
    ]
    rows += [*scheduler_bench.scale_rows(_row), memory_bench.scale_row(_row)]
    rows += scheduler_bench.digest_scale_rows(_row)
    rows += redraw_bench.rows(redraws, _row) + startup_bench.rows(startup, _row)
    rows += metrics_bench.rows(metrics, _row)
    print("\n".join([*rows, *http_bench.warnings(http)]))


if __name__ == "__main__":
    main()
