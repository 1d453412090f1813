"""Talking to the server when there is a network: enroll, upload the log, catch up.

Plain ``urllib`` so a venue device installs nothing more. Uploads are safe to repeat
(the server is idempotent by record uuid), so any failure before the server's answer
is met by sending the same batch again; records are marked uploaded only after an answer.

The server refuses a whole batch when one record in it is bad (422, naming each bad
record's index). The device then quarantines exactly those records — kept in the log
with the server's reason, never sent again — and uploads the rest, so one bad record
cannot stop a device from ever uploading again. A 413 makes the batches smaller. A
refusal the device cannot pin on particular records leaves everything pending.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

import msgspec

from . import __version__
from .bundle import Bundle, BundleError, assemble, normalize_fingerprint, open_file
from .catchup import CatchUp, DirectorySource, Fetched, Source, catch_up, profile_name
from .device import DeviceHome
from .log import DecisionLog
from .records import (
    BUNDLE_PATH,
    MAX_BATCH,
    SYNC_PATH,
    RedemptionRecord,
    SyncRequest,
    SyncResponse,
)

USER_AGENT = f"huicui-verifier/{__version__}"
_TRANSIENT = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    OSError,
)


class SyncError(Exception):
    """Sync could not finish; ``code`` is ``unauthorized``, ``network``, ``server``,
    ``bad_response``, ``fingerprint_mismatch``, ``not_enrolled`` or ``pending_records``
    (or a bundle error code)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class PendingRecordsError(SyncError):
    """Enrolling at another venue was refused: ``count`` records made for the old venue
    could not be uploaded first (``why``), and ``discard_pending`` was not given."""

    def __init__(self, count: int, why: str) -> None:
        super().__init__(
            "pending_records",
            f"{count} records of the previous venue are not uploaded ({why}); sync first, "
            "or enroll with --discard-pending to set them aside in quarantine",
        )
        self.count = count
        self.why = why


@dataclass
class UploadResult:
    """What an upload achieved; ``remaining`` > 0 means try again later.

    ``quarantined`` counts records the server refused by name: they are set aside in
    the log with its reason and will not be sent again.
    """

    sent: int = 0
    new: int = 0
    known: int = 0
    batches: int = 0
    remaining: int = 0
    quarantined: int = 0
    error: str | None = None


@dataclass
class Enrollment:
    """An enrollment and what happened to records still pending for another venue."""

    bundle: Bundle
    foreign_pending: int = 0  # pending records made for another venue (or program)
    uploaded: int = 0  # of those, acknowledged by the old server before moving
    quarantined: int = 0  # of those, set aside (refused by the server, or given up)


@dataclass
class SyncResult:
    """An upload and a catch-up together."""

    upload: UploadResult
    bundle_updated: bool
    bundle_version: int | None
    caught: CatchUp | None = None


def _url(server: str, path: str) -> str:
    return server.rstrip("/") + path


def _request(
    method: str,
    url: str,
    token: str | None,
    *,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 30,
) -> tuple[int, dict, bytes]:
    if not url.startswith(("https://", "http://")):
        raise SyncError("bad_server", f"server URL must start with https:// or http://: {url}")
    req = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - scheme checked above
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    req.add_header("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - scheme checked
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers.items()), exc.read()


# The service serves the published files under this path to device tokens; the
# device's own profile is ``profile.cbor`` there (the token says which venue).
API_FILES = BUNDLE_PATH + "/"
API_PROFILE = "profile.cbor"


