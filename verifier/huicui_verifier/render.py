"""Decisions as text for a terminal or a scanner station: Chinese first, English second."""

from __future__ import annotations

from .clock import local_text
from .decide import Decision


def _pair(zh: str, en: str) -> str:
    if zh and en:
        return f"{zh} / {en}"
    return zh or en


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
        lines.append(f"✘ 拒绝 REFUSED · {_pair(d.message_zh, d.message_en)}")
        if d.detail_zh or d.detail_en:
            lines.append(f"  {_pair(d.detail_zh, d.detail_en)}")
    if d.name is not None:
        lines.append(f"  持证人 Holder: {d.name}    证件后四位 ID last four: {d.id_last4}")
        lines.append(f"  {card_text(d)}")
    if d.benefit_name_zh:
        lines.append(f"  权益 Benefit: {_pair(d.benefit_name_zh, d.benefit_name_en or '')}")
    if d.accepted:
        lines.append(f"  享受 Gets: {_pair(d.effect_zh, d.effect_en)}")
        if d.policy_message_zh or d.policy_message_en:
            lines.append(f"  {_pair(d.policy_message_zh, d.policy_message_en)}")
        lines.append(f"  ▶ {d.staff_check}")
        if d.cert_exp is not None:
            lines.append(f"  有效期至 Valid until: {local_text(d.cert_exp, tz)}")
    for w in d.warnings:
        lines.append(f"  ⚠ {_pair(w.message_zh, w.message_en)}")
    return lines


def decision_line(d: Decision) -> str:
    """A decision on one line, for the scan loop."""
    if d.accepted:
        parts = [
            "通过 ACCEPT",
            f"{d.name} ···{d.id_last4}",
            _pair(d.benefit_name_zh or "", d.benefit_name_en or ""),
            _pair(d.effect_zh, d.effect_en),
            d.staff_check,
            card_text(d),
        ]
    else:
        parts = ["拒绝 REFUSE", _pair(d.message_zh, d.message_en)]
        if d.detail_zh or d.detail_en:
            parts.append(_pair(d.detail_zh, d.detail_en))
        if d.name is not None:
            parts.append(f"{d.name} ···{d.id_last4}")
    parts += [f"⚠ {_pair(w.message_zh, w.message_en)}" for w in d.warnings]
    return " | ".join(p for p in parts if p)
