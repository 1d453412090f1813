// Conformance: the JavaScript engine decides every published vector exactly as the
// vector says (outcome, reason and, where a vector lists them, warnings).

import assert from "node:assert/strict";
import { test } from "node:test";

import { load } from "../engine/bundle.js";
import { ed25519Backend } from "../engine/cose.js";
import { decide } from "../engine/decide.js";
import { bytes, readVector, vectorFiles } from "../tools/vectors.js";

const files = vectorFiles();

/** Decide a decision vector: load its bundle with its pinned key at its time, then its input. */
async function runDecision(v) {
  const bundle = await load(bytes(v.bundle), { pinnedKey: bytes(v.pinned_key), heldVersion: null, now: v.now });
  return decide(v.input, { bundle, benefit: v.benefit, now: v.now, historyLookup: () => [] });
}

function kindOf(v) {
  if ("input" in v && "bundle" in v && "expected" in v) return "decision";
  return null;
}

test("the vectors are there", () => {
  assert.ok(files.length >= 100, `only ${files.length} vector files`);
});

for (const backend of ["webcrypto", "noble"]) {
  test(`every vector agrees (Ed25519 by ${backend})`, async (t) => {
    await ed25519Backend(backend);
    let agreed = 0;
    for (const file of files) {
      const v = readVector(file);
      const kind = kindOf(v);
      assert.ok(kind, `${file}: a vector shape this runner does not know (teach test/vectors.test.js)`);
      const d = await runDecision(v);
      const got = { accepted: d.accepted, reason: d.reason };
      const want = { accepted: v.expected.accepted, reason: v.expected.reason };
      if ("warnings" in v.expected) {
        got.warnings = d.warnings.map((w) => w.code);
        want.warnings = v.expected.warnings;
      }
      assert.deepEqual(got, want, `${file}: ${v.description} (${d.detail_en})`);
      agreed++;
    }
    t.diagnostic(`${agreed}/${files.length} vectors agree`);
    await ed25519Backend("webcrypto");
  });
}
