// Conformance: the JavaScript engine decides every published vector exactly as the
// vector says (outcome, reason and, where a vector lists them, warnings): the modules
// with either Ed25519 implementation, and the built file the service serves.

import assert from "node:assert/strict";
import { test } from "node:test";

import "../tools/node_crypto.js";
import * as bundleModule from "../engine/bundle.js";
import * as coseModule from "../engine/cose.js";
import * as decideModule from "../engine/decide.js";
import { bytes, readVector, vectorFiles } from "../tools/vectors.js";

const files = vectorFiles();
const sources = { bundle: bundleModule, cose: coseModule, decide: decideModule };

/** Decide a decision vector: load its bundle with its pinned key at its time, then its input. */
async function runDecision(engine, v) {
  const bundle = await engine.bundle.load(bytes(v.bundle), { pinnedKey: bytes(v.pinned_key), heldVersion: null, now: v.now });
  return engine.decide.decide(v.input, { bundle, benefit: v.benefit, now: v.now, historyLookup: () => [] });
}

function kindOf(v) {
  if ("input" in v && "bundle" in v && "expected" in v) return "decision";
  return null;
}

// HB2 (the live phone card, docs/hb2.md) is read by the Python verifier; until this engine
// reads it too, its HB2 vectors are counted here, not run. Static cards in hb2/ are run.
function awaitsHb2Reader(v) {
  return v.input.startsWith("HB2:") || v.expected.reason === "bound_as_static";
}

async function agreeOnEveryVector(t, engine) {
  let agreed = 0;
  let waiting = 0;
  for (const file of files) {
    const v = readVector(file);
    assert.ok(kindOf(v), `${file}: a vector shape this runner does not know (teach test/vectors.test.js)`);
    if (awaitsHb2Reader(v)) {
      waiting++;
      continue;
    }
    const d = await runDecision(engine, v);
    const got = { accepted: d.accepted, reason: d.reason };
    const want = { accepted: v.expected.accepted, reason: v.expected.reason };
    if ("warnings" in v.expected) {
      got.warnings = d.warnings.map((w) => w.code);
      want.warnings = v.expected.warnings;
    }
    assert.deepEqual(got, want, `${file}: ${v.description} (${d.detail_en})`);
    agreed++;
  }
  t.diagnostic(`${agreed}/${files.length} vectors agree; ${waiting} HB2 vectors await the JS HB2 reader`);
}

test("the vectors are there", () => {
  assert.ok(files.length >= 100, `only ${files.length} vector files`);
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
