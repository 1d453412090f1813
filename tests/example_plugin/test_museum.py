import huicui_museum
from huicui.testing import build_plugins, plugin_client


def test_policy_can_be_configured():
    plugins = build_plugins(huicui_museum, benefits={"museum": {"percent_off": 30}})
    assert plugins.by_slug("museum").policy.percent_off == 30


async def test_listed_by_the_api():
    async with plugin_client(huicui_museum) as h:
        r = await h.client.get("/api/v1/benefits", headers=h.headers("auditor"))
        assert [b["slug"] for b in r.json()] == ["museum"]
        assert (await h.client.get("/api/v1/benefits")).status_code == 401
