"""What staff read: one last valid day everywhere (new-user item 10), refusal details in
zh-CN first that say what an unreadable code is (item 8), names shown once (item 13)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from huicui_verifier import foreign, reasons
from huicui_verifier.clock import last_valid_day
from huicui_verifier.decide import decide
from huicui_verifier.kiosk.server import decision_view
from huicui_verifier.render import decision_line, decision_lines, pair

SHANGHAI = ZoneInfo("Asia/Shanghai")
# What the service issues: exp at local midnight, so the API, the PDF and the holder page
# say "valid until 2029-11-28" (core/huicui/issuance/certificates.py, _validity).
EXP = int(datetime(2029, 11, 29, tzinfo=SHANGHAI).timestamp())


def _decide(gen, text, bundle, now=None):
    return decide(
        text,
        bundle=bundle,
        benefit=None,
        now=gen.at(gen.T0 if now is None else now),
        history_lookup=lambda cti, code: [],
    )


def test_last_valid_day_is_the_day_before_an_exp_at_midnight():
    assert last_valid_day(EXP) == "2029-11-28"
    assert last_valid_day(EXP + 1) == "2029-11-29"  # any second into the 29th is valid


def test_every_verifier_screen_prints_the_same_last_valid_day(gen, scenic):
    d = _decide(gen, gen.make_cert(exp=EXP), scenic)
    assert d.accepted
    text = "\n".join(decision_lines(d))
    assert "有效期至 Valid until: 2029-11-28" in text and "2029-11-29" not in text
    assert decision_view(d, "Asia/Shanghai", seq=1)["valid_until"] == "2029-11-28"

    expired = _decide(gen, gen.make_cert(exp=EXP, iat=EXP - 400 * 86400), scenic, now=EXP + 3600)
    assert expired.reason == "expired"
    assert expired.detail_zh == "有效期至 2029-11-28"
    assert expired.detail_en == "valid until 2029-11-28"


@pytest.mark.parametrize(
    ("text", "kind", "zh"),
    [
        ("134567890123456789", "payment_code", "这不是荟萃证书（这是付款码或收款码）"),
        ("wxp://f2f0AbCdEf", "payment_code", "这不是荟萃证书（这是付款码或收款码）"),
        ("https://qr.alipay.com/fkx1", "payment_code", "这不是荟萃证书（这是付款码或收款码）"),
        ("https://example.cn/a", "url", "这不是荟萃证书（这是一个网址）"),
        ("HC1:NCFOXN", "eu_dcc", "这不是荟萃证书（这是欧盟数字证书 HC1）"),
        ("HB7:ABC", "other_format", "这是本设备不支持的荟萃证书格式，请更新核验程序"),
        ("hello", "not_huicui", "这不是荟萃证书"),
        ("", "empty", "没有读到内容，请重新扫码"),
    ],
)
def test_a_foreign_code_is_named_in_chinese_first(gen, scenic, text, kind, zh):
    d = _decide(gen, text, scenic)
    assert (d.reason, d.input_kind) == ("malformed", kind)
    assert d.detail_zh == zh
    assert "Huicui" in d.detail_en or kind == "empty"
    assert "prefix" not in d.detail_en  # no rule talk for what is not ours
    line = decision_line(d)
    assert line.index(zh) < line.index(d.detail_en)


def test_a_damaged_huicui_code_asks_for_it_again_and_keeps_the_rule_for_support(gen, scenic):
    good = gen.make_cert()
    d = _decide(gen, good[:-7] + "GG", scenic)
    assert (d.reason, d.input_kind) == ("malformed", "damaged")
    assert d.detail_zh == "证书二维码已损坏或不完整，请持证人重新出示"
    assert d.detail_en.startswith("The card's code is damaged or incomplete")
    assert "(" in d.detail_en  # the technical rule follows the sentence, in brackets


def test_every_input_kind_has_words_in_both_languages():
    assert set(foreign.KINDS) == set(reasons.INPUTS)
    for zh, en in reasons.INPUTS.values():
        assert zh and en and any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    for zh, en in reasons.BUNDLE_REFUSALS.values():
        assert zh and en and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_a_name_without_its_own_english_is_shown_once():
    assert pair("北海国际客运港", "北海国际客运港") == "北海国际客运港"
    assert pair("北海国际客运港", "") == "北海国际客运港"
    assert pair("银滩景区南门", "Silver Beach") == "银滩景区南门 / Silver Beach"


def test_the_kiosk_header_names_such_a_venue_once(gen, live, tmp_path):
    from huicui_verifier.device import DeviceHome
    from huicui_verifier.kiosk import Kiosk

    venue = {"id": 601, "kind": "ferry", "name_zh": "北海国际客运港", "benefits": (2,)}
    for en in ("", "北海国际客运港", "Beihai ferry port"):
        path = tmp_path / f"home-{len(en)}"
        path.mkdir()
        gen.install(path, live.files(venue={**venue, "name_en": en}), now=live.now)
        status = Kiosk(DeviceHome(path)).status()
        assert status["venue_zh"] == "北海国际客运港"
        assert status["venue_en"] == ("Beihai ferry port" if en.isascii() and en else "")
