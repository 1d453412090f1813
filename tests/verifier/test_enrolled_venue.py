"""A device stays at the venue it was enrolled at (issue 13, security 6), and says when it
last heard from the service rather than how old the bundle is (new-user item 11)."""

from __future__ import annotations

import pytest
from huicui_verifier import bundle as B
from huicui_verifier.cli import main
from huicui_verifier.device import DeviceHome

BUS_5 = {"id": 302, "kind": "bus", "name_zh": "5路公交", "name_en": "Bus line 5", "benefits": (3,)}


def run(capsys, home, *args):
    code = main(["--home", str(home), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def published(folder, files, *, serve_as=None):
    """``files`` written as ``huicui bundle publish`` lays them out; with ``serve_as`` the
    profile is also put where venue ``serve_as``'s belongs (a swapped file)."""
    files.write(folder)
    if serve_as is not None:
        (folder / f"profile/{serve_as}.cbor").write_bytes(files.profile)
    return folder


@pytest.fixture
def files(tmp_path, live):
    here = published(tmp_path / "bus3", live.files())
    # Venue 302's data, its profile also where venue 301's belongs: one program key signs
    # every venue's files, so the signature alone cannot tell them apart.
    there = published(tmp_path / "bus5", live.files(version=9, venue=BUS_5), serve_as=301)
    return here, there


def _state_and_files(device):
    held = [
        f.read_bytes() for f in (device.snapshot_file, device.heartbeat_file, device.profile_file)
    ]
    return held, device.state()


def test_load_refuses_another_venues_bundle_signed_with_the_same_key(capsys, home, gen, files):
    here, there = files
    fp = B.fingerprint(gen.raw_key(gen.BUNDLE_SIGNER))
    assert run(capsys, home, "load", str(here), "--venue", "301", "--pin-fingerprint", fp)[0] == 0
    device = DeviceHome(home)
    before = _state_and_files(device)

    code, _, err = run(capsys, home, "load", str(there))
    assert code == 2
    assert "other_venue" in err and "其他场所" in err and "--force" in err
    assert err.index("其他场所") < err.index("another venue")  # Chinese first
    assert _state_and_files(device) == before  # nothing switched
    assert device.state()["venue"] == 301


def test_re_enrolling_from_a_file_moves_the_device(capsys, home, gen, files, live, tmp_path):
    here, there = files
    fp = B.fingerprint(gen.raw_key(gen.BUNDLE_SIGNER))
    run(capsys, home, "load", str(here), "--venue", "301", "--pin-fingerprint", fp)
    code, _, err = run(capsys, home, "load", str(there), "--venue", "302", "--force")
    assert code == 2 and "--pin-fingerprint" in err  # moving needs the office's fingerprint
    code, out, _ = run(
        capsys, home, "load", str(there), "--venue", "302", "--force", "--pin-fingerprint", fp
    )
    assert code == 0 and "5路公交" in out
    assert DeviceHome(home).state()["venue"] == 302
    # And now the first venue's files are the foreign ones, even newer ones.
    newer_here = published(tmp_path / "bus3-v10", live.files(version=10), serve_as=302)
    code, _, err = run(capsys, home, "load", str(newer_here))
    assert code == 2 and "other_venue" in err


def test_a_swapped_in_file_of_another_venue_is_not_used(home, gen, live, files):
    _, there = files
    device = DeviceHome(home)
    gen.install(home, live.files(), now=live.now)
    assert device.held_bundle().venue.id == 301
    # behind the verifier's back
    device.profile_file.write_bytes((there / "profile/302.cbor").read_bytes())
    with pytest.raises(B.BundleError) as err:
        device.held_bundle()
    assert err.value.code == "other_venue"


def test_devices_enrolled_before_the_venue_was_recorded_take_it_from_their_bundle(
    home, gen, live, files
):
    device = DeviceHome(home)
    gen.install(home, live.files(), now=live.now)
    state = device.state()
    del state["venue"]
    (home / "device.json").write_text(__import__("json").dumps(state))
    assert device.enrolled_venue() == 301


def test_status_after_a_file_says_when_it_was_loaded(capsys, home, gen, files):
    here, _ = files
    fp = B.fingerprint(gen.raw_key(gen.BUNDLE_SIGNER))
    run(capsys, home, "load", str(here), "--venue", "301", "--pin-fingerprint", fp)
    code, out, _ = run(capsys, home, "status")
    assert code == 0 and "从文件加载 Loaded from a file: 刚刚 / just now" in out


def test_a_venue_without_an_english_name_is_named_once(capsys, home, gen, tmp_path, live):
    for en in ("", "北海国际客运港"):
        folder = tmp_path / f"ferry{len(en)}"
        venue = {"id": 601, "kind": "ferry", "name_zh": "北海国际客运港", "name_en": en}
        published(folder, live.files(venue={**venue, "benefits": (2,)}))
        fp = B.fingerprint(gen.raw_key(gen.BUNDLE_SIGNER))
        code, out, _ = run(
            capsys, home, "load", str(folder), "--venue", "601", "--force", "--pin-fingerprint", fp
        )
        assert code == 0
        assert "北海国际客运港 (venue 601)" in out
        assert "北海国际客运港 / 北海国际客运港" not in out
        code, out, _ = run(capsys, home, "status")
        assert "北海国际客运港 / " not in out and "北海国际客运港 (venue 601)" in out


@pytest.mark.parametrize("command", ["sync", "status", "log", "load"])
def test_every_subcommand_help_has_a_description_and_examples(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    description = text.split("\n\n")[1]  # after the usage line
    assert not description.lstrip().startswith(("options", "positional"))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in description)  # Chinese first
    assert "示例 / examples:" in text and f"huicui-verify {command}" in text
