"""The bundle service reads only the revocations changed since its last read; what it
publishes must be byte for byte what a whole read publishes (revoked, superseded and
expired certificates alike), so devices cannot tell which path made their snapshot."""

from __future__ import annotations

import datetime as dt

from huicui_test_support.members import active_member
from huicui_verifier.catchup import snapshot_name
from huicui_verifier.revocations import contains


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _revoke(client, tokens, cti: str, reason: str = "证书遗失") -> None:
    r = await client.post(
        f"/api/v1/certificates/{cti}/revoke", headers=tokens.h("reviewer"), json={"reason": reason}
    )
    assert r.status_code == 200, r.text


async def _both_ways(ctx, now, previous, tmp_path, label):
    """Content at ``now`` read incrementally from ``previous`` and read whole, each
    published into its own folder; returns (incremental, whole, their snapshot bytes)."""
    from huicui.bundles.content import gather
    from huicui.bundles.publish import Publisher

    step = await gather(ctx, now, previous=previous)
    whole = await gather(ctx, now)
    files = []
    for name, content in (("step", step), ("whole", whole)):
        published = Publisher(tmp_path / f"{label}-{name}").publish_content(
            content, ctx.settings, now
        )
        files.append((tmp_path / f"{label}-{name}" / snapshot_name(published.hash)).read_bytes())
    return step, whole, files


async def test_incremental_read_publishes_the_same_snapshot_as_a_whole_read(
    client, tokens, app, tmp_path
):
    from huicui.bundles.content import gather
    from huicui.issuance.tables import Certificate

    ctx = app.state.ctx
    members = [await active_member(client, tokens, name) for name in ("王海", "陈岛", "林帆")]
    await _revoke(client, tokens, members[0]["cti"], "证书遗失")
    first = await gather(ctx, _now())
    assert contains(first.revoked, bytes.fromhex(members[0]["cti"]))

    # Changes after the first read: a revocation, a renewal (the old card is superseded)
    # and a revocation of a card that already ended (it must not enter the list).
    await _revoke(client, tokens, members[1]["cti"], "证书损坏")
    # Renewal opens in the review window before the term ends: bring the end near.
    from huicui.memberships.tables import Membership

    await Membership.update({Membership.term_end: dt.date.today() + dt.timedelta(days=20)}).where(
        Membership.id == members[2]["id"])
    r = await client.post(
        f"/api/v1/memberships/{members[2]['id']}/renew", headers=tokens.h("reviewer2")
    )
    assert r.status_code == 200, r.text
    renewed = r.json()["certificate_id"]
    step, whole, (a, b) = await _both_ways(ctx, _now(), first, tmp_path, "changes")
    assert step.revoked == whole.revoked and step.digest == whole.digest
    assert step.version == whole.version > first.version
    assert a == b
    for m in members:
        assert contains(step.revoked, bytes.fromhex(m["cti"]))
    assert not contains(step.revoked, bytes.fromhex(renewed))

    # Time passes beyond the first card's end: it leaves the list on both paths.
    ends = int(_now().timestamp()) + 3600
    await Certificate.update({Certificate.exp: ends}).where(Certificate.cti == members[0]["cti"])
    before = await gather(ctx, _now(), previous=step)
    later = dt.datetime.fromtimestamp(ends, dt.UTC) + dt.timedelta(seconds=1)
    step2, whole2, (a2, b2) = await _both_ways(ctx, later, before, tmp_path, "expiry")
    assert not contains(step2.revoked, bytes.fromhex(members[0]["cti"]))
    assert contains(step2.revoked, bytes.fromhex(members[1]["cti"]))
    assert step2.revoked == whole2.revoked and a2 == b2


async def test_nothing_changed_reads_the_same_list_and_keeps_the_version(client, tokens, app):
    from huicui.bundles.content import gather

    ctx = app.state.ctx
    m = await active_member(client, tokens, "赵岩")
    await _revoke(client, tokens, m["cti"], "证书遗失")
    first = await gather(ctx, _now())
    again = await gather(ctx, _now(), previous=first)
    assert again.revoked == first.revoked and again.version == first.version


async def test_a_read_for_an_earlier_time_than_the_held_one_reads_whole(client, tokens, app):
    from huicui.bundles.content import gather
    from huicui.issuance.tables import Certificate

    ctx = app.state.ctx
    m = await active_member(client, tokens, "周宁")
    await _revoke(client, tokens, m["cti"], "证书遗失")
    ends = int(_now().timestamp()) + 3600
    await Certificate.update({Certificate.exp: ends}).where(Certificate.cti == m["cti"])
    future = await gather(ctx, dt.datetime.fromtimestamp(ends + 1, dt.UTC))
    assert not contains(future.revoked, bytes.fromhex(m["cti"]))
    # Going back in time cannot be said as changes since the held read: read whole.
    back = await gather(ctx, _now(), previous=future)
    assert contains(back.revoked, bytes.fromhex(m["cti"]))
    assert back.revoked == (await gather(ctx, _now())).revoked


async def test_a_revocation_stamped_before_the_overlap_waits_for_the_whole_read(
    client, tokens, app
):
    """The incremental read finds revocations by revoked_at: one written behind the
    service's back with an old stamp is missed until the whole read (forced here; the
    service does one every FULL_READ_SECONDS)."""
    from huicui.bundles.builder import bundle_service
    from huicui.bundles.content import REVOKED_OVERLAP, gather
    from huicui.issuance.tables import Certificate

    ctx = app.state.ctx
    m = await active_member(client, tokens, "吴桥")
    service = bundle_service(ctx)
    await service.refresh(force=True)
    held = service._content
    assert held is not None and not contains(held.revoked, bytes.fromhex(m["cti"]))
    old = _now() - 2 * REVOKED_OVERLAP
    await Certificate.update({Certificate.status: "revoked", Certificate.revoked_at: old}).where(
        Certificate.cti == m["cti"]
    )
    step = await gather(ctx, _now(), previous=held)
    assert not contains(step.revoked, bytes.fromhex(m["cti"]))
    await service.refresh(force=True)
    assert contains(service._content.revoked, bytes.fromhex(m["cti"]))
