/**
 * The device's own data: token, pinned bundle key, the held bundle files, and the Bundle
 * decisions are made with.
 *
 * Twin of huicui_verifier/device.py, with IndexedDB (the "state" store of log.js) for a
 * folder. The state is one object, written whole, so the held snapshot and what names it
 * (version, ETags, the heartbeat) never disagree:
 *
 *   {server, token, deviceId, venue, program, pinnedKey, snapshot (payload bytes),
 *    heartbeat, profile (signed files), heartbeatEtag, profileEtag, profileRev,
 *    checkedAt (epoch s: when the service last answered), latestVersion}
 */

import { assemble, contentHash, decodeMap, fromMap, openFile } from "../engine/bundle.js";
import { Held } from "../engine/catchup.js";

/** The Bundle the held files make, verified again against the pinned key; null if none. */
export async function loadBundle(state) {
  if (!state || !state.snapshot || !state.profile || !state.pinnedKey) return null;
  const held = await heldSnapshot(state);
  const profile = (await openFile(state.profile, "profile", { pinnedKey: state.pinnedKey })).payload;
  const heartbeat = state.heartbeat ? (await openFile(state.heartbeat, "heartbeat", { pinnedKey: state.pinnedKey })).payload : null;
  return assemble(held.snapshot, held.hash, profile, heartbeat, { revoked: held.revoked, latestVersion: state.latestVersion ?? null });
}

/** The held snapshot as the catch-up takes it (payload bytes, map, hash, revocations). */
export async function heldSnapshot(state) {
  if (!state || !state.snapshot) return null;
  const obj = decodeMap(state.snapshot);
  const snapshot = fromMap(obj, "snapshot");
  if (state.snapshotHash && hexOf(await contentHash(state.snapshot)) !== state.snapshotHash) {
    throw new Error("held snapshot changed behind the verifier's back (hash_mismatch)");
  }
  return Held.fromPayload(state.snapshot, obj, snapshot);
}

function hexOf(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The state after a catch-up: everything new replaces what it supersedes, nothing else. */
export function afterCatchUp(state, caught, now) {
  const next = { ...state, checkedAt: Math.trunc(now) };
  if (caught.pinnedKey) next.pinnedKey = caught.pinnedKey;
  if (caught.held) {
    next.snapshot = caught.held.payloadBytes;
    next.snapshotHash = hexOf(caught.held.hash);
    next.program = caught.held.snapshot.program;
    next.version = Number(caught.held.snapshot.version);
  }
  if (caught.heartbeat) {
    next.heartbeat = caught.heartbeat;
    next.heartbeatEtag = caught.heartbeatEtag;
  }
  if (caught.profile) {
    next.profile = caught.profile;
    next.profileEtag = caught.profileEtag;
  }
  return next;
}

/** The profile's rev and venue once opened (to keep the device on its venue). */
export async function profileFacts(state) {
  const profile = (await openFile(state.profile, "profile", { pinnedKey: state.pinnedKey })).payload;
  return { rev: profile.rev, venue: Number(profile.id) };
}

export { hexOf };
