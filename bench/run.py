#!/usr/bin/env python3
"""Huicui benchmarks: measure, compare with the targets, write REPORT.md and report.json.

Run by ``make bench`` (the full run, about five to ten minutes on two cores). Each
measurement is a module in ``bench/`` with ``NAME``, ``TITLE`` and ``run(bench)``;
``bench/README.md`` explains what each one does and how to read the report.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH_DIR, Bench, NotMeasured, Outcome

# In report order; the first five need only the verifier.
MODULES = (
    "qr_density",
    "decide_rate",
    "camera_frame",
    "durable_log",
    "revocations_1m",
    "issuance_rate",
    "roster_import",
    "sync_ingest",
    "http_load",
    "province",
    "live_card",
    "web_verify",
)

EPILOG = """\
measurements (NAME for --only):
  qr           1. QR version and modules of a typical certificate (target: version <= 8)
  decide       2. offline decisions/s vs raw Ed25519 verify, same process (target: >= 0.8)
  camera       3. zxing-cpp + decide on a 1280x720 camera-like JPEG frame (target: p99 < 30 ms)
  log          4. check_and_record with a durable SQLite WAL write (target: p99 < 10 ms)
  revocations  5. bundle with 1,000,000 revocations: size, load, lookup (<= 9 MB, < 1 s, < 2 us)
  issuance     6. certificates signed per second, and with PNG (>= 1,000/s and >= 200/s)
  roster       7. import 100,000 CSV rows into SQLite (< 60 s; peak memory reported)
  sync         8. redemption ingest into SQLite and PostgreSQL, batches of 500 (>= 20,000/s);
                  outbox drain (>= 20,000 records/s); device token check, memory vs database
  http         9. GET /api/v1/bundle (with and without If-None-Match) and POST
                  /api/v1/redemptions/sync against uvicorn on 127.0.0.1 (no target)
  province    10. 100,000 venues, 1,000,000 revocations (generated in the database), then
                  1,000 revoked: publish CPU (<= 1 s), device catch-up bytes (<= 10 KB;
                  <= 512 B unchanged), delta apply time, poll rate vs a bare Litestar
                  route with wrk (>= 0.5), on SQLite and PostgreSQL
  hb2         11. live phone card: QR version at L beside the static card (<= 10), HB2
                  decisions/s vs raw Ed25519 verify (>= 0.42; two signatures cap it at 0.5)
  webverify   12. the /verify/ page in headless Chromium: fake-camera frame -> verdict on
                  screen (p99 <= 150 ms); JS decisions/s vs JS Ed25519 verify in the page

examples:
  make bench                                  the full run; writes bench/REPORT.md + report.json
  .venv/bin/python bench/run.py --quick       smaller sizes, about a minute, report in a temp dir
  .venv/bin/python bench/run.py --only qr --only decide
  .venv/bin/python bench/run.py --only sync --quick --out /tmp/b

The machines are shared and noisy: where a ratio exists (decisions vs raw verify) it
is measured within one run, interleaved; absolute figures come with the load average
before and after. PostgreSQL is used at 127.0.0.1:5432 (trust auth) through a
throw-away database that is dropped afterwards; without a server, that figure says
"not measured" and why. Nothing here is a test: the test suite has no timed assertions.
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Measure Huicui against its performance targets and write a report "
        "(REPORT.md and report.json) that describes the machine.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this measurement (repeat, or separate with commas)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes for a fast check (figures are not comparable with a full run)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for REPORT.md and report.json (default: bench/ for the full run, "
        "a temporary folder for --quick or --only, so the committed report stays whole)",
    )
    parser.add_argument("--list", action="store_true", help="list the measurements and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def load_modules() -> dict[str, object]:
    found = {}
    for number, module_name in enumerate(MODULES, 1):
        if not (BENCH_DIR / f"{module_name}.py").is_file():
            continue
        module = importlib.import_module(module_name)
        module.NUMBER = number
        found[module.NAME] = module
    return found


def select(modules: dict[str, object], only: list[str] | None) -> list[str]:
    if not only:
        return list(modules)
    wanted = [n.strip() for item in only for n in item.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in modules]
    if unknown:
        raise SystemExit(
            f"unknown measurement(s): {', '.join(unknown)}; choose from {', '.join(modules)}"
        )
    return [n for n in modules if n in wanted]


def run_one(module, bench: Bench) -> Outcome:
    started = time.perf_counter()
    try:
        outcome = module.run(bench)
    except NotMeasured as exc:
        outcome = Outcome(module.NAME, module.TITLE, status="not measured", reason=str(exc))
    except Exception as exc:  # one broken measurement must not lose the others' figures
        outcome = Outcome(
            module.NAME,
            module.TITLE,
            status="not measured",
            reason=f"{type(exc).__name__}: {str(exc)[:600]}",
            details={"traceback": traceback.format_exc()[-3000:]},
        )
    outcome.seconds = time.perf_counter() - started
    outcome.number = module.NUMBER
    return outcome


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    modules = load_modules()
    if args.list:
        for name, module in modules.items():
            print(f"{name:12} {module.TITLE}")
        return 0
    names = select(modules, args.only)
    partial = bool(args.only) or args.quick
    out_dir = args.out or (Path(tempfile.gettempdir()) / "huicui-bench" if partial else BENCH_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)

    from machine_info import describe, load_average
    from report import write_report
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    machine = describe()
    console.print(
        f"[bold]Huicui bench[/bold] · {'quick' if args.quick else 'full'} · "
        f"{machine['cpu']} · {machine['cores_usable']} cores · load {machine['load_average_start']}"
    )
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="huicui-bench-") as tmp:
        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=args.no_progress,
        )
        with progress:
            overall = progress.add_task("measurements", total=len(names))
            for name in names:
                module = modules[name]
                progress.update(overall, description=f"[bold]{module.TITLE}")
                work = Path(tmp) / name
                work.mkdir()
                bench = Bench(
                    quick=args.quick,
                    tmp=work,
                    progress=None if args.no_progress else progress,
                )
                outcome = run_one(module, bench)
                outcomes.append(outcome)
                verdicts = [f.verdict for f in outcome.figures if f.verdict]
                state = outcome.status if outcome.status != "measured" else " ".join(verdicts)
                progress.console.print(
                    f"  {name:12} {state or 'measured'} ({outcome.seconds:.1f} s)"
                )
                progress.advance(overall)
            progress.update(overall, description="measurements")
    machine["load_average_end"] = load_average()
    run_info = {
        "mode": "quick" if args.quick else "full",
        "partial": bool(args.only),
        "only": names if args.only else None,
        "seconds": round(time.perf_counter() - started, 1),
        "command": " ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
    }
    md_path, json_path = write_report(out_dir, machine, run_info, outcomes)
    console.print(f"report: {md_path}\n        {json_path}  ({run_info['seconds']} s)")
    missing = [o.name for o in outcomes if o.status != "measured"]
    if missing:
        console.print(f"[yellow]not measured: {', '.join(missing)} (reasons in the report)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
