/**
 * The device's decision log in IndexedDB: the source of limits and of uploads.
 *
 * Twin of huicui_verifier/log.py. A decision is written in its own transaction with
 * durability "strict" and the caller waits for "complete" before showing it, so a tab
 * killed right after showing "accepted" still counts that use towards the holder's
 * limits and still uploads it. Records carry a uuid the server stores idempotently; a
 * record is pending until the server acknowledged it, then uploaded. A record the server
 * refuses by name (a 422) is quarantined: kept with its reason, never sent again.
 *
 * The database also holds the device's state (token, pinned key, held bundle files) in
 * the "state" store, one object under the key "device".
 */

const DB_NAME = "huicui-verify";
const DB_VERSION = 1;
const DECISIONS = "decisions";
const STATE = "state";
const PROOFS = "proofs";
// An HB2 live-card proof is remembered from the decision that first passed it for a day,
// far beyond its freshness window and any skew (as PROOF_MEMORY_SECONDS in log.py).
const PROOF_MEMORY_SECONDS = 86400;

/** Resolve when an IndexedDB request succeeds. */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Resolve when a transaction has committed (its "complete" event), reject if it aborts. */
function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    tx.onerror = () => reject(tx.error);
  });
}

/** Open (creating if needed) the page's database. */
export async function openLog() {
  const request = indexedDB.open(DB_NAME, DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    const decisions = db.createObjectStore(DECISIONS, { keyPath: "uuid" });
    // The history a limit counts: accepted uses of one certificate's benefit.
    decisions.createIndex("history", ["cti", "benefit", "decision"]);
    // Pending uploads, oldest first (IndexedDB cannot index booleans: 0 pending, 1 done).
    decisions.createIndex("pending", ["state", "at", "uuid"]);
    db.createObjectStore(STATE);
    db.createObjectStore(PROOFS, { keyPath: "id" }).createIndex("age", "proof_at");
  };
  return new DecisionLog(await done(request));
}

/** Decisions of this device, and its state, in one IndexedDB database. */
export class DecisionLog {
  constructor(db) {
    this.db = db;
  }

  /**
   * Write `decision` durably; resolves with its record only once committed.
   *
   * Decisions without a certificate id (unreadable codes) are kept for the device's own
   * count but never uploaded, as in Python.
   */
  async record(decision) {
    const row = {
      uuid: crypto.randomUUID(),
      cti: decision.cti,
      benefit: decision.benefit ?? 0,
      venue: decision.venue_id ?? 0,
      at: decision.at,
      decision: decision.accepted ? "accept" : "refuse",
      reason: decision.reason,
      companions: decision.accepted ? decision.companions : 0,
      bundle_version: decision.bundle_version ?? 0,
      // pending (0) only when there is something to upload; 2: kept locally only
      state: decision.cti === null ? 2 : 0,
      quarantine_reason: null,
      // when it was written, to the microsecond: the order of the log (uuids are random)
      written: performance.timeOrigin + performance.now(),
      // kept on the device only: which card was shown, and whether staff were told to
      // compare the ID document (fields of the HB2-era Decision; absent before)
      card: decision.card ?? "",
      id_check: Boolean(decision.id_check),
    };
    if (row.cti === null) row.cti = "";
    const tx = this.db.transaction([DECISIONS, PROOFS], "readwrite", { durability: "strict" });
    tx.objectStore(DECISIONS).add(row);
    if (decision.proof_id && decision.proof_at !== null && decision.proof_at !== undefined) {
      // In the same transaction: a replayed live code is refused from the moment the first
      // answer is shown, tab killed or not.
      const proofs = tx.objectStore(PROOFS);
      proofs.put({ id: decision.proof_id, proof_at: decision.proof_at });
      proofs.index("age").openCursor(IDBKeyRange.upperBound(decision.at - PROOF_MEMORY_SECONDS, true)).onsuccess = (event) => {
        const cursor = event.target.result;
        if (cursor) {
          cursor.delete();
          cursor.continue();
        }
      };
    }
    await committed(tx);
    return row;
  }

  /** True when this device passed the HB2 proof `proof` (bytes or hex) before. */
  async proofSeen(proof) {
    const id = typeof proof === "string" ? proof : Array.from(proof, (b) => b.toString(16).padStart(2, "0")).join("");
    const tx = this.db.transaction(PROOFS, "readonly");
    return (await done(tx.objectStore(PROOFS).count(id))) > 0;
  }

  /** [[epoch seconds, venue id], …] of accepted uses of `cti` and `benefit`, oldest first. */
  async history(cti, benefit) {
    const tx = this.db.transaction(DECISIONS, "readonly");
    const rows = await done(tx.objectStore(DECISIONS).index("history").getAll([cti, benefit, "accept"]));
    return rows.map((r) => [r.at, r.venue]).sort((a, b) => a[0] - b[0]);
  }

  /** Up to `limit` records not yet acknowledged, oldest first, as the server takes them. */
  async pending(limit) {
    const tx = this.db.transaction(DECISIONS, "readonly");
    const range = IDBKeyRange.bound([0, -Infinity, ""], [0, Infinity, "\uffff"]);
    const rows = await done(tx.objectStore(DECISIONS).index("pending").getAll(range, limit));
    return rows.map(toRecord);
  }

  /** How many records wait for upload. */
  async pendingCount() {
    const tx = this.db.transaction(DECISIONS, "readonly");
    const range = IDBKeyRange.bound([0, -Infinity, ""], [0, Infinity, "\uffff"]);
    return done(tx.objectStore(DECISIONS).index("pending").count(range));
  }

  /** Mark records as acknowledged by the server (only after its answer). */
  async markUploaded(uuids) {
    await this._update(uuids, (row) => {
      if (row.state === 0) row.state = 1;
    });
  }

  /** Set aside pending records the server refused by name: uuid → reason. */
  async quarantine(reasons) {
    await this._update(Object.keys(reasons), (row, uuid) => {
      if (row.state === 0) {
        row.state = 3;
        row.quarantine_reason = reasons[uuid].slice(0, 2000);
        row.quarantined_at = Math.trunc(Date.now() / 1000);
      }
    });
  }

  async _update(uuids, change) {
    const tx = this.db.transaction(DECISIONS, "readwrite", { durability: "strict" });
    const store = tx.objectStore(DECISIONS);
    for (const uuid of uuids) {
      const row = await done(store.get(uuid));
      if (row) {
        change(row, uuid);
        store.put(row);
      }
    }
    await committed(tx);
  }

  /** Every decision (for the tests and the log view), in the order written. */
  async all() {
    const tx = this.db.transaction(DECISIONS, "readonly");
    const rows = await done(tx.objectStore(DECISIONS).getAll());
    return rows.sort((a, b) => a.written - b.written);
  }

  /** The device's saved state, or null. */
  async state() {
    const tx = this.db.transaction(STATE, "readonly");
    return (await done(tx.objectStore(STATE).get("device"))) ?? null;
  }

  /** Replace the device's state in one durable write (data and what names it together). */
  async saveState(state) {
    const tx = this.db.transaction(STATE, "readwrite", { durability: "strict" });
    tx.objectStore(STATE).put(state, "device");
    await committed(tx);
  }
}

function toRecord(row) {
  return {
    uuid: row.uuid,
    cti: row.cti,
    benefit: row.benefit,
    venue: row.venue,
    at: row.at,
    decision: row.decision,
    reason: row.reason,
    companions: row.companions,
    bundle_version: row.bundle_version,
  };
}
