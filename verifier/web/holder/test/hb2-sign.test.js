// The phone's HB2 writer makes, byte for byte, the code the Python reference makes for
// the same bound certificate, key and time (the published vector hb2-ok-live).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { base45Encode, base64urlEncode, cborHead, keyHash, liveText, proofPayload } from "../src/hb2-sign.js";

const vectors = fileURLToPath(new URL("../../../../tests/vectors/hb2/", import.meta.url));
const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

function base45Decode(text) {
  const out = [];
  for (let i = 0; i < text.length; i += 3) {
    const v = [...text.slice(i, i + 3)].map((ch) => BASE45.indexOf(ch));
    const n = v[0] + v[1] * 45 + (v.length === 3 ? v[2] * 2025 : 0);
    if (v.length === 3) out.push(n >> 8, n & 0xff);
    else out.push(n);
  }
  return Uint8Array.from(out);
}

async function phoneKey() {
  // The vectors' phone: seed sha256("huicui-vectors/phone"), as in docs/hb2.md.
  const seed = createHash("sha256").update("huicui-vectors/phone").digest();
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  return webcrypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
}

test("liveText equals the Python reference for the hb2-ok-live vector", async () => {
  const vector = JSON.parse(readFileSync(`${vectors}hb2-ok-live.json`, "utf8"));
  const raw = base45Decode(vector.input.slice(4));
  const bound = raw.slice(1, raw.length - 79); // the proof is 79 bytes in the usual case
  const key = await phoneKey();
  const text = await liveText(bound, vector.now - 5, (bytes) =>
    webcrypto.subtle.sign("Ed25519", key, bytes));
  assert.equal(text, vector.input);
});

test("base45 and CBOR heads follow RFC 9285 and RFC 8949's shortest form", () => {
  assert.equal(base45Encode(new TextEncoder().encode("AB")), "BB8");
  assert.equal(base45Encode(new TextEncoder().encode("Hello!!")), "%69 VD92EX0");
  assert.deepEqual([...cborHead(0, 23)], [0x17]);
  assert.deepEqual([...cborHead(0, 24)], [0x18, 24]);
  assert.deepEqual([...cborHead(2, 256)], [0x59, 1, 0]);
  assert.deepEqual([...proofPayload(1772416795)], [0x1a, 0x69, 0xa4, 0xef, 0x1b]);
  assert.throws(() => proofPayload(-1));
  assert.throws(() => proofPayload(1.5));
});

test("the key hash is what the bundle lists for a superseded phone", async () => {
  const pub = Buffer.from("37306ea0657fc714933fa5483780808787326a364a825bb40ad19111b6834c61", "hex");
  assert.equal(await keyHash(webcrypto.subtle, pub), "5b347e26bff10129");
  assert.equal(base64urlEncode(Uint8Array.of(0xfb, 0xff)), "-_8");
});
