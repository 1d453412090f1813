/**
 * Catching up: from the data a device holds to the latest, through any carrier of files.
 *
 * Twin of huicui_verifier/catchup.py. The published files (docs/bundle.md, "Files") are
 * read through a source: any object with `get(name, etag)` that returns (or resolves to)
 * {data, etag, transferred} — data null when unchanged since `etag` — or null when the
 * file is not there. The page gives a fetch() source (a base URL); the tests give files
 * in memory. The walk is the same:
 *
 * 1. the heartbeat (with its ETag: an unchanged one costs a 304 and no body);
 * 2. if it names a newer version, the deltas from the held snapshot, one after another,
 *    each applied and checked against its to_hash; when one is missing (the device is too
 *    far behind) or the device holds nothing, the snapshot the heartbeat names;
 * 3. the venue profile (again with its ETag).
 *
 * Nothing is kept here: the caller stores the result only when all of it verified, so a
 * device never holds half an update.
 */

import { BundleError, checkEnrolled, contentHash, decodeMap, fromMap, hex, openFile, parseEnvelope, sameBytes, sameInt } from "./bundle.js";
import { apply } from "./delta.js";
import { RevocationSet } from "./revocations.js";

export const HEARTBEAT = "heartbeat.cbor";

/** Where the snapshot with payload hash `digest` is published. */
export function snapshotName(digest) {
  return `snapshot/${hex(digest)}.cbor`;
}

/** Where the delta starting at the snapshot with payload hash `fromHash` is published. */
export function deltaName(fromHash) {
  return `delta/${hex(fromHash)}.cbor`;
}

/** Where venue `venue`'s profile is published. */
export function profileName(venue) {
  return `profile/${venue}.cbor`;
}

/** The snapshot a device holds: what it says, its map, exact payload bytes, hash and revocation set. */
export class Held {
  constructor(snapshot, obj, payloadBytes, hash, revoked) {
    Object.assign(this, { snapshot, obj, payloadBytes, hash, revoked });
  }

  /** Wrap a verified snapshot payload. */
  static async fromPayload(payloadBytes, obj, snapshot) {
    return new Held(snapshot, obj, payloadBytes, await contentHash(payloadBytes), new RevocationSet(snapshot.revoked, { checkSorted: false }));
  }
}

/** What a catch-up brought; unchanged parts are null. */
export class CatchUp {
  constructor() {
    this.held = null; // a new snapshot (through deltas or whole)
    this.heartbeat = null;
    this.heartbeatEtag = null;
    this.profile = null;
    this.profileEtag = null;
    this.pinnedKey = null; // set when the snapshot was trusted on first use
    this.deltas = 0;
    this.snapshotTaken = false;
    this.transferred = 0;
    this.files = [];
  }

  /** True when anything new arrived (and must be stored). */
  get changed() {
    return this.held !== null || this.heartbeat !== null || this.profile !== null;
  }
}

async function fetchFile(source, name, out, etag = null) {
  const got = await source.get(name, etag);
  if (got !== null && got !== undefined) {
    out.transferred += got.transferred ?? 0;
    out.files.push(got.data !== null ? name : `${name} (unchanged)`);
    return got;
  }
  return null;
}

/**
 * Bring the device from `held` (a Held, or null) to the latest published data.
 *
 * `pinnedKey` null means first enrollment: the snapshot is trusted on first use and its
 * key returned in `pinnedKey` (the caller compares fingerprints). `program` and `venue`
 * are what the device was enrolled for (null: not yet known; the first snapshot and
 * profile fix them). `now` is epoch seconds. Throws BundleError; nothing is partly taken.
 */
