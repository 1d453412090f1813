"""Decisions as text for a terminal or a scanner station: Chinese first, English second."""

from __future__ import annotations

from .clock import last_valid_day
from .decide import Decision

__all__ = ["age_text", "decision_line", "decision_lines", "pair"]


def pair(zh: str, en: str) -> str:
    """``zh / en``, or the one text when the other is empty or the same (a venue with no
    English name must not read ``北海国际客运港 / 北海国际客运港``)."""
    if zh and en and zh != en:
        return f"{zh} / {en}"
    return zh or en


def age_text(seconds: int) -> tuple[str, str]:
    """How long ago, in (zh, en): ``刚刚``, ``12 分钟前``, ``3 小时前``, ``2 天前``."""
    seconds = max(0, seconds)
    if seconds < 60:
        return "刚刚", "just now"
    if seconds < 3600:
        m = seconds // 60
        return f"{m} 分钟前", f"{m} min ago"
    if seconds < 48 * 3600:
        h = seconds // 3600
        return f"{h} 小时前", f"{h} h ago"
    d = seconds // 86400
    return f"{d} 天前", f"{d} days ago"


def card_text(d: Decision) -> str:
    """What was shown: a live phone card with its age, or a static card; "" if unreadable."""
    if d.card == "phone" and d.proof_at is not None:
        age = d.at - d.proof_at
        return f"手机动态证件，{age} 秒前生成 / Live phone card, made {age} s ago"
    if d.card == "static":
        return "静态证件（纸质或图片） / Static card (paper or image)"
    return ""


def decision_lines(d: Decision, tz: str = "Asia/Shanghai") -> list[str]:
    """A decision as a few lines for staff to read."""
    lines: list[str] = []
    if d.accepted:
        lines.append("✔ 通过 ACCEPTED")
    else:
        lines.append(f"✘ 拒绝 REFUSED · {pair(d.message_zh, d.message_en)}")
        if d.detail_zh or d.detail_en:
            lines.append(f"  {pair(d.detail_zh, d.detail_en)}")
    if d.name is not None:
        lines.append(f"  持证人 Holder: {d.name}    证件后四位 ID last four: {d.id_last4}")
        lines.append(f"  {card_text(d)}")
    if d.benefit_name_zh:
        lines.append(f"  权益 Benefit: {pair(d.benefit_name_zh, d.benefit_name_en or '')}")
    if d.accepted:
        lines.append(f"  享受 Gets: {pair(d.effect_zh, d.effect_en)}")
        if d.policy_message_zh or d.policy_message_en:
            lines.append(f"  {pair(d.policy_message_zh, d.policy_message_en)}")
        lines.append(f"  ▶ {d.staff_check}")
        if d.cert_exp is not None:
            lines.append(f"  有效期至 Valid until: {last_valid_day(d.cert_exp, tz)}")
    for w in d.warnings:
        lines.append(f"  ⚠ {pair(w.message_zh, w.message_en)}")
    return lines


def decision_line(d: Decision) -> str:
    """A decision on one line, for the scan loop."""
    if d.accepted:
        parts = [
            "通过 ACCEPT",
            f"{d.name} ···{d.id_last4}",
            pair(d.benefit_name_zh or "", d.benefit_name_en or ""),
            pair(d.effect_zh, d.effect_en),
            d.staff_check,
            card_text(d),
        ]
    else:
        parts = ["拒绝 REFUSE", pair(d.message_zh, d.message_en)]
        if d.detail_zh or d.detail_en:
            parts.append(pair(d.detail_zh, d.detail_en))
        if d.name is not None:
            parts.append(f"{d.name} ···{d.id_last4}")
    parts += [f"⚠ {pair(w.message_zh, w.message_en)}" for w in d.warnings]
    return " | ".join(p for p in parts if p)
