"""What every measurement shares: results with targets, percentiles, fixtures, child processes.

A measurement module exposes ``NAME``, ``TITLE`` and ``run(bench) -> Outcome``. Work
that needs a database runs in a child process (``bench/child.py``) with its own
``HUICUI_*`` environment, so each backend gets a fresh, migrated database and the
orchestrator's process never holds a Piccolo engine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PROGRESS_TAG = "@@progress "
RESULT_TAG = "@@result "

# --- results ---------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured number, with its target when the issue sets one.

    ``op`` is how the value must compare with ``target`` to pass (``<=``, ``<``, ``>=``).
    """

    label: str
    value: float | int | str | None
    unit: str = ""
    target: float | int | None = None
    op: str = ""
    note: str = ""

    @property
    def verdict(self) -> str:
        """``PASS``, ``MISS``, or ``""`` when there is no target (or no value)."""
        if self.target is None or not isinstance(self.value, (int, float)):
            return ""
        ok = {
            "<=": self.value <= self.target,
            "<": self.value < self.target,
            ">=": self.value >= self.target,
            ">": self.value > self.target,
        }[self.op]
        return "PASS" if ok else "MISS"

    @property
    def margin(self) -> str:
        """How far from the target, as a factor a reader can act on (``2.5× under``)."""
        if self.target is None or not isinstance(self.value, (int, float)) or not self.target:
            return ""
        if self.value == 0:
            return "—"
        if self.value == self.target:
            return "at the limit"
        ratio = self.value / self.target
        if self.op in ("<=", "<"):
            return f"{1 / ratio:.1f}× headroom" if ratio <= 1 else f"{ratio:.2f}× over"
        return f"{ratio:.2f}× target" if ratio >= 1 else f"{1 - ratio:.0%} short"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["verdict"] = self.verdict
        out["margin"] = self.margin
        return out


@dataclass
class Outcome:
    """The result of one measurement: figures, raw details and a short analysis."""

    name: str
    title: str
    number: int = 0  # the issue's numbering (1-9)
    status: str = "measured"  # "measured" | "not measured" | "error"
    reason: str = ""
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, *args: Any, **kwargs: Any) -> Figure:
        fig = Figure(*args, **kwargs)
        self.figures.append(fig)
        return fig

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 2),
            "figures": [f.to_json() for f in self.figures],
            "details": self.details,
            "notes": self.notes,
        }


class NotMeasured(Exception):
    """Raised by a measurement that cannot run here; the report says why."""


# --- statistics -------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100) with linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    rank = (len(data) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/max/mean of durations given in seconds, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms), 3),
        "mean_ms": round(sum(ms) / len(ms), 3),
    }


def median(values: Iterable[float]) -> float:
    return percentile(list(values), 50)


def rate(fn: Callable[[], object], n: int, timer: Callable[[], float] = time.perf_counter) -> float:
    """Calls of ``fn`` per second over ``n`` calls, by ``timer``."""
    started = timer()
    for _ in range(n):
        fn()
    return n / (timer() - started)


def interleaved_rates(
    task: Task,
    first: Callable[[], object],
    second: Callable[[], object],
    rounds: int,
    per_round: int,
    timer: Callable[[], float] = time.perf_counter,
) -> tuple[list[float], list[float], list[float]]:
    """Rates of ``first`` and ``second`` in alternating order each round, and their ratios.

    Returns ``(ratios, first_rates, second_rates)``; ``task`` advances once a round.
    """
    ratios, firsts, seconds = [], [], []
    for i in range(rounds):
        if i % 2 == 0:
            a, b = rate(first, per_round, timer), rate(second, per_round, timer)
        else:
            b, a = rate(second, per_round, timer), rate(first, per_round, timer)
        firsts.append(a)
        seconds.append(b)
        ratios.append(a / b)
        task.advance()
    task.done()
    return ratios, firsts, seconds


# --- the run's context ------------------------------------------------------------------


class Task:
    """A progress bar line that a measurement advances; silent without a console."""

    def __init__(self, progress: Any, task_id: Any) -> None:
        self._progress = progress
        self._id = task_id

    def advance(self, n: float = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._id, n)

    def update(self, completed: float, total: float | None = None, label: str | None = None):
        if self._progress is not None:
            kwargs: dict[str, Any] = {"completed": completed}
            if total is not None:
                kwargs["total"] = total
            if label is not None:
                kwargs["description"] = f"  {label}"
            self._progress.update(self._id, **kwargs)

    def done(self) -> None:
        if self._progress is not None:
            self._progress.remove_task(self._id)


@dataclass
class Bench:
    """What the orchestrator hands each measurement."""

    quick: bool
    tmp: Path
    progress: Any = None  # rich.progress.Progress or None
    python: str = sys.executable

    def size(self, full: int, quick: int) -> int:
        """``full`` for ``make bench``, ``quick`` with ``--quick``."""
        return quick if self.quick else full

    def task(self, label: str, total: float) -> Task:
        if self.progress is None:
            return Task(None, None)
        return Task(self.progress, self.progress.add_task(f"  {label}", total=total))


