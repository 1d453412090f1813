// Conformance: the JavaScript engine runs every published vector exactly as the vector
// says: a decision vector's outcome, reason and (where it lists them) warnings; a bundle
// vector's catch-up outcome, error code and what the device then holds. The modules run
// with either Ed25519 implementation, and so does the built file the service serves.

import assert from "node:assert/strict";
import { test } from "node:test";

import "../tools/node_crypto.js";
import * as bundleModule from "../engine/bundle.js";
import * as catchupModule from "../engine/catchup.js";
import * as coseModule from "../engine/cose.js";
import * as decideModule from "../engine/decide.js";
import { bytes, catchUpVector, readVector, vectorFiles } from "../tools/vectors.js";

const files = vectorFiles();
const sources = { bundle: bundleModule, catchup: catchupModule, cose: coseModule, decide: decideModule };

/** Decide a decision vector: open its three files with its pinned key, then its input. */
async function runDecision(engine, v) {
  const bundle = await engine.bundle.openBundle(bytes(v.snapshot), v.heartbeat ? bytes(v.heartbeat) : null, bytes(v.profile), {
    pinnedKey: bytes(v.pinned_key),
  });
  const d = await engine.decide.decide(v.input, { bundle, benefit: v.benefit, now: v.now, historyLookup: () => [] });
  const got = { accepted: d.accepted, reason: d.reason };
  const want = { accepted: v.expected.accepted, reason: v.expected.reason };
  if ("warnings" in v.expected) {
    got.warnings = d.warnings.map((w) => w.code);
    want.warnings = v.expected.warnings;
  }
  return [got, want, d.detail_en];
}

/** Run a bundle vector as tests/verifier/test_bundle_vectors.py does: one catch-up. */
async function runCatchUp(engine, v) {
  let got;
  try {
    got = await catchUpVector(engine, v);
    got.version = Number(got.version);
  } catch (exc) {
    if (!(exc instanceof engine.bundle.BundleError)) throw exc;
    got = { outcome: "refused", error: exc.code, detail: exc.detail };
  }
  const want = v.expected;
  return [Object.fromEntries(Object.keys(want).map((k) => [k, got[k]])), want, got.detail];
}

function kindOf(v) {
  if ("input" in v && "snapshot" in v && "profile" in v && "expected" in v) return "decision";
  if ("files" in v && "enrolled" in v && "expected" in v) return "bundle";
  return null;
}

const RUNNERS = { decision: runDecision, bundle: runCatchUp };

async function agreeOnEveryVector(t, engine) {
  const agreed = { decision: 0, bundle: 0 };
  for (const file of files) {
    const v = readVector(file);
    const kind = kindOf(v);
    assert.ok(kind, `${file}: a vector shape this runner does not know (teach test/vectors.test.js)`);
    const [got, want, detail] = await RUNNERS[kind](engine, v);
    assert.deepEqual(got, want, `${file}: ${v.description} (${detail})`);
    agreed[kind]++;
  }
  assert.equal(agreed.decision + agreed.bundle, files.length);
  t.diagnostic(`${agreed.decision} decision and ${agreed.bundle} bundle vectors agree, of ${files.length}`);
}

test("the vectors are there", () => {
  const kinds = files.map((file) => kindOf(readVector(file)));
  assert.ok(kinds.filter((k) => k === "decision").length >= 100, "too few decision vectors");
  assert.ok(kinds.filter((k) => k === "bundle").length >= 35, "too few bundle vectors");
});

for (const backend of ["webcrypto", "noble"]) {
  test(`every vector agrees (Ed25519 by ${backend})`, async (t) => {
    assert.equal(await coseModule.ed25519Backend(backend), backend);
    try {
      await agreeOnEveryVector(t, sources);
    } finally {
      await coseModule.ed25519Backend("webcrypto");
    }
  });
}

test("every vector agrees with the built webapp/engine.js", async (t) => {
  const built = await import("../../huicui_verifier/webapp/engine.js");
  await agreeOnEveryVector(t, built);
});
