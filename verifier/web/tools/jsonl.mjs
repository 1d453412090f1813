/**
 * The engine behind a pipe, for the differential test (tests/verifier/test_web_differential.py):
 * one JSON request per line on stdin, one JSON answer per line on stdout, in order.
 *
 *   {"op": "load", "id": "b1", "bundle": hex, "pinned_key": hex|null, "held_version": n|null, "now": n}
 *     -> {"ok": true, "version": n} or {"error": code, "detail": text}
 *   {"op": "decide", "bundle": "b1"|null, "input": text, "benefit": n|null, "now": n,
 *    "history": [[at, venue], ...]}
 *     -> the Decision, with the Python Decision's field names
 *
 * One long-running process answers many thousands of requests; nothing here is used by
 * the page.
 */

import { createInterface } from "node:readline";

import "./node_crypto.js";
import { BundleError, load } from "../engine/bundle.js";
import { ed25519Backend } from "../engine/cose.js";
import { decide } from "../engine/decide.js";

const bytes = (hexText) => new Uint8Array(Buffer.from(hexText, "hex"));
// BigInts (integers past 2^53) go out as plain JSON numbers, exact.
const toJson = (value) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `\u0000big:${v}` : v)).replace(/"\\u0000big:(-?\d+)"/g, "$1");

const bundles = new Map();

async function answer(request) {
  if (request.op === "load") {
    try {
      const bundle = await load(bytes(request.bundle), {
        pinnedKey: request.pinned_key === null ? null : bytes(request.pinned_key),
        heldVersion: request.held_version,
        now: request.now,
      });
      bundles.set(request.id, bundle);
      return { ok: true, version: bundle.version };
    } catch (exc) {
      if (exc instanceof BundleError) return { error: exc.code, detail: exc.detail };
      throw exc;
    }
  }
  if (request.op === "decide") {
    const history = request.history || [];
    return decide(request.input, {
      bundle: request.bundle === null ? null : bundles.get(request.bundle),
      benefit: request.benefit,
      now: request.now,
      historyLookup: () => history,
    });
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