class HttpSource:
    """Published files under a base URL: the service's API (with the device token) or
    any static web server, CDN or object store (without)."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 30) -> None:
        """Read files under ``base_url`` (ending in ``/``), sending ``token`` if given."""
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.token = token
        self.timeout = timeout

    def get(self, name: str, etag: str | None = None) -> Fetched | None:
        """GET one file; None on 404, no data on 304; SyncError for anything else."""
        headers = {"Accept": "application/cbor"}
        if etag:
            headers["If-None-Match"] = etag
        url = self.base + name
        try:
            status, resp_headers, body = _request(
                "GET", url, self.token, headers=headers, timeout=self.timeout
            )
        except _TRANSIENT as exc:
            raise SyncError("network", f"cannot reach {url}: {exc}") from None
        # What came over the wire: status line, headers and body.
        moved = 17 + sum(len(k) + len(v) + 4 for k, v in resp_headers.items()) + 2 + len(body)
        tag = {k.lower(): v for k, v in resp_headers.items()}.get("etag")
        if status == 304:
            return Fetched(None, etag, moved)
        if status == 404:
            return None
        if status in (401, 403):
            raise SyncError("unauthorized", "the server refused the device token")
        if status != 200:
            raise SyncError("server", f"GET {url} answered {status}")
        return Fetched(body, tag, moved)


def source_for(location: str, token: str | None = None) -> Source:
    """A :class:`Source` for a base URL (http/https) or a folder."""
    if location.startswith(("https://", "http://")):
        return HttpSource(location, token)
    return DirectorySource(location)


def enroll(
    home: DeviceHome,
    server: str,
    token: str,
    *,
    expected_fingerprint: str | None,
    now: datetime,
    discard_pending: bool = False,
) -> Bundle:
    """Fetch the first bundle with ``token``, trust its key on first use and pin it.

    With ``expected_fingerprint`` (as the office showed it) a different key is refused
    and nothing is stored. Without it the caller must show ``bundle.fingerprint`` and
    ask the operator to compare. See :func:`enroll_device` for records still pending.
    """
    return enroll_device(
        home,
        server,
        token,
        expected_fingerprint=expected_fingerprint,
        now=now,
        discard_pending=discard_pending,
    ).bundle


def enroll_device(
    home: DeviceHome,
    server: str,
    token: str,
    *,
    expected_fingerprint: str | None,
    now: datetime,
    discard_pending: bool = False,
    attempts: int = 3,
    backoff: float = 0.5,
) -> Enrollment:
    """Enroll (or re-enroll) the device, first settling records made for another venue.

    Records still pending for a venue other than the new one can only be uploaded with
    the old token, so they are uploaded with it first. If some remain (no network, old
    token revoked, never enrolled online) enrollment is refused with
    :class:`PendingRecordsError` and nothing changes — unless ``discard_pending``, which
    moves them to quarantine (kept in the log, never deleted). Records for the new
    venue stay pending and go up with the new token.
    """
    source = HttpSource(server.rstrip("/") + API_FILES, token)
    caught, bundle = first_catch_up(
        source, API_PROFILE, expected_fingerprint=expected_fingerprint, now=now
    )
    outcome = _settle_foreign_pending(
        home, bundle, now=now, discard=discard_pending, attempts=attempts, backoff=backoff
    )
    home.set_token(token)
    start_over(
        home,
        caught,
        server=server,
        source=None,
        profile_name=API_PROFILE,
        checked_at=int(now.timestamp()),
    )
    return outcome


def enroll_from_files(
    home: DeviceHome,
    location: str,
    venue: int,
    *,
    expected_fingerprint: str,
    now: datetime,
    discard_pending: bool = False,
) -> Enrollment:
    """Enroll (or re-enroll) a device from published files, for devices that are never online.

    As :func:`enroll_device`, with a folder or static URL (``location``) instead of the
    server: the snapshot's key is trusted only if its fingerprint is
    ``expected_fingerprint`` (as the office showed it), ``venue``'s profile is taken, and
    records pending for another venue are uploaded with the old token if the device has
    one, else refused or quarantined. From then on only that venue's profile is accepted.
    """
    name = profile_name(venue)
    caught, bundle = first_catch_up(
        source_for(location), name, expected_fingerprint=expected_fingerprint, now=now, venue=venue
    )
    outcome = _settle_foreign_pending(
        home, bundle, now=now, discard=discard_pending, attempts=3, backoff=0.5
    )
    start_over(home, caught, source=location, profile_name=name, loaded_at=int(now.timestamp()))
    return outcome


def first_catch_up(
    source: Source,
    profile_file: str,
    *,
    expected_fingerprint: str | None,
    now: datetime,
    venue: int | None = None,
) -> tuple[CatchUp, Bundle]:
    """Fetch everything from ``source`` trusting the snapshot's key on first use.

    With ``expected_fingerprint`` (as the office showed it) another key is refused
    (``fingerprint_mismatch``) before anything is stored.
    """
    caught = catch_up(
        source,
        held=None,
        pinned_key=None,
        program=None,
        venue=venue,
        profile_file=profile_file,
        now=now,
    )
    assert caught.held is not None and caught.pinned_key is not None
    assert caught.profile is not None and caught.heartbeat is not None
    bundle = open_bundle_parts(caught)
    if (
        expected_fingerprint is not None
        and normalize_fingerprint(expected_fingerprint) != bundle.fingerprint
    ):
        wanted = normalize_fingerprint(expected_fingerprint)
        raise SyncError(
            "fingerprint_mismatch",
            f"bundle key {bundle.fingerprint} differs from the expected {wanted}",
        )
    return caught, bundle


def open_bundle_parts(caught: CatchUp) -> Bundle:
    """The device view of a first catch-up's snapshot, profile and heartbeat."""
    assert caught.held is not None and caught.pinned_key is not None
    assert caught.profile is not None and caught.heartbeat is not None
    key = caught.pinned_key
    return assemble(
        caught.held.snapshot,
        caught.held.hash,
        open_file(caught.profile, "profile", pinned_key=key).payload,
        open_file(caught.heartbeat, "heartbeat", pinned_key=key).payload,
        revoked=caught.held.revoked,
    )


