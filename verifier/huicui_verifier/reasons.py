"""Every reason a decision can give, and every warning, in zh-CN first and English second."""

from __future__ import annotations

REASONS: dict[str, tuple[str, str]] = {
    "ok": ("通过", "Accepted"),
    "malformed": ("无法识别的证书二维码", "Not a valid certificate code"),
    "unknown_key": ("签发密钥未知，请同步核验数据", "Unknown signing key: sync this device"),
    "key_compromised": (
        "签发密钥已作废，证书不可用",
        "Signing key compromised: certificate not usable",
    ),
    "bad_signature": ("签名无效，证书可能被篡改", "Bad signature: the certificate may be forged"),
    "not_yet_valid": ("证书尚未生效", "Certificate not yet valid"),
    "expired": ("证书已过期", "Certificate expired"),
    "revoked": ("证书已被撤销", "Certificate revoked"),
    "benefit_not_held": ("持证人未获得此项权益", "The holder does not have this benefit"),
    "not_honored": ("本场所不提供此项权益", "This benefit is not honored here"),
    "outside_hours": ("不在开放时间内", "Outside opening hours"),
    "limit_reached": ("已达使用次数上限", "Use limit reached"),
    "stale_bundle": (
        "核验数据已过期，请联网同步后再核验",
        "Verifier data out of date: sync before checking",
    ),
    "no_bundle": (
        "本设备尚未加载核验数据",
        "No verifier data on this device: enroll or load a bundle",
    ),
}

WARNINGS: dict[str, tuple[str, str]] = {
    "stale_bundle": ("核验数据已过期，请尽快联网同步", "Verifier data out of date: sync soon"),
    "clock_behind": (
        "设备时间早于核验数据签发时间，请校准时钟",
        "Device clock is behind the bundle: set the clock",
    ),
}

STAFF_CHECK = ("核对姓名与证件后四位", "Check name and last four of ID")


def message(code: str) -> tuple[str, str]:
    """The (zh, en) message of a reason code."""
    return REASONS[code]
