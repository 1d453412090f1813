/**
 * Decide and record in one step: the only way the page turns a scan into an answer.
 *
 * Twin of huicui_verifier/gate.py. The decision is committed to the IndexedDB log
 * before the promise resolves, so whatever the page shows next is already durable
 * ("record, then show"). Scans are decided one at a time: a limit counts the uses
 * recorded before it, so two quick scans of one card can never both pass a 1-a-day limit.
 */

import { decide } from "../engine/decide.js";

export class Gate {
  /** `getBundle()` gives the Bundle in force (or null); `log` is the DecisionLog. */
  constructor(log, getBundle) {
    this.log = log;
    this.getBundle = getBundle;
    this._queue = Promise.resolve();
  }

  /** Resolve with {decision, record} once the decision is durable. */
  checkAndRecord(text, { benefit = null, now = Date.now() / 1000 } = {}) {
    const run = async () => {
      const decision = await decide(text, {
        bundle: this.getBundle(),
        benefit,
        now: Math.trunc(now === null ? Date.now() / 1000 : now),
        historyLookup: (cti, code) => this.log.history(cti, code),
        // HB2 live cards: a proof this device passed before is a replay (ignored by an
        // engine that reads HB1 only).
        proofSeen: (proof) => this.log.proofSeen(proof),
      });
      const record = await this.log.record(decision);
      return { decision, record };
    };
    const result = this._queue.then(run, run);
    this._queue = result.catch(() => {});
    return result;
  }
}