def start_over(home: DeviceHome, caught: CatchUp, **fields: object) -> None:
    """Replace the device's data with a first catch-up's (enrollment, or a first load)."""
    home.update_state(
        latest_version=None, heartbeat_etag=None, profile_etag=None, venue=None, profile_rev=None
    )
    for f in (home.snapshot_file, home.heartbeat_file, home.profile_file):
        f.unlink(missing_ok=True)
    home.save(caught, **fields)


def _settle_foreign_pending(
    home: DeviceHome,
    bundle: Bundle,
    *,
    now: datetime,
    discard: bool,
    attempts: int,
    backoff: float,
) -> Enrollment:
    new_venue: int | None = bundle.venue.id
    try:
        held = home.held_bundle(now)
    except BundleError:
        held = None
    if held is not None and held.program != bundle.program:
        new_venue = None  # another program: venue ids mean nothing there, all are foreign
    with home.open_log() as log:
        foreign = log.pending_count(except_venue=new_venue)
        if not foreign:
            return Enrollment(bundle=bundle)
        result = Enrollment(bundle=bundle, foreign_pending=foreign)
        old_server, old_token = home.server, home.token
        why = "the device was never enrolled online, so nothing can upload them"
        if old_server and old_token:
            try:
                up = upload(
                    log,
                    old_server,
                    old_token,
                    attempts=attempts,
                    backoff=backoff,
                    except_venue=new_venue,
                )
            except SyncError as exc:
                why = f"{exc.code}: {exc.detail}"
            else:
                result.uploaded, result.quarantined = up.sent, up.quarantined
                why = up.error or "not uploaded"
        left = log.pending_count(except_venue=new_venue)
        if left and not discard:
            raise PendingRecordsError(left, why)
        if left:
            reason = (
                f"重新登记到场所 {bundle.venue.id} 时放弃上传（--discard-pending）/ "
                f"given up with --discard-pending when enrolling at venue {bundle.venue.id}: "
                f"{why}"
            )
            result.quarantined += log.quarantine_pending(
                reason, int(now.timestamp()), except_venue=new_venue
            )
        return result