# --- fixtures ---------------------------------------------------------------------------

# Monday 2026-03-02 10:00 in Asia/Shanghai: inside every benefit's opening hours.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())
DAY = 86400
TYPICAL_NAME = "李晓明"  # three characters, the common length of a Chinese name
KID = bytes.fromhex("b1000001")


def seeded_key(label: str):
    """A deterministic Ed25519 key (seed = sha256 of ``label``)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


ISSUER_LABEL = "huicui-bench/issuer"
BUNDLE_LABEL = "huicui-bench/bundle"


def typical_claims(cti: bytes | None = None, name: str = TYPICAL_NAME, benefits=None):
    """A three-year certificate with all ten benefits (the issue's "typical certificate")."""
    from huicui_verifier import hb1

    return hb1.CertificateClaims(
        iss="BH",
        iat=NOW_TS - 30 * DAY,
        exp=NOW_TS + 3 * 365 * DAY,
        cti=cti if cti is not None else os.urandom(8),
        name=name,
        id_last4="123X",
        benefits=tuple(range(1, 11)) if benefits is None else benefits,
    )


def benefit_table() -> tuple[Any, str]:
    """The installed benefit plugins' table (what a real bundle carries), and its source."""
    try:
        from huicui.plugins.manager import BenefitPlugins
        from huicui.settings import load_settings

        os.environ.setdefault("HUICUI_CONFIG", str(ROOT / "config" / "huicui.toml"))
        plugins = BenefitPlugins.load(load_settings())
        table = tuple(sorted(plugins.benefits(), key=lambda b: b.code))
        if table:
            return table, "installed plugins (huicui_benefits)"
    except Exception as exc:  # the verifier alone may be installed: fall back, and say so
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = "no plugin declared a benefit"
    from huicui_verifier.policy import BenefitInfo, Limit, Policy

    scenic = BenefitInfo(
        code=1,
        slug="scenic",
        name_zh="景区免费游览",
        name_en="Free entry to scenic spots",
        category="leisure",
        venue_kinds=("scenic",),
        policy=Policy(effect="free", limits=(Limit(1, "day", "venue"),)),
    )
    return (scenic,), f"built-in stand-in ({reason})"


def make_bundle(
    revoked: bytes = b"", *, version: int = 7
) -> tuple[tuple[bytes, bytes, bytes], bytes]:
    """Signed snapshot, heartbeat and profile for a scenic-spot gate (fail closed);
    returns ((snapshot, heartbeat, profile), pinned key)."""
    from huicui_verifier import bundle, cose

    signer = seeded_key(BUNDLE_LABEL)
    issuer = seeded_key(ISSUER_LABEL)
    table, _ = benefit_table()
    snap = bundle.Snapshot(
        program="BH",
        program_name=bundle.LocalizedName(zh="荟萃北海", en="Huicui Beihai"),
        version=version,
        iat=NOW_TS - DAY,
        bundle_key=bundle.raw_public_key(signer),
        keys=(
            bundle.KeyEntry(
                kid=KID, pub=bundle.raw_public_key(issuer), state="active", nbf=NOW_TS - 400 * DAY
            ),
        ),
        revoked=revoked,
        benefits=table,
        directories={1: bundle.LocalizedName(zh="荟萃北海", en="Huicui Beihai")},
    )
    snapshot = bundle.sign(snap, signer)
    beat = bundle.Heartbeat(
        program="BH",
        version=version,
        hash=bundle.content_hash(cose.parse(snapshot).payload),
        iat=NOW_TS - DAY,
        exp=NOW_TS + 6 * DAY,
    )
    profile = bundle.VenueProfile(
        program="BH",
        id=501,
        rev=NOW_TS - 30 * DAY,
        name_zh="银滩景区南门",
        name_en="Silver Beach, south gate",
        kind="scenic",
        partner_id=50,
        benefits=(1,),
        fail_mode="closed",
    )
    files = (snapshot, bundle.sign(beat, signer), bundle.sign(profile, signer))
    return files, bundle.raw_public_key(signer)


def load_bundle(files: tuple[bytes, bytes, bytes], pinned: bytes):
    """The device view of :func:`make_bundle`'s files, verified as a device does."""
    from huicui_verifier import bundle

    return bundle.open_bundle(*files, pinned_key=pinned)


def random_revoked(count: int, *, avoid: Iterable[bytes] = ()) -> bytes:
    """``count`` random certificate ids, sorted and unique, in the bundle's wire form."""
    from array import array

    avoid_ints = {int.from_bytes(a, "big") for a in avoid}
    values: set[int] = set()
    while len(values) < count:
        chunk = array("Q")
        chunk.frombytes(os.urandom(8 * (count - len(values))))
        values.update(chunk)
        values -= avoid_ints
    packed = array("Q", sorted(values))
    if sys.byteorder == "little":
        packed.byteswap()  # big-endian on the wire: byte order equals number order
    return packed.tobytes()


# --- child processes --------------------------------------------------------------------


def child_env(tmp: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for a child that uses the service: fresh secrets, its own database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUICUI_")}
    env.pop("PICCOLO_CONF", None)
    env.update(
        HUICUI_CONFIG=str(ROOT / "config" / "huicui.toml"),
        HUICUI_SECRETS_DATA_KEY=base64.b64encode(os.urandom(32)).decode(),
        HUICUI_SECRETS_SIGNING_PASSPHRASE=secrets.token_urlsafe(24),
        HUICUI_DATABASE_URL=database_url or f"sqlite:///{tmp / 'huicui.sqlite3'}",
        HUICUI_SERVER_LOG_LEVEL="warning",
        HUICUI_VERIFIER_HOME=str(tmp / "verifier-home"),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def run_child(
    bench: Bench,
    module: str,
    func: str,
    args: dict[str, Any],
    env: dict[str, str],
    *,
    label: str,
    timeout: float = 600,
    on_progress: Callable[[dict], None] | None = None,
) -> dict[str, Any]:
    """Run ``module.func(**args)`` in ``bench/child.py`` and return what it returned.

    The child reports progress as tagged lines on stdout (shown as a bar) and its
    result as the last tagged line. A failure raises RuntimeError with the stderr tail.
    """
    task = bench.task(label, total=1)
    log_path = bench.tmp / f"child-{module}-{func}-{time.monotonic_ns()}.stderr"
    started = time.monotonic()
    result: dict[str, Any] | None = None
    with open(log_path, "w") as err:
        proc = subprocess.Popen(
            [bench.python, str(BENCH_DIR / "child.py"), module, func, json.dumps(args)],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            cwd=str(ROOT),
            text=True,
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if line.startswith(PROGRESS_TAG):
                    info = json.loads(line[len(PROGRESS_TAG) :])
                    task.update(info["done"], info["total"], info.get("label"))
                    if on_progress:
                        on_progress(info)
                elif line.startswith(RESULT_TAG):
                    result = json.loads(line[len(RESULT_TAG) :])
                if time.monotonic() - started > timeout:
                    proc.kill()
                    raise RuntimeError(f"{module}.{func} ran past {timeout:.0f} s and was stopped")
            proc.wait(timeout=max(1.0, timeout - (time.monotonic() - started)))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            task.done()
    if proc.returncode != 0 or result is None:
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{module}.{func} exited with {proc.returncode}: {tail.strip()}")
    return result


def child_progress(done: float, total: float, label: str | None = None) -> None:
    """Called inside a child: move its bar in the parent."""
    info: dict[str, Any] = {"done": done, "total": total}
    if label:
        info["label"] = label
    sys.stdout.write(PROGRESS_TAG + json.dumps(info) + "\n")
    sys.stdout.flush()


def fs_type(path: Path) -> str:
    """The file system type holding ``path`` (from /proc/mounts), e.g. ``ext4``."""
    try:
        best, kind = "", "unknown"
        target = str(path.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) > 2 and target.startswith(parts[1]) and len(parts[1]) >= len(best):
                best, kind = parts[1], parts[2]
        return kind
    except OSError:
        return "unknown"


# --- profiles ---------------------------------------------------------------------------


def _library_of(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "built-ins (C)"
    path = filename.replace("\\", "/")
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    for marker, prefix in (
        ("/core/huicui/", "huicui."),
        ("/verifier/huicui_verifier/", "huicui_verifier."),
    ):
        if marker in path:
            return prefix + path.split(marker, 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/lib/python3" in path:
        return "stdlib " + path.rsplit("/", 1)[-1].removesuffix(".py")
    return path.rsplit("/", 1)[-1]


def profile_breakdown(profiler: Any, top: int = 6) -> dict[str, Any]:
    """Where a cProfile run spent its own time: shares by library and the top functions."""
    import pstats

    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values()) or 1.0  # type: ignore[attr-defined]
    by_lib: dict[str, float] = {}
    funcs = []
    for (filename, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        tottime, cumtime = row[2], row[3]
        lib = _library_of(filename)
        by_lib[lib] = by_lib.get(lib, 0.0) + tottime
        if (
            lib.startswith(("built-ins", "stdlib events", "stdlib base_events", "stdlib runners"))
            or "/bench/" in filename
        ):
            continue  # event-loop and bench wrappers: their cumulative time is everyone's
        funcs.append((cumtime, f"{lib}:{name}", tottime))
    libs = sorted(by_lib.items(), key=lambda kv: -kv[1])[:top]
    funcs.sort(reverse=True)
    return {
        "self_time_by_library": {k: round(v / total, 3) for k, v in libs},
        "top_cumulative": [
            {"function": f, "share": round(c / total, 3)} for c, f, _ in funcs[: top * 2]
        ],
    }


def shares_text(breakdown: dict[str, Any], top: int = 5) -> str:
    """``piccolo 34%, msgspec 20%, …`` from :func:`profile_breakdown`."""
    items = list(breakdown["self_time_by_library"].items())[:top]
    return ", ".join(f"{lib} {share:.0%}" for lib, share in items)
