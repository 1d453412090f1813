"""7. Roster import: 100,000 CSV rows into a fresh SQLite database.

The CSV is generated here: Chinese names, resident ID numbers with correct GB 11643
check digits (real Guangxi and other region codes, plausible birth dates), mobile
numbers, fields, residency kinds, sources and liaisons. The import is
``huicui.identities.importing.import_roster`` — the function behind ``huicui import``
and ``POST /api/v1/identities/import`` — run in a child process; its peak memory is
that child's ``ru_maxrss``.
"""

from __future__ import annotations

import csv
import io
import random
import resource
import time

from benchlib import Bench, Outcome, child_env, child_progress, run_child, shares_text

NAME = "roster"
TITLE = "Roster import of 100,000 CSV rows into SQLite"
TARGET_S = 60.0

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# Beihai's districts first (most rows), then places seasonal and migrant talents come from.
REGIONS = (450502, 450503, 450512, 450521) * 6 + (
    110105,
    310104,
    440106,
    440305,
    510107,
    230102,
    220104,
    210102,
    420106,
    330106,
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文海燕林晓云飞鹏辉宇浩"
FIELDS = ("海洋生物", "临床医学", "港口物流", "文化旅游", "电子信息", "新材料", "教育", "农业科技")
KINDS = ("常住",) * 6 + ("候鸟",) * 3 + ("流动",)
SOURCES = ("海城区人社局", "银海区科协", "北海市人民医院", "北部湾大学", "侨港镇社区")
MOBILE = ("138", "139", "135", "186", "187", "177", "152", "158", "199", "166")


def resident_id(region: int, birth: int, serial: int) -> str:
    """An 18-character resident ID with its GB 11643 check digit."""
    body = f"{region:06d}{birth:08d}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


def roster_csv(rows: int, seed: int = 11643) -> bytes:
    """A UTF-8 roster file with the import's Chinese headers and ``rows`` valid people."""
    rng = random.Random(seed)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "证件号码", "手机", "领域", "类别", "推荐单位", "联系人", "邮箱"])
    seen: set[str] = set()
    while len(seen) < rows:
        birth = rng.randint(1950, 1998) * 10000 + rng.randint(1, 12) * 100 + rng.randint(1, 28)
        doc = resident_id(rng.choice(REGIONS), birth, rng.randint(0, 999))
        if doc in seen:
            continue
        seen.add(doc)
        given = rng.choice((1, 2, 2))  # two-character names are common, three more so
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(given))
        w.writerow(
            [
                name,
                doc,
                rng.choice(MOBILE) + f"{rng.randint(0, 99_999_999):08d}",
                rng.choice(FIELDS),
                rng.choice(KINDS),
                rng.choice(SOURCES),
                rng.choice("王李张陈") + "老师",
                f"u{len(seen)}@example.cn" if rng.random() < 0.3 else "",
            ]
        )
    return buf.getvalue().encode("utf-8")


async def child(path: str) -> dict:
    """In the child: import the file through the service's function, timed."""
    from huicui.identities.importing import import_roster
    from servicekit import bench_principal, fresh_service

    ctx = await fresh_service()
    data = open(path, "rb").read()
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, time.perf_counter())
        marks[f"{stage}_end"] = time.perf_counter()
        child_progress(done, total, f"import: {stage}")

    started = time.perf_counter()
    report = await import_roster(
        ctx,
        bench_principal(),
        data,
        file_name="名录.csv",
        content_type="text/csv",
        progress=progress,
    )
    seconds = time.perf_counter() - started
    from huicui.identities.tables import Identity

    stored = await Identity.count()
    # A second, smaller import under cProfile (not timed above): where the time goes.
    import cProfile

    from benchlib import profile_breakdown

    profiler = cProfile.Profile()
    profiler.enable()
    await import_roster(
        ctx,
        bench_principal(),
        roster_csv(2000, seed=7),
        file_name="p.csv",
        content_type="text/csv",
        skip_invalid=True,
    )
    profiler.disable()
    return {
        "profile_2000_rows": profile_breakdown(profiler),
        "seconds": seconds,
        "check_s": marks.get("check_end", started) - started,
        "write_s": (marks.get("write_end", 0) - marks["check_end"]) if "write" in marks else None,
        "status": report.status,
        "rows_total": report.rows_total,
        "rows_invalid": report.rows_invalid,
        "created": report.created,
        "stored": stored,
        "first_problems": [f"row {p.row} {p.field}: {p.en}" for p in report.problems[:5]],
        "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(bench: Bench) -> Outcome:
    out = Outcome(NAME, TITLE)
    rows = bench.size(100_000, 5_000)
    task = bench.task(f"generating {rows:,} roster rows", 1)
    data = roster_csv(rows)
    path = bench.tmp / "roster.csv"
    path.write_bytes(data)
    task.done()
    got = run_child(
        bench,
        "roster_import",
        "child",
        {"path": str(path)},
        child_env(bench.tmp),
        label="roster import",
        timeout=600,
    )
    if got["status"] != "written" or got["created"] != rows:
        raise RuntimeError(
            f"import did not write every row: status {got['status']}, created {got['created']} "
            f"of {rows}; {got['first_problems']}"
        )
    label = f"import of {rows:,} rows"
    out.add(
        label,
        round(got["seconds"], 1),
        "s",
        TARGET_S if rows == 100_000 else None,
        "<",
        "--quick: no target at this size" if rows != 100_000 else "",
    )
    out.add("rows per second", round(rows / got["seconds"]), "/s")
    out.add("peak memory of the importing process (ru_maxrss)", round(got["ru_maxrss_mib"]), "MiB")
    out.details = {**got, "file_bytes": len(data)}
    check, write = got["check_s"], got["write_s"] or 0.0
    out.notes.append(
        f"{len(data) / 1e6:.1f} MB of CSV. Checking every row (parse, GB 11643, keyed hash "
        f"for duplicates) took {check:.1f} s; writing (encrypting ID and phone with "
        f"AES-GCM, inserting in chunks of 500 in one transaction) {write:.1f} s."
    )
    if rows == 100_000 and got["seconds"] < TARGET_S / 2:
        out.notes.append(
            f"Beaten easily; a harder target is {max(5, round(got['seconds'] * 1.5))}"
            " s for 100,000 rows, or the same 60 s for 1,000,000."
        )
    elif rows == 100_000 and got["seconds"] >= TARGET_S:
        out.notes.append(f"Missed by {got['seconds'] - TARGET_S:.0f} s.")
    prof = got["profile_2000_rows"]
    tops = "; ".join(f"{t['function']} {t['share']:.0%}" for t in prof["top_cumulative"][:8])
    out.notes.append(
        f"Profile of a further 2,000-row import — self time by library: {shares_text(prof)}. "
        f"Largest cumulative: {tops}."
    )
    fields_share = next(
        (t["share"] for t in prof["top_cumulative"] if t["function"] == "msgspec:fields"), 0
    )
    if fields_share > 0.1:
        out.notes.append(
            f"What holds it back: {fields_share:.0%} of the time is msgspec.structs.fields("
            "IdentityIn), called once per row in huicui.identities.service.parse_identity; it "
            "re-resolves the Struct's type annotations every call. Computing the required "
            "field names once, at import, removes it. Next is Piccolo building one INSERT "
            "value list per row in Python."
        )
    out.notes.append(
        "Peak memory holds the file, every parsed row and its report at once (the import is "
        "all-or-nothing, so nothing can be dropped before the end)."
    )
    return out
