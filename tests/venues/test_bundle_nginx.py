"""The published folder served by a real web server (Debian's nginx, started here on a
free port with its own configuration): a verifier enrolled on that URL catches up through
it — the snapshot first, then a delta, then the heartbeat only."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from huicui_test_support import require_tool
from huicui_test_support.live_server import free_port
from huicui_test_support.members import active_member
from huicui_test_support.venues import venue

CONF = """\
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {tmp}/access.log;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  types {{ application/cbor cbor; }}
  server {{
    listen 127.0.0.1:{port};
    root {root};
  }}
}}
"""


@pytest.fixture
def nginx(tmp_path):
    """nginx serving ``tmp_path / "www"``; yields (base URL, www folder, access log)."""
    debian = "/usr/sbin/nginx"  # not on a non-root user's PATH
    binary = (
        debian
        if os.access(debian, os.X_OK)
        else require_tool("nginx", "nginx", "HUICUI_REQUIRE_NGINX")
    )
    www, conf_dir = tmp_path / "www", tmp_path / "nginx"
    www.mkdir()
    conf_dir.mkdir()
    port = free_port()
    conf = conf_dir / "nginx.conf"
    conf.write_text(CONF.format(tmp=conf_dir, port=port, root=www))
    proc = subprocess.Popen(
        [binary, "-c", str(conf), "-p", str(conf_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(url + "none", timeout=1)
        except urllib.error.HTTPError:
            break  # a 404: nginx answers
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {proc.stderr.read()!r}") from None
            time.sleep(0.05)
    try:
        yield url, www, conf_dir / "access.log"
    finally:
        proc.terminate()
        proc.wait(10)


def _requests(log: Path, since: int) -> list[tuple[str, int]]:
    """(path, status) of each request nginx logged after the first ``since`` lines."""
    out = []
    for line in log.read_text().splitlines()[since:]:
        request = line.split('"')[1]
        status = int(line.split('"')[2].split()[0])
        out.append((request.split()[1], status))
    return out


async def _publish(app, folder: Path):
    from huicui.bundles.content import gather
    from huicui.bundles.publish import Publisher
    from huicui.venues.tables import Venue

    ctx = app.state.ctx
    now = dt.datetime.now(dt.UTC)
    content = await gather(ctx, now)
    return Publisher(folder).publish_content(
        content, ctx.settings, now, venues=await Venue.select()
    )


async def test_a_verifier_catches_up_through_nginx(client, tokens, app, nginx, tmp_path, capsys):
    from huicui.issuance.keys import bundle_signer
    from huicui_verifier import bundle as B
    from huicui_verifier.cli import main
    from huicui_verifier.device import DeviceHome

    url, www, log = nginx
    holder = await active_member(client, tokens, "陈岛")
    v = await venue(client, tokens)
    first = await _publish(app, www)
    home = tmp_path / "gate"
    fp = B.fingerprint((await bundle_signer(app.state.ctx))[1])
    args = ["--home", str(home)]
    assert main([*args, "load", url, "--venue", str(v["id"]), "--pin-fingerprint", fp]) == 0
    assert _requests(log, 0)[1:] == [  # the first line is the fixture's "is it up?" 404
        ("/heartbeat.cbor", 200),
        (f"/snapshot/{first.hash.hex()}.cbor", 200),
        (f"/profile/{v['id']}.cbor", 200),
    ]
    held = DeviceHome(home).held_bundle()
    assert held.version == first.version and bytes.fromhex(holder["cti"]) not in held.revoked

    r = await client.post(
        f"/api/v1/certificates/{holder['cti']}/revoke",
        headers=tokens.h("reviewer"),
        json={"reason": "证书遗失"},
    )
    assert r.status_code == 200, r.text
    second = await _publish(app, www)
    assert second.delta_written and second.version > first.version
    seen = len(log.read_text().splitlines())
    capsys.readouterr()
    assert main([*args, "sync"]) == 0
    assert _requests(log, seen) == [
        ("/heartbeat.cbor", 200),
        (f"/delta/{first.hash.hex()}.cbor", 200),
        (f"/profile/{v['id']}.cbor", 304),
    ]
    held = DeviceHome(home).held_bundle()
    assert held.version == second.version and bytes.fromhex(holder["cti"]) in held.revoked
    assert not held.is_stale(int(time.time()))

    seen = len(log.read_text().splitlines())
    assert main([*args, "sync"]) == 0
    assert _requests(log, seen) == [
        ("/heartbeat.cbor", 304),
        (f"/profile/{v['id']}.cbor", 304),
    ]
