/**
 * Talking to the service when there is a network: enroll by code, upload the log, catch up.
 *
 * Twin of huicui_verifier/sync.py, over fetch(). Uploads are safe to repeat (the service
 * stores records idempotently by uuid), so a batch is marked uploaded only after the
 * answer, and anything that fails before it sends the same batch again next time. A 422
 * that names records quarantines exactly those; a 401/403 stops (the device was disabled
 * or enrolled again elsewhere). Catching up walks heartbeat → deltas or snapshot →
 * profile with the engine's catchUp, and the result is stored whole or not at all.
 */

import { BundleError, fingerprint, normalizeFingerprint, openFile } from "../engine/bundle.js";
import { catchUp, HEARTBEAT } from "../engine/catchup.js";
import { afterCatchUp, heldSnapshot, profileFacts } from "./device.js";

export const SYNC_PATH = "/api/v1/redemptions/sync";
export const BUNDLE_FILES = "/api/v1/bundle/";
export const PROFILE = "profile.cbor";
export const ENROLL_PATH = "/api/v1/devices/enrollment";
export const MAX_BATCH = 500;

/** Why a sync or an enrollment stopped; `code` names it (unauthorized, network, …). */
export class SyncError extends Error {
  constructor(code, detail) {
    super(`${code}: ${detail}`);
    this.code = code;
    this.detail = detail;
  }
}

/** A catch-up source over fetch(): the service's bundle files with the device token. */
export function httpSource(server, token) {
  return {
    async get(name, etag) {
      const headers = { Accept: "application/cbor", Authorization: `Bearer ${token}` };
      if (etag) headers["If-None-Match"] = etag;
      let res;
      try {
        res = await fetch(server + BUNDLE_FILES + name, { headers, cache: "no-store" });
      } catch (exc) {
        throw new SyncError("network", String(exc));
      }
      if (res.status === 304) return { data: null, etag, transferred: 0 };
      if (res.status === 404) return null;
      if (res.status === 401 || res.status === 403) throw new SyncError("unauthorized", "the service refused the device token");
      if (!res.ok) throw new SyncError("server", `GET ${name} answered ${res.status}`);
      const data = new Uint8Array(await res.arrayBuffer());
      return { data, etag: res.headers.get("ETag"), transferred: data.length };
    },
  };
}

/**
 * Read an enrollment code: the page address with `#enroll=SECRET&fp=FINGERPRINT`.
 * Returns {server, secret, fingerprint} or null when the text is not one.
 */
export function parseEnrollmentCode(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  const params = new URLSearchParams(url.hash.replace(/^#/, ""));
  const secret = params.get("enroll");
  const fp = params.get("fp");
  if (!secret || !fp || !/^https?:$/.test(url.protocol)) return null;
  return { server: url.origin, secret, fingerprint: fp };
}

/**
 * Enroll this page: trade the one-time secret for a device token, then take the first
 * bundle trusting its key only if its fingerprint is the one the office showed.
 * `secret` may instead be a device token (hcd_…) typed by hand. Returns the new state.
 */
export async function enroll(log, { server, secret, expectedFingerprint, now }) {
  const expected = normalizeFingerprint(expectedFingerprint || "");
  if (!expected) throw new SyncError("fingerprint_missing", "the bundle-key fingerprint is needed");
  let token = secret.trim();
  let deviceId = null;
  if (!token.startsWith("hcd_")) {
    let res;
    try {
      res = await fetch(server + ENROLL_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ secret: token }),
        cache: "no-store",
      });
    } catch (exc) {
      throw new SyncError("network", String(exc));
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new SyncError(body.code || "server", `${body.title_zh || ""} / ${body.title || res.status}`);
    if (normalizeFingerprint(body.fingerprint || "") !== expected) {
      throw new SyncError("fingerprint_mismatch", `the service names key ${body.fingerprint}, the code ${expectedFingerprint}`);
    }
    token = body.token;
    deviceId = body.device_id;
  }
  // The token is kept at once: the code is spent, and a failed first download is retried
  // by the next sync with it (the fingerprint stays the one to pin).
  let state = { server, token, deviceId, expectedFingerprint: expected, checkedAt: null };
  await log.saveState(state);
  state = await firstCatchUp(state, now);
  await log.saveState(state);
  return state;
}

