import io
import json
import sys

import pytest
import segno
from huicui_verifier import bundle as B
from huicui_verifier.cli import build_parser, main


def run(capsys, home, *args):
    code = main(["--home", str(home), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_teaches_with_examples(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for word in (
        "enroll",
        "load",
        "check",
        "scan",
        "sync",
        "log",
        "status",
        "示例",
        "examples",
        "退出码",
    ):
        assert word in text
    assert "kiosk" in text


def test_parser_has_one_function_per_subcommand():
    from huicui_verifier import cli

    names = {add.__name__.removeprefix("add_") for add in cli.SUBCOMMANDS}
    assert names == {"enroll", "load", "check", "scan", "sync", "log", "status", "kiosk"}
    build_parser()


def test_check_exit_codes_and_output(capsys, live, enrolled_home, gen):
    code, out, _ = run(capsys, enrolled_home, "check", "--text", live.cert())
    assert code == 0
    assert (
        "通过 ACCEPTED" in out
        and "李晓明" in out
        and "核对姓名与证件后四位 / Check name and last four of ID" in out
    )

    code, out, _ = run(capsys, enrolled_home, "check", "--text", live.cert(benefits=(1,)))
    assert code == 1 and "持证人未获得此项权益" in out and "does not have this benefit" in out

    code, out, _ = run(capsys, enrolled_home, "check", "--text", gen.flip_bit(live.cert(), at=-1))
    assert code == 1 and "签名无效" in out

    code, _, err = run(
        capsys, enrolled_home, "check", "--text", live.cert(), "--benefit", "no-such-benefit"
    )
    assert code == 2 and "unknown benefit" in err


def test_check_json(capsys, live, enrolled_home):
    code, out, _ = run(
        capsys, enrolled_home, "check", "--text", live.cert(), "--benefit", "bus", "--json"
    )
    d = json.loads(out)
    assert code == 0
    assert (
        d["accepted"] is True
        and d["reason"] == "ok"
        and d["benefit"] == 3
        and d["benefit_slug"] == "bus"
    )
    assert d["staff_check"].startswith("核对姓名")
    code, out, _ = run(capsys, enrolled_home, "check", "--text", "HB1:nope", "--json")
    assert code == 1 and json.loads(out)["reason"] == "malformed"


def test_check_image(capsys, live, enrolled_home, tmp_path):
    path = tmp_path / "card.png"
    segno.make_qr(live.cert(), error="m", boost_error=False).save(path, scale=4)
    code, out, _ = run(capsys, enrolled_home, "check", "--image", str(path))
    assert code == 0 and "通过" in out
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    code, _, err = run(capsys, enrolled_home, "check", "--image", str(blank))
    assert code == 2 and "no_code_found" in err


def test_check_without_bundle_is_an_error(capsys, home, live):
    code, _, err = run(capsys, home, "check", "--text", live.cert())
    assert code == 2 and "尚未加载核验数据" in err


def test_scan_rings_on_refusal_and_stops_at_eof(capsys, monkeypatch, live, enrolled_home):
    lines = [live.cert(), "HB1:broken", "", live.cert(cti=bytes.fromhex("1111111111111111")) + "\r"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code, out, _ = run(capsys, enrolled_home, "scan")
    rows = out.splitlines()
    assert code == 0 and len(rows) == 3  # the empty line is skipped
    assert rows[0].startswith("通过 ACCEPT") and "\a" not in rows[0]
    assert rows[1].startswith("\a拒绝 REFUSE") and "无法识别" in rows[1]
    assert rows[2].startswith("通过 ACCEPT")  # the scanner's CR is not part of the code


def test_status_and_log(capsys, live, enrolled_home, gen):
    run(capsys, enrolled_home, "check", "--text", live.cert())
    code, out, _ = run(capsys, enrolled_home, "status")
    assert code == 0
    assert "v7" in out and "3路公交" in out and "待上传 pending upload: 1" in out
    assert B.fingerprint(gen.raw_key(gen.BUNDLE_SIGNER)) in out
    assert "not behind the bundle" in out
    code, out, _ = run(capsys, enrolled_home, "log", "--limit", "5")
    assert code == 0 and "通过 accept" in out and "待上传 pending" in out


def test_status_warns_when_clock_is_behind(capsys, home, gen, live):
    from huicui_verifier.device import DeviceHome

    gen.install(
        home, live.files(iat=live.now + 3 * gen.DAY, exp=live.now + 9 * gen.DAY), now=live.now
    )
    assert DeviceHome(home).held_bundle() is not None
    code, out, _ = run(capsys, home, "status")
    assert code == 0 and "请校准时钟" in out


def test_load_requires_pinned_key_or_fingerprint(capsys, home, live, gen, tmp_path):
    good = live.files().write(tmp_path / "good")
    other = live.files(signer=gen.OTHER_BUNDLE_SIGNER).write(tmp_path / "other")
    fp = B.fingerprint(gen.raw_key(gen.BUNDLE_SIGNER))

    code, _, err = run(capsys, home, "load", str(good))
    assert code == 2 and "--pin-fingerprint" in err
    code, _, err = run(capsys, home, "load", str(other), "--pin-fingerprint", fp, "--venue", "301")
    assert code == 2 and "does not match" in err
    code, out, _ = run(
        capsys,
        home,
        "load",
        str(good),
        "--pin-fingerprint",
        fp.lower().replace("-", ""),
        "--venue",
        "301",
    )
    assert code == 0 and "v7" in out
    # Now pinned: files signed with another key are refused, even with a fingerprint given.
    code, _, err = run(capsys, home, "load", str(other))
    assert code == 2 and "wrong_key" in err
    older = live.files(version=6).write(tmp_path / "older")
    code, _, err = run(capsys, home, "load", str(older))
    assert code == 2 and "older_version" in err
    newer = live.files(version=8).write(tmp_path / "newer")
    code, out, _ = run(capsys, home, "load", str(newer))
    assert code == 0 and "v8" in out
    # Another venue's profile is refused by name.
    elsewhere = live.files(version=9, venue={"id": 302}).write(tmp_path / "elsewhere")
    (elsewhere / "profile" / "302.cbor").rename(elsewhere / "profile" / "301.cbor")
    code, _, err = run(capsys, home, "load", str(elsewhere))
    assert code == 2 and "other_venue" in err


def test_console_script_runs(live, enrolled_home):
    import os
    import subprocess

    env = {**os.environ, "HUICUI_VERIFIER_HOME": str(enrolled_home)}
    ok = subprocess.run(
        [sys.executable, "-m", "huicui_verifier", "check", "--text", live.cert()],
        env=env,
        capture_output=True,
        text=True,
    )
    bad = subprocess.run(
        [sys.executable, "-m", "huicui_verifier", "check", "--text", "x"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert (ok.returncode, bad.returncode) == (0, 1)


def test_scan_survives_bytes_that_are_not_utf8(live, enrolled_home):
    import os
    import subprocess

    env = {**os.environ, "HUICUI_VERIFIER_HOME": str(enrolled_home)}
    data = b"HB1:\xff\xfe\n" + live.cert().encode() + b"\n"
    proc = subprocess.run(
        [sys.executable, "-m", "huicui_verifier", "scan"], input=data, env=env, capture_output=True
    )
    rows = proc.stdout.decode().splitlines()
    assert proc.returncode == 0 and len(rows) == 2
    assert rows[0].startswith("\a拒绝") and rows[1].startswith("通过")
