// Conformance: the JavaScript engine runs every published vector exactly as the manifest
// says: a decision vector's outcome, reason, warnings and (for malformed) input kind; a
// catch-up vector's outcome, error code and what the device then holds. The modules run
// with either Ed25519 implementation, and so does the built file the service serves.

import assert from "node:assert/strict";
import { test } from "node:test";

import "../tools/node_crypto.js";
import * as bundleModule from "../engine/bundle.js";
import * as catchupModule from "../engine/catchup.js";
import * as coseModule from "../engine/cose.js";
import * as decideModule from "../engine/decide.js";
import { catchUpVector, heldBundle, readManifest } from "../tools/vectors.js";

const manifest = readManifest();
const sources = { bundle: bundleModule, catchup: catchupModule, cose: coseModule, decide: decideModule };

/**
 * Decide a decision vector: open its file set with its pinned key, decide its `earlier`
 * texts (an HB2 replay) remembering every proof that passed, as a device's log does, then
 * decide its input.
 */
async function runDecision(engine, v) {
  const bundle = await heldBundle(engine, manifest, v);
  const history = v.history.map((h) => [h.at, h.venue]);
  const seen = new Set();
  const one = async (text) => {
    const d = await engine.decide.decide(text, {
      bundle,
      benefit: v.benefit,
      now: v.now,
      historyLookup: () => history,
      proofSeen: (id) => seen.has(engine.bundle.hex(id)),
    });
    if (d.proof_id !== null) seen.add(d.proof_id);
    return d;
  };
  for (const text of v.earlier || []) await one(text);
  const d = await one(v.input);
  const got = { accepted: d.accepted, reason: d.reason, warnings: d.warnings.map((w) => w.code) };
  if ("input_kind" in v.expected) got.input_kind = d.input_kind;
  if ("clock" in v.expected) got.clock = d.clock;
  return [got, d.detail_en];
}

/** Run a catch-up vector as tests/verifier/test_vectors.py does: one catch-up. */
async function runCatchUp(engine, v) {
  let got;
  try {
    got = await catchUpVector(engine, v);
    got.version = Number(got.version);
  } catch (exc) {
    if (!(exc instanceof engine.bundle.BundleError)) throw exc;
    got = { outcome: "refused", error: exc.code, detail: exc.detail };
  }
  return [Object.fromEntries(Object.keys(v.expected).map((k) => [k, got[k]])), got.detail];
}

const RUNNERS = { decision: runDecision, catch_up: runCatchUp };

async function agreeOnEveryVector(t, engine) {
  const agreed = { decision: 0, catch_up: 0 };
  for (const v of manifest.vectors) {
    const run = RUNNERS[v.kind];
    assert.ok(run, `${v.name}: a vector kind this runner does not know (teach test/vectors.test.js)`);
    const [got, detail] = await run(engine, v);
    assert.deepEqual(got, v.expected, `${v.name}: ${v.description} (${detail})`);
    agreed[v.kind]++;
  }
  assert.equal(agreed.decision + agreed.catch_up, manifest.vectors.length);
  t.diagnostic(`${agreed.decision} decision and ${agreed.catch_up} catch-up vectors agree, of ${manifest.vectors.length}`);
}

test("the vectors are there", () => {
  const count = (kind) => manifest.vectors.filter((v) => v.kind === kind).length;
  assert.ok(count("decision") >= 150, `only ${count("decision")} decision vectors`);
  assert.ok(count("catch_up") >= 35, `only ${count("catch_up")} catch-up vectors`);
  const hb2 = manifest.vectors.filter((v) => v.file.startsWith("hb2/")).length;
  assert.ok(hb2 >= 30, `only ${hb2} HB2 vectors`);
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
