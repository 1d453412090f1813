"""Write a run's outcomes as ``REPORT.md`` (for people) and ``report.json`` (for tools)."""

from __future__ import annotations

import json
from pathlib import Path

from benchlib import Figure, Outcome

DETAIL_LIMIT = 1200  # characters of raw detail shown per measurement in the Markdown


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        if value >= 100:
            return f"{value:.1f}"
        return f"{value:.3g}" if value < 1 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def _target(fig: Figure) -> str:
    if fig.target is None:
        return ""
    op = {"<=": "≤", ">=": "≥"}.get(fig.op, fig.op)
    return f"{op} {_fmt(fig.target)} {fig.unit}".strip()


def _value(fig: Figure) -> str:
    return f"{_fmt(fig.value)} {fig.unit}".strip()


def _machine_lines(machine: dict, run: dict) -> list[str]:
    libs = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items())
    lines = [
        "| | |",
        "|---|---|",
        f"| Date | {machine['date_text']} |",
        f"| CPU | {machine['cpu']} |",
        f"| Cores | {machine['cores']} ({machine['cores_usable']} usable by this run) |",
        f"| Memory | {machine['memory_gib']} GiB |",
        f"| OS | {machine['os']} |",
        f"| Python | {machine['python']} |",
        f"| SQLite | {machine['sqlite']} |",
        f"| PostgreSQL | {machine['postgresql']} |",
        f"| Libraries | {libs} |",
        f"| Load average (1/5/15 min) | before {machine['load_average_start']}, "
        f"after {machine.get('load_average_end')} |",
        f"| Run | {run['mode']}{' (partial)' if run['partial'] else ''}, "
        f"{run['seconds']} s, `{run['command']}` |",
    ]
    return lines


def markdown(machine: dict, run: dict, outcomes: list[Outcome]) -> str:
    lines = [
        "# Huicui — benchmark report",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand. `bench/README.md` "
        "says what each measurement does. The machine is shared (other work ran beside "
        "this one), so read absolute figures with the load average in mind; ratios are "
        "measured within one run.",
        "",
        "## Machine",
        "",
        *_machine_lines(machine, run),
        "",
        "## Summary",
        "",
        "| # | Measurement | Figure | Value | Target | Verdict |",
        "|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        number = outcome.number
        if outcome.status != "measured":
            lines.append(f"| {number} | {outcome.title} | — | not measured: {outcome.reason} | | |")
            continue
        for index, fig in enumerate(outcome.figures):
            verdict = fig.verdict
            if verdict:
                verdict = f"**{verdict}** ({fig.margin})"
            title = outcome.title if index == 0 else ""
            shown = number if index == 0 else ""
            lines.append(
                f"| {shown} | {title} | {fig.label} | {_value(fig)} | {_target(fig)} | {verdict} |"
            )
    for outcome in outcomes:
        lines += ["", f"## {outcome.number}. {outcome.title}", ""]
        if outcome.status != "measured":
            lines.append(f"**not measured: {outcome.reason}**")
            continue
        lines += ["| Figure | Value | Target | Verdict | Note |", "|---|---|---|---|---|"]
        for fig in outcome.figures:
            verdict = f"**{fig.verdict}** ({fig.margin})" if fig.verdict else ""
            lines.append(
                f"| {fig.label} | {_value(fig)} | {_target(fig)} | {verdict} | {fig.note} |"
            )
        if outcome.notes:
            lines.append("")
            lines += [f"- {note}" for note in outcome.notes]
        detail = json.dumps(outcome.details, ensure_ascii=False)
        if len(detail) > DETAIL_LIMIT:
            detail = detail[:DETAIL_LIMIT] + " … (all of it in report.json)"
        lines += ["", f"<sub>{outcome.seconds:.1f} s · details: `{detail}`</sub>"]
    return "\n".join(lines) + "\n"


def write_report(
    folder: Path, machine: dict, run: dict, outcomes: list[Outcome]
) -> tuple[Path, Path]:
    """Write both files into ``folder``; returns their paths."""
    md_path = folder / "REPORT.md"
    json_path = folder / "report.json"
    md_path.write_text(markdown(machine, run, outcomes), encoding="utf-8")
    payload = {"machine": machine, "run": run, "results": [o.to_json() for o in outcomes]}
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return md_path, json_path
