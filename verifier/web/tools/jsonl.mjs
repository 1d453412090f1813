/**
 * The engine behind a pipe, for the differential test (tests/verifier/web/test_web_differential.py):
 * one JSON request per line on stdin, one JSON answer per line on stdout, in order.
 * Byte strings travel as hex; an error is {"error": code, "detail": text}.
 *
 *   {"op": "open", "id": "b1", "snapshot": hex, "heartbeat": hex|null, "profile": hex,
 *    "pinned_key": hex}
 *     -> {"ok": true, "version", "fresh_until", "checked_at", "latest_version"}
 *   {"op": "open_file", "kind": k, "data": hex, "pinned_key": hex|null}
 *     -> {"ok": true, "payload": what it says, as plain JSON (below)}
 *   {"op": "apply", "held": hex of a snapshot payload, "delta": hex of a signed delta,
 *    "pinned_key": hex}
 *     -> {"ok": true, "version", "hash", "revoked": count, "snapshot": what it says}
 *   {"op": "catch_up", "vector": a bundle vector without "expected"}
 *     -> what tests/huicui_test_support/bundle_vectors.py's run_vector returns
 *   {"op": "decide", "bundle": "b1"|null, "input": text, "benefit": n|null, "now": n,
 *    "history": [[at, venue], ...], "earlier": [text, ...]}
 *     -> the Decision of input, with the Python Decision's field names, after deciding
 *        each earlier text at the same device (the HB2 proofs that passed are remembered)
 *
 * "What it says" is a payload with records as objects (Python attribute names), maps as
 * {"$map": [[key, value], ...]} and byte strings as {"$bytes": hex}, as the Python side
 * writes its Structs. One long-running process answers many thousands of requests;
 * nothing here is used by the page.
 */

import { createInterface } from "node:readline";

import "./node_crypto.js";
import * as bundleModule from "../engine/bundle.js";
import { BundleError, decodeMap, fromMap, hex, openBundle, openFile } from "../engine/bundle.js";
import * as catchupModule from "../engine/catchup.js";
import { Held } from "../engine/catchup.js";
import { ed25519Backend } from "../engine/cose.js";
import { decide } from "../engine/decide.js";
import { apply } from "../engine/delta.js";
import { bytes, catchUpVector } from "./vectors.js";

const orNull = (hexText) => (hexText === null ? null : bytes(hexText));
// BigInts (integers past 2^53) go out as plain JSON numbers, exact.
const toJson = (value) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `\u0000big:${v}` : v)).replace(/"\\u0000big:(-?\d+)"/g, "$1");

/** A payload as plain JSON, the same shape the Python side gives its Structs. */
function plain(value) {
  if (value instanceof Uint8Array) return { $bytes: hex(value) };
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [plain(k), plain(v)]) };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

const bundles = new Map();

async function bundleOp(request) {
  if (request.op === "open") {
    const bundle = await openBundle(bytes(request.snapshot), orNull(request.heartbeat), bytes(request.profile), { pinnedKey: bytes(request.pinned_key) });
    bundles.set(request.id, bundle);
    return { ok: true, version: bundle.version, fresh_until: bundle.freshUntil, checked_at: bundle.checkedAt, latest_version: bundle.latestVersion };
  }
  if (request.op === "open_file") {
    const opened = await openFile(bytes(request.data), request.kind, { pinnedKey: orNull(request.pinned_key) });
    return { ok: true, payload: plain(opened.payload) };
  }
  if (request.op === "apply") {
    const payload = bytes(request.held);
    const obj = decodeMap(payload);
    const held = await Held.fromPayload(payload, obj, fromMap(obj, "snapshot"));
    const delta = (await openFile(bytes(request.delta), "delta", { pinnedKey: bytes(request.pinned_key) })).payload;
    const applied = await apply(held.obj, held.hash, delta, { revoked: held.revoked });
    return { ok: true, version: applied.snapshot.version, hash: hex(applied.hash), revoked: applied.revoked.size, snapshot: plain(applied.snapshot) };
  }
  return catchUpVector({ bundle: bundleModule, catchup: catchupModule }, request.vector);
}

async function answer(request) {
  if (["open", "open_file", "apply", "catch_up"].includes(request.op)) {
    try {
      return await bundleOp(request);
    } catch (exc) {
      if (exc instanceof BundleError) return { error: exc.code, detail: exc.detail };
      throw exc;
    }
  }
  if (request.op === "decide") {
    const history = request.history || [];
    const seen = new Set();
    let decision;
    for (const text of [...(request.earlier || []), request.input]) {
      decision = await decide(text, {
        bundle: request.bundle === null ? null : bundles.get(request.bundle),
        benefit: request.benefit,
        now: request.now,
        historyLookup: () => history,
        proofSeen: (id) => seen.has(hex(id)),
      });
      if (decision.proof_id !== null) seen.add(decision.proof_id);
    }
    return decision;
  }
  if (request.op === "backend") return { backend: await ed25519Backend(request.force) };
  throw new Error(`unknown op ${request.op}`);
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
let out = [];
for await (const line of lines) {
  if (!line) continue;
  let reply;
  try {
    reply = await answer(JSON.parse(line));
  } catch (exc) {
    // An exception is a bug in the engine: report it as an answer the test will show.
    reply = { crash: `${exc.name}: ${exc.message}`, stack: exc.stack };
  }
  out.push(toJson(reply));
  if (out.length >= 256) {
    process.stdout.write(out.join("\n") + "\n");
    out = [];
  }
  if (lines.input.readableLength === 0 && out.length) {
    process.stdout.write(out.join("\n") + "\n");
    out = [];
  }
}
if (out.length) process.stdout.write(out.join("\n") + "\n");
