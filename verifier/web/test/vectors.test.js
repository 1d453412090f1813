// Conformance: the JavaScript engine decides every published vector exactly as the
// vector says (outcome, reason and, where a vector lists them, warnings): the modules
// with either Ed25519 implementation, and the built file the service serves.

import assert from "node:assert/strict";
import { test } from "node:test";

import "../tools/node_crypto.js";
import * as bundleModule from "../engine/bundle.js";
import * as coseModule from "../engine/cose.js";
import * as decideModule from "../engine/decide.js";
import { bundleBytes, bytes, readManifest } from "../tools/vectors.js";

const manifest = readManifest();
const sources = { bundle: bundleModule, cose: coseModule, decide: decideModule };

/** Decide a decision vector: load its bundle (if any) with its pinned key at its time, then its input. */
async function runDecision(engine, v) {
  const data = bundleBytes(manifest, v);
  const bundle =
    data === null ? null : await engine.bundle.load(data, { pinnedKey: bytes(v.pinned_key), heldVersion: null, now: v.now });
  const history = v.history.map((h) => [h.at, h.venue]);
  const d = await engine.decide.decide(v.input, { bundle, benefit: v.benefit, now: v.now, historyLookup: () => history });
  const got = { accepted: d.accepted, reason: d.reason, warnings: d.warnings.map((w) => w.code) };
  if ("input_kind" in v.expected) got.input_kind = d.input_kind;
  return [got, d.detail_en];
}

/** Load a bundle-load vector; its outcome code. */
async function runLoad(engine, v) {
  try {
    await engine.bundle.load(bundleBytes(manifest, v), {
      pinnedKey: v.pinned_key === null ? null : bytes(v.pinned_key),
      heldVersion: v.held_version,
      enrolledVenue: v.enrolled_venue,
      now: v.now,
    });
    return [{ code: "ok" }, ""];
  } catch (err) {
    if (!(err instanceof engine.bundle.BundleError)) throw err;
    return [{ code: err.code }, err.detail];
  }
}

const RUNNERS = { decision: runDecision, bundle_load: runLoad };

async function agreeOnEveryVector(t, engine) {
  let agreed = 0;
  for (const v of manifest.vectors) {
    const run = RUNNERS[v.kind];
    assert.ok(run, `${v.name}: a vector kind this runner does not know (teach test/vectors.test.js)`);
    const [got, detail] = await run(engine, v);
    assert.deepEqual(got, v.expected, `${v.name}: ${v.description} (${detail})`);
    agreed++;
  }
  t.diagnostic(`${agreed}/${manifest.vectors.length} vectors agree`);
}

test("the vectors are there", () => {
  assert.ok(manifest.vectors.length >= 100, `only ${manifest.vectors.length} vectors`);
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
