"""The verifier page's test kit: the real service with the office's API calls, and the
page driven over the DevTools protocol (tests/browser/test_verify_*.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
from conftest import card_image, write_y4m
from huicui_test_support.live_server import BIN, Service, free_port

FERRY = 2  # two rides a day (the ferry benefit's limit)


def _run(cmd: list[str], env: dict[str, str]) -> str:
    import subprocess

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done.stdout


class Office:
    """The service and what the office does through its API: members, a venue, devices."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.url = service.url
        self.staff = {}
        for role in ("admin", "registrar", "reviewer"):
            out = _run([str(BIN / "huicui"), "token", "create", "--role", role,
                        "--name", f"verify-{role}"], service.env)
            self.staff[role] = {"Authorization": f"Bearer {out.strip()}"}
        self.http = httpx.Client(base_url=service.url, timeout=30)

    def post(self, path: str, role: str, body: dict | None = None) -> dict:
        r = self.http.post(path, headers=self.staff[role], json=body or {})
        assert r.status_code in (200, 201), r.text
        return r.json()

    def member(self, name: str) -> dict:
        """An approved member's certificate: {cti, text}."""
        ident = self.post("/api/v1/identities", "registrar", {
            "display_name": name, "field": "海洋生物学", "residency": "seasonal",
            "source": "银海区"})
        m = self.post("/api/v1/memberships", "registrar",
                      {"identity_id": ident["id"], "source_org": "银海区派出所"})
        cti = self.post(f"/api/v1/memberships/{m['id']}/approve", "reviewer",
                        {"reason": "材料齐全"})["certificate_id"]
        r = self.http.get(f"/api/v1/certificates/{cti}", headers=self.staff["reviewer"])
        return {"cti": cti, "text": r.json()["text"]}

    def venue(self, fail_mode: str = "open") -> int:
        partner = self.post("/api/v1/partners", "admin", {
            "name_zh": "北部湾海上客运", "name_en": "Beibu Gulf Ferries",
            "contact_phone": "07793000000"})
        return self.post("/api/v1/venues", "admin", {
            "partner_id": partner["id"], "name_zh": "北海国际客运港", "name_en": "Beihai Port",
            "kind": "ferry", "benefits": [FERRY], "fail_mode": fail_mode})["id"]

    def device(self, venue_id: int) -> dict:
        return self.post("/api/v1/devices", "admin", {"venue_id": venue_id, "name": "售票手机"})

    def redemptions(self, cti: str | None = None) -> list[dict]:
        params = {"limit": 500, **({"certificate_id": cti} if cti else {})}
        r = self.http.get("/api/v1/redemptions", headers=self.staff["admin"], params=params)
        assert r.status_code == 200, r.text
        return r.json()["items"]


def start_office(tmp_path: Path):
    """Migrate, start ``huicui serve`` and yield an :class:`Office`; stop it afterwards."""
    port = free_port()
    env = {**os.environ, "HUICUI_SERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "HUICUI_DATABASE_POOL_SIZE": "2", "HUICUI_BUNDLE_CHECK_SECONDS": "0.2"}
    svc = Service(env, port, tmp_path / "service.log")
    _run([str(BIN / "huicui"), "migrate"], env)
    svc.start()
    office = Office(svc)
    yield office
    office.http.close()
    svc.stop()


# --- driving the page ---------------------------------------------------------------------

VERDICT = """(() => { const v = document.getElementById('verdict');
  return {cls: v.className, text: v.innerText, reason: v.dataset.reason || '',
          seq: Number(v.dataset.seq || 0), uuid: v.dataset.uuid || ''}; })()"""


def run(browser, expression: str):
    """Evaluate ``expression`` in the page, waiting for a promise it returns."""
    res = browser.send("Runtime.evaluate", expression=expression, awaitPromise=True,
                       returnByValue=True)
    if "exceptionDetails" in res:
        raise AssertionError(f"page script failed: {res['exceptionDetails']}")
    return res["result"].get("value")


def ready(browser, timeout: float = 60) -> dict:
    """The page once enrolled and holding a bundle: {version, state, reader}."""
    return browser.wait_for(
        """(() => { const h = document.documentElement;
            const v = document.getElementById('version');
            return h.dataset.ready && v.dataset.version && (h.dataset.state === 'ready'
                   || h.dataset.state === 'stale')
              && {version: v.dataset.version, state: h.dataset.state,
                  reader: h.dataset.reader || ''}; })()""",
        timeout=timeout, what="an enrolled page holding a bundle")


def type_code(browser, text: str) -> dict:
    """Enter ``text`` in the wedge field; the next verdict shown."""
    before = browser.evaluate(VERDICT)["seq"]
    browser.evaluate(
        "(() => { const w = document.getElementById('wedge'); w.value = " + json.dumps(text)
        + "; document.getElementById('wedge-form').requestSubmit(); })()")
    return browser.wait_for(
        f"(() => {{ const v = {VERDICT};"
        f" return v.seq > {before} && !v.cls.includes('repeat') && v; }})()",
        what="a verdict")


def log_rows(browser) -> list[dict]:
    return run(browser, "huicuiVerify.log.all()")


def pending(browser) -> int:
    return run(browser, "huicuiVerify.log.pendingCount()")


def enroll_by_link(start_browser, office: Office, tmp_path: Path, enrollment: dict,
                   video: Path | None = None, profile: Path | None = None):
    """Open the enrollment link as the phone's camera app would; the page enrolls."""
    video = video or write_y4m(card_image(None), tmp_path / "blank.y4m")
    browser = start_browser(enrollment["enrollment"]["text"], video, profile=profile)
    ready(browser)
    return browser