async function firstCatchUp(state, now) {
  let caught;
  try {
    caught = await catchUp(httpSource(state.server, state.token), {
      held: null,
      pinnedKey: null,
      program: null,
      venue: null,
      profileFile: PROFILE,
      now,
    });
  } catch (exc) {
    throw asSyncError(exc);
  }
  const fp = await fingerprint(caught.pinnedKey);
  if (normalizeFingerprint(fp) !== state.expectedFingerprint) {
    throw new SyncError("fingerprint_mismatch", `bundle key ${fp} is not the one the office showed`);
  }
  const next = afterCatchUp(state, caught, now);
  const facts = await profileFacts(next);
  next.venue = facts.venue;
  next.profileRev = facts.rev;
  return next;
}

function asSyncError(exc) {
  if (exc instanceof SyncError) return exc;
  if (exc instanceof BundleError) return new SyncError(exc.code, exc.message);
  return new SyncError("network", String(exc));
}

/** Upload every pending record in batches; returns {sent, quarantined, remaining, error}. */
export async function upload(log, state) {
  const result = { sent: 0, new: 0, known: 0, quarantined: 0, remaining: 0, error: null };
  for (;;) {
    const batch = await log.pending(MAX_BATCH);
    if (!batch.length) break;
    let res;
    try {
      res = await fetch(state.server + SYNC_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
        body: JSON.stringify({ records: batch }),
        cache: "no-store",
      });
    } catch (exc) {
      result.error = `network: ${exc}`;
      break;
    }
    if (res.status === 401 || res.status === 403) throw new SyncError("unauthorized", "the service refused the device token");
    const body = await res.json().catch(() => null);
    if (res.status === 200 && body && body.received === batch.length) {
      await log.markUploaded(batch.map((r) => r.uuid));
      result.sent += batch.length;
      result.new += body.new;
      result.known += body.known;
      continue;
    }
    if (res.status === 422 && body) {
      const refused = refusedRecords(batch, body);
      if (Object.keys(refused).length) {
        await log.quarantine(refused);
        result.quarantined += Object.keys(refused).length;
        continue;
      }
    }
    result.error = `the service answered ${res.status}`;
    break;
  }
  result.remaining = await log.pendingCount();
  return result;
}

/** uuid → reason for each record of `batch` a 422 names; empty unless all are in the batch. */
export function refusedRecords(batch, problem) {
  const named = Array.isArray(problem.records) ? problem.records : [];
  const reasons = {};
  for (const item of named) {
    if (!Number.isInteger(item.index) || item.index < 0 || item.index >= batch.length) return {};
    const record = batch[item.index];
    if (item.uuid && item.uuid !== record.uuid.slice(0, item.uuid.length)) return {};
    const said = (item.problems || []).join("; ") || "refused";
    reasons[record.uuid] = `服务器拒收 / refused by the server: ${said}`;
  }
  return reasons;
}

/**
 * Upload, then catch up. Returns {upload, state, changed}; throws SyncError. The state
 * is saved only when the whole catch-up verified.
 */
export async function sync(log, state, now) {
  const up = await upload(log, state);
  if (up.error && up.error.startsWith("network")) throw new SyncError("network", up.error);
  if (!state.pinnedKey) {
    // Enrolled, but the first download failed: try it again.
    const next = await firstCatchUp(state, now);
    await log.saveState(next);
    return { upload: up, state: next, changed: true };
  }
  let caught;
  try {
    caught = await catchUp(httpSource(state.server, state.token), {
      held: await heldSnapshot(state),
      pinnedKey: state.pinnedKey,
      program: state.program,
      venue: state.venue,
      profileFile: PROFILE,
      now,
      heartbeatEtag: state.heartbeatEtag,
      profileEtag: state.profileEtag,
      profileRev: state.profileRev,
    });
  } catch (exc) {
    // A heartbeat announced a version whose files cannot be had: keep the data, and
    // remember the version so the page warns that it is behind (as refresh() in Python).
    if (exc instanceof BundleError && exc.code === "not_published" && /^(snapshot|delta)\//.test(exc.detail)) {
      const announced = await announcedVersion(state);
      if (announced !== null) await log.saveState({ ...state, latestVersion: announced });
    }
    throw asSyncError(exc);
  }
  const next = afterCatchUp(state, caught, now);
  next.latestVersion = state.latestVersion ?? null;
  if (caught.held && next.latestVersion !== null && caught.held.snapshot.version >= next.latestVersion) next.latestVersion = null;
  if (caught.profile) next.profileRev = (await profileFacts(next)).rev;
  await log.saveState(next);
  return { upload: up, state: next, changed: caught.changed };
}

/** The version the current heartbeat announces (verified), or null. */
async function announcedVersion(state) {
  try {
    const got = await httpSource(state.server, state.token).get(HEARTBEAT, null);
    if (!got || !got.data) return null;
    return Number((await openFile(got.data, "heartbeat", { pinnedKey: state.pinnedKey })).payload.version);
  } catch {
    return null;
  }
}
