"""The API reference at /schema in real headless Chromium with every outside host
unreachable: it renders from the service alone and lists the operations."""

from __future__ import annotations

import json
import urllib.request

import pytest
from huicui_test_support.live_server import free_port, uvicorn_in_thread

pytestmark = pytest.mark.browser

# Every host name but the service's fails to resolve: a CDN script would not load.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"

OPERATIONS = """(() => Array.from(document.querySelectorAll('.opblock')).map(b => [
  b.querySelector('.opblock-summary-method').innerText.trim(),
  b.querySelector('.opblock-summary-path').innerText.replace(/\\u200b/g, '').trim()]))()"""


@pytest.fixture
def served(app):
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False)
    with uvicorn_in_thread(config):
        yield f"http://127.0.0.1:{port}"


def test_the_api_reference_renders_offline_from_the_service(served, start_browser, tmp_path):
    with urllib.request.urlopen(f"{served}/schema/openapi.json", timeout=10) as res:
        schema = json.loads(res.read())
    expected = sorted(
        [method.upper(), path]
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )
    assert len(expected) > 40

    browser = start_browser(f"{served}/schema", tmp_path / "no-camera.y4m", OFFLINE)
    shown = browser.wait_for(f"(() => {{ const o = {OPERATIONS}; return o.length && o; }})()",
                             timeout=60, what="the operations listed")
    assert sorted(shown) == expected
    assert browser.evaluate("document.title") == "Huicui 荟萃 API"
    # Everything the page loaded came from the service.
    loaded = browser.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(served + "/") for url in loaded), loaded
    assert any(url.endswith("/schema/assets/swagger-ui-bundle.js") for url in loaded)


def test_the_api_reference_has_the_card_pages_headers(served):
    for path in ("/schema", "/schema/swagger", "/schema/openapi.json",
                 "/schema/assets/swagger-ui-bundle.js"):
        with urllib.request.urlopen(served + path, timeout=10) as res:
            headers = res.headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
        assert "http" not in policy  # no outside origin allowed for anything
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    with urllib.request.urlopen(served + "/schema", timeout=10) as res:
        page = res.read().decode()
    assert "cdn" not in page.lower() and "https://" not in page
    with urllib.request.urlopen(served + "/schema/assets/LICENSE", timeout=10) as res:
        assert b"Apache License" in res.read()  # Swagger UI's licence travels with it
    for name in ("nope.js", "..%2F__init__.py", "%2Fetc%2Fpasswd"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{served}/schema/assets/{name}", timeout=10)
        assert info.value.code == 404