def upload(
    log: DecisionLog,
    server: str,
    token: str,
    *,
    batch_size: int = MAX_BATCH,
    attempts: int = 3,
    backoff: float = 0.5,
    timeout: float = 30,
    except_venue: int | None = None,
) -> UploadResult:
    """Upload every pending record in batches; mark each batch only after the server answers.

    A transient failure (dropped connection, timeout, 5xx) retries the same batch up to
    ``attempts`` times; after that the upload stops and the rest waits for next time.
    Records a 422 names are quarantined with the server's reason and the rest go on;
    a 413 halves the batch (or takes the server's ``max_batch``). Any other refusal
    stops the upload with ``error`` set and every record still pending.
    ``except_venue`` leaves that venue's records for another time.
    """
    size = max(1, min(batch_size, MAX_BATCH))
    result = UploadResult()
    while True:
        batch = log.pending(size, except_venue=except_venue)
        if not batch:
            break
        answered = _post_batch(server, token, batch, attempts, backoff, timeout, result)
        if answered is None:
            break
        status, resp = answered
        if status == 200:
            _take_answer(log, batch, resp, result)
            continue
        if status == 413:
            smaller = _smaller_batch(len(batch), resp)
            if smaller is not None:
                size = smaller
                continue
        elif status == 422:
            refused = refused_records(batch, resp)
            set_aside = log.quarantine(refused, int(time.time())) if refused else 0
            if set_aside:  # progress is certain: the next batch no longer holds them
                result.quarantined += set_aside
                continue
        result.error = f"server refused the batch ({status}): {_problem_text(resp)}"
        break
    result.remaining = log.pending_count(except_venue=except_venue)
    return result


def _post_batch(
    server: str,
    token: str,
    batch: list[RedemptionRecord],
    attempts: int,
    backoff: float,
    timeout: float,
    result: UploadResult,
) -> tuple[int, bytes] | None:
    """POST one batch, retrying transient failures; (status, body), or None if none got through."""
    body = msgspec.json.encode(SyncRequest(records=batch))
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            status, _, resp = _request(
                "POST",
                _url(server, SYNC_PATH),
                token,
                body=body,
                headers={"Content-Type": "application/json"},
                timeout=timeout,
            )
        except _TRANSIENT as exc:
            result.error = f"network: {exc}"
            continue
        if status in (401, 403):
            raise SyncError("unauthorized", "the server refused the device token")
        if status >= 500:
            result.error = f"server answered {status}"
            continue
        return status, resp
    return None


def _take_answer(
    log: DecisionLog, batch: list[RedemptionRecord], resp: bytes, result: UploadResult
) -> None:
    try:
        answer = msgspec.json.decode(resp, type=SyncResponse)
    except msgspec.DecodeError as exc:
        raise SyncError("bad_response", f"sync answer is not a SyncResponse: {exc}") from None
    if answer.received != len(batch):
        raise SyncError(
            "bad_response", f"server received {answer.received} of {len(batch)} records"
        )
    log.mark_uploaded(r.uuid for r in batch)
    result.error = None
    result.sent += len(batch)
    result.new += answer.new
    result.known += answer.known
    result.batches += 1


class _RefusedRecord(msgspec.Struct):
    index: int
    uuid: str = ""
    problems: list[str] = []


class _Refusal(msgspec.Struct):
    """The part of the server's 422 problem document that names bad records."""

    records: list[_RefusedRecord] = []


def refused_records(batch: list[RedemptionRecord], problem: bytes) -> dict[str, str]:
    """uuid → reason for each record of ``batch`` that a 422 ``problem`` names.

    Empty unless every named record is really in the batch (index in range and, when
    given, the same uuid): a refusal that cannot be pinned on records quarantines none.
    """
    try:
        named = msgspec.json.decode(problem, type=_Refusal).records
    except msgspec.DecodeError:
        return {}
    reasons: dict[str, str] = {}
    for item in named:
        if not 0 <= item.index < len(batch):
            return {}
        record = batch[item.index]
        if item.uuid and item.uuid != record.uuid[: len(item.uuid)]:
            return {}
        said = "; ".join(item.problems) or "refused"
        reasons[record.uuid] = f"服务器拒收 / refused by the server: {said}"
    return reasons


class _TooLarge(msgspec.Struct):
    max_batch: int | None = None