export async function catchUp(source, { held, pinnedKey, program, venue, profileFile, now, heartbeatEtag = null, profileEtag = null, profileRev = null }) {
  const nowTs = Math.trunc(now);
  const out = new CatchUp();
  const beatFile = await fetchFile(source, HEARTBEAT, out, held !== null ? heartbeatEtag : null);
  if (beatFile === null) throw new BundleError("not_published", `${HEARTBEAT} is not there`);
  if (beatFile.data !== null) await takeHeartbeat(source, beatFile, out, held, pinnedKey, program, nowTs);
  const profFile = await fetchFile(source, profileFile, out, profileEtag);
  if (profFile === null) throw new BundleError("not_published", `${profileFile} is not there`);
  if (profFile.data !== null) {
    const key = out.pinnedKey ?? pinnedKey;
    const profile = (await openFile(profFile.data, "profile", { pinnedKey: key })).payload;
    const current = out.held ?? held;
    checkEnrolled(profile, { program: current ? current.snapshot.program : program, venue, isProfile: true });
    if (profileRev !== null && profile.rev < profileRev) throw new BundleError("older_version", `profile rev ${profile.rev} is older than held ${profileRev}`);
    out.profile = profFile.data;
    out.profileEtag = profFile.etag ?? null;
  }
  return out;
}

async function takeHeartbeat(source, beatFile, out, held, pinnedKey, program, nowTs) {
  let trusted = null;
  if (pinnedKey === null || pinnedKey === undefined) {
    // First enrollment: nothing can be checked before the snapshot pins the key. The
    // heartbeat is read unverified only to find the snapshot's name, then verified.
    const name = unverifiedHash(beatFile.data);
    const snapFile = await fetchFile(source, snapshotName(name), out);
    if (snapFile === null || snapFile.data === null) throw new BundleError("not_published", `${snapshotName(name)} is not there`);
    const opened = await openFile(snapFile.data, "snapshot", { pinnedKey: null });
    pinnedKey = out.pinnedKey = opened.payload.bundle_key;
    trusted = await Held.fromPayload(opened.payloadBytes, opened.obj, opened.payload);
  }
  const beat = (await openFile(beatFile.data, "heartbeat", { pinnedKey })).payload;
  checkEnrolled(beat, { program: held ? held.snapshot.program : program });
  if (nowTs >= beat.exp) throw new BundleError("expired", `heartbeat valid until ${beat.exp}, now ${nowTs}`);
  if (held !== null && beat.version < held.snapshot.version) {
    throw new BundleError("older_version", `heartbeat v${beat.version} is older than held v${held.snapshot.version}`);
  }
  let current = held;
  if (trusted !== null) {
    // First enrollment: the snapshot already fetched is the one.
    checkEnrolled(trusted.snapshot, { program });
    current = trusted;
    out.snapshotTaken = true;
  }
  while (current !== null && current.snapshot.version < beat.version) {
    const deltaFile = await fetchFile(source, deltaName(current.hash), out);
    if (deltaFile === null || deltaFile.data === null) break; // too far behind: the snapshot below
    const delta = (await openFile(deltaFile.data, "delta", { pinnedKey })).payload;
    if (delta.to > beat.version) break; // published after this heartbeat; the named snapshot is the target
    const applied = await apply(current.obj, current.hash, delta, { revoked: current.revoked });
    current = new Held(applied.snapshot, applied.obj, applied.payloadBytes, applied.hash, applied.revoked);
    out.deltas += 1;
  }
  if (current === null || !sameInt(current.snapshot.version, beat.version)) {
    const snapFile = await fetchFile(source, snapshotName(beat.hash), out);
    if (snapFile === null || snapFile.data === null) throw new BundleError("not_published", `${snapshotName(beat.hash)} is not there`);
    const opened = await openFile(snapFile.data, "snapshot", { pinnedKey });
    checkEnrolled(opened.payload, { program: held ? held.snapshot.program : program });
    if (held !== null && opened.payload.version < held.snapshot.version) {
      throw new BundleError("older_version", `snapshot v${opened.payload.version} is older than held v${held.snapshot.version}`);
    }
    current = await Held.fromPayload(opened.payloadBytes, opened.obj, opened.payload);
    out.snapshotTaken = true;
  }
  if (!sameInt(current.snapshot.version, beat.version) || !sameBytes(current.hash, beat.hash)) {
    throw new BundleError("hash_mismatch", `the snapshot for v${beat.version} does not have the hash the heartbeat names`);
  }
  if (current !== held) out.held = current;
  out.heartbeat = beatFile.data;
  out.heartbeatEtag = beatFile.etag ?? null;
}

/** The hash a heartbeat names, read before its key is known (first enrollment). */
function unverifiedHash(data) {
  return fromMap(decodeMap(parseEnvelope(data).payload), "heartbeat").hash;
}
