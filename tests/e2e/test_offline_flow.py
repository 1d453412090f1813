"""The issue's "done when": a venue decides offline for days, then syncs, exactly once.

The real service runs as a subprocess (``huicui serve``) on 127.0.0.1, staff tokens come
from the ``huicui`` command, the device is the real ``huicui-verify`` command with its own
home folder. While the device decides, the service is stopped: no network route exists.
Runs on SQLite, and on PostgreSQL with HUICUI_TEST_DB=postgres (the ``db`` fixture).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import httpx
import pytest
from huicui_test_support.live_server import BIN, Service, free_port

FERRY = 2
Done = subprocess.CompletedProcess


def _run(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> Done:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode in ok, f"{cmd}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _verify(env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> Done:
    return _run([str(BIN / "huicui-verify"), *args], env, ok)


@pytest.fixture
def service(db, tmp_path):
    port = free_port()
    env = {**os.environ,
           "HUICUI_SERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "HUICUI_VERIFIER_HOME": str(tmp_path / "gate-home"),
           "HUICUI_DATABASE_POOL_SIZE": "2"}
    svc = Service(env, port, tmp_path / "service.log")
    _run([str(BIN / "huicui"), "migrate"], env)
    svc.start()
    yield svc
    svc.stop()


def _token(env: dict[str, str], role: str) -> dict[str, str]:
    out = _run([str(BIN / "huicui"), "token", "create", "--role", role, "--name", f"e2e-{role}"],
               env)
    return {"Authorization": f"Bearer {out.stdout.strip()}"}


def _member(http: httpx.Client, staff: dict, name: str) -> dict:
    r = http.post("/api/v1/identities", headers=staff["registrar"], json={
        "display_name": name, "field": "海洋生物学", "residency": "seasonal", "source": "银海区"})
    assert r.status_code == 201, r.text
    r = http.post("/api/v1/memberships", headers=staff["registrar"], json={
        "identity_id": r.json()["id"], "source_org": "银海区派出所"})
    assert r.status_code == 201, r.text
    r = http.post(f"/api/v1/memberships/{r.json()['id']}/approve", headers=staff["reviewer"],
                  json={"reason": "材料齐全"})
    assert r.status_code == 200 and r.json()["certificate_id"], r.text
    cti = r.json()["certificate_id"]
    r = http.get(f"/api/v1/certificates/{cti}", headers=staff["reviewer"])
    assert r.status_code == 200, r.text
    return {"cti": cti, "text": r.json()["text"]}


def _check(env: dict[str, str], text: str) -> dict:
    done = _verify(env, "check", "--text", text, "--json", ok=(0, 1))
    decision = json.loads(done.stdout)
    assert (done.returncode == 0) == decision["accepted"], done.stdout
    return decision


async def test_offline_ferry_day_then_sync(service, tmp_path):
    env = service.env
    staff = {role: _token(env, role) for role in ("admin", "registrar", "reviewer")}
    with httpx.Client(base_url=service.url, timeout=30) as http:
        rider = _member(http, staff, "李晓明")
        lost = _member(http, staff, "陈海岛")
        r = http.post("/api/v1/partners", headers=staff["admin"], json={
            "name_zh": "北部湾海上客运", "name_en": "Beibu Gulf Ferries",
            "contact_phone": "07793000000"})
        assert r.status_code == 201, r.text
        r = http.post("/api/v1/venues", headers=staff["admin"], json={
            "partner_id": r.json()["id"], "name_zh": "北海国际客运港", "name_en": "Beihai Port",
            "kind": "ferry", "benefits": [FERRY], "fail_mode": "closed"})
        assert r.status_code == 201, r.text
        venue_id = r.json()["id"]
        r = http.post("/api/v1/devices", headers=staff["admin"],
                      json={"venue_id": venue_id, "name": "1号闸机"})
        assert r.status_code == 201, r.text
        enrollment = r.json()

    # The office hands over the command; the gate types it.
    command = shlex.split(enrollment["command"])
    assert command[0] == "huicui-verify" and f"--server {service.url}" in enrollment["command"]
    done = _verify(env, *command[1:])
    assert enrollment["fingerprint"] in done.stdout

    service.stop()  # from here on the gate has no route to the service
    with pytest.raises(httpx.TransportError):
        httpx.get(service.url + "/health", timeout=1)

    rides = [_check(env, rider["text"]) for _ in range(4)]
    assert [d["accepted"] for d in rides] == [True, True, False, False]
    assert [d["reason"] for d in rides[2:]] == ["limit_reached", "limit_reached"]
    assert _check(env, lost["text"])["accepted"]  # not revoked yet

    service.start()
    with httpx.Client(base_url=service.url, timeout=30) as http:
        r = http.post(f"/api/v1/certificates/{lost['cti']}/revoke", headers=staff["reviewer"],
                      json={"reason": "证书遗失 / lost"})
        assert r.status_code == 200, r.text

    done = _verify(env, "sync")
    assert "Bundle updated" in done.stdout, done.stdout
    refused = _check(env, lost["text"])
    assert (refused["accepted"], refused["reason"]) == (False, "revoked")
    done = _verify(env, "sync")  # the refusal goes up too; nothing twice
    assert "pending 0" in done.stdout, done.stdout

    # A device that never goes online takes the same data from published files.
    folder = tmp_path / "stick"
    out = _run([str(BIN / "huicui"), "bundle", "publish", str(folder)], env).stdout
    assert enrollment["fingerprint"] in out
    offline_env = {**env, "HUICUI_VERIFIER_HOME": str(tmp_path / "offline-home")}
    _verify(offline_env, "load", str(folder), "--venue", str(venue_id),
            "--pin-fingerprint", enrollment["fingerprint"])
    assert not _check(offline_env, lost["text"])["accepted"]
    service.stop()

    from huicui.sync.tables import Redemption
    from huicui_verifier.log import DecisionLog

    with DecisionLog(Path(env["HUICUI_VERIFIER_HOME"]) / "log.sqlite") as log:
        device_records = [r for r in log.recent(100) if r["cti"]]
        assert log.pending_count() == 0
    assert len(device_records) == 6
    stored = await Redemption.select(Redemption.uuid, Redemption.decision, Redemption.reason,
                                     Redemption.certificate_id, Redemption.device)
    assert sorted(r["uuid"] for r in stored) == sorted(r["uuid"] for r in device_records)
    assert {r["device"] for r in stored} == {enrollment["device"]["id"]}
    by_reason = sorted((r["certificate_id"] == lost["cti"], r["decision"], r["reason"])
                       for r in stored)
    assert by_reason == [(False, "accept", "ok"), (False, "accept", "ok"),
                         (False, "refuse", "limit_reached"), (False, "refuse", "limit_reached"),
                         (True, "accept", "ok"), (True, "refuse", "revoked")]