def _smaller_batch(sent: int, problem: bytes) -> int | None:
    """The next batch size after a 413 for ``sent`` records; None when one was too many."""
    if sent <= 1:
        return None
    smaller = sent // 2
    try:
        limit = msgspec.json.decode(problem, type=_TooLarge).max_batch
    except msgspec.DecodeError:
        limit = None
    if limit is not None and 1 <= limit < smaller:
        smaller = limit
    return max(1, smaller)


def _problem_text(problem: bytes) -> str:
    try:
        doc = msgspec.json.decode(problem)
    except msgspec.DecodeError:
        return repr(problem[:200])
    if isinstance(doc, dict):
        return str(doc.get("detail") or doc.get("title") or doc.get("code") or "")[:300]
    return repr(problem[:200])


def sync(
    home: DeviceHome,
    *,
    now: datetime,
    batch_size: int = MAX_BATCH,
    attempts: int = 3,
    backoff: float = 0.5,
) -> SyncResult:
    """Upload the log (when enrolled with a server), then catch up (heartbeat first)."""
    server, token, pinned = home.server, home.token, home.pinned_key
    if pinned is None or not ((server and token) or home.state().get("source")):
        raise SyncError("not_enrolled", "this device is not enrolled: run huicui-verify enroll")
    uploaded = UploadResult()
    if server and token:
        with home.open_log() as log:
            uploaded = upload(
                log, server, token, batch_size=batch_size, attempts=attempts, backoff=backoff
            )
    caught = refresh(home, now=now, token=token)
    return SyncResult(
        upload=uploaded,
        bundle_updated=caught.held is not None or caught.profile is not None,
        bundle_version=home.state().get("snapshot_version"),
        caught=caught,
    )


def refresh(home: DeviceHome, *, now: datetime, token: str | None = None) -> CatchUp:
    """Catch up from where the device was enrolled (its server's API or its folder/URL).

    When a heartbeat announces a newer version that cannot be reached, the device keeps
    its data and records ``latest_version`` (it then warns that it is behind).
    """
    state = home.state()
    location = state.get("source")
    if location:
        source = source_for(location)
    else:
        server = state.get("server")
        if not server:
            raise SyncError("not_enrolled", "this device is not enrolled: run huicui-verify enroll")
        source = HttpSource(server.rstrip("/") + API_FILES, token or home.token)
    pinned = home.pinned_key
    if pinned is None:
        raise SyncError("not_enrolled", "this device is not enrolled: run huicui-verify enroll")
    held = home.held()
    try:
        caught = catch_up(
            source,
            held=held,
            pinned_key=pinned,
            program=state.get("program"),
            venue=state.get("venue"),
            profile_file=state.get("profile_name") or API_PROFILE,
            now=now,
            heartbeat_etag=state.get("heartbeat_etag"),
            profile_etag=state.get("profile_etag"),
            profile_rev=state.get("profile_rev"),
        )
    except BundleError as exc:
        if exc.code == "not_published" and exc.detail.startswith(("snapshot/", "delta/")):
            home.update_state(latest_version=_announced(source, pinned))
        raise SyncError(exc.code, exc.detail) from None
    if caught.changed:
        latest = state.get("latest_version")
        if (
            caught.held is not None
            and latest is not None
            and caught.held.snapshot.version >= latest
        ):
            latest = None
        home.save(caught, latest_version=latest)
    if location:  # a folder or a static URL: the status says when files were taken
        home.update_state(loaded_at=int(now.timestamp()))
    else:  # the service answered (a 304 too): the status says when
        home.mark_checked(int(now.timestamp()))
    return caught


def _announced(source: Source, pinned: bytes) -> int | None:
    """The version the current heartbeat announces (verified), for the 'behind' warning."""
    got = source.get("heartbeat.cbor")
    if got is None or got.data is None:
        return None
    try:
        return open_file(got.data, "heartbeat", pinned_key=pinned).payload.version
    except BundleError:
        return None


__all__ = [
    "Enrollment",
    "HttpSource",
    "PendingRecordsError",
    "SyncError",
    "SyncResult",
    "UploadResult",
    "enroll",
    "enroll_device",
    "enroll_from_files",
    "first_catch_up",
    "refresh",
    "refused_records",
    "source_for",
    "sync",
    "upload",
]
