// The strict reader: deterministic encoding (RFC 8949 §4.2.1) and the Python reader's limits.

import assert from "node:assert/strict";
import { test } from "node:test";

import "../tools/node_crypto.js";
import * as base45 from "../engine/base45.js";
import { CBORCheckError, loads, Tag } from "../engine/cbor_check.js";

const hex = (text) => new Uint8Array(Buffer.from(text.replace(/ /g, ""), "hex"));
const read = (text, options = {}) => loads(hex(text), { maxDepth: 4, ...options });
const refused = (text, pattern, options) => assert.throws(() => read(text, options), (e) => e instanceof CBORCheckError && pattern.test(e.message), text);

test("shortest heads are read, longer ones refused at every kind of head", () => {
  assert.equal(read("17"), 23);
  assert.equal(read("1818"), 24);
  assert.equal(read("190100"), 256);
  assert.equal(read("1a00010000"), 65536);
  assert.equal(read("1b0000000100000000"), 2 ** 32);
  for (const wide of [
    "1805", // 5 in one extra byte
    "1900ff", // 255 in two
    "1a0000ffff", // 65535 in four
    "1b00000000ffffffff", // 2^32 - 1 in eight
    "3805", // -6 in one extra byte
    "580100", // byte string of length 1, length in one extra byte
    "780161", // text "a" likewise
    "980100", // array of one
    "b8010000", // map of one pair
  ]) {
    refused(wide, /shortest form/);
  }
  refused("d81280", /shortest form/, { topTags: new Set([18]) }); // tag 18 in two bytes
  assert.ok(read("d280", { topTags: new Set([18]) }) instanceof Tag);
});

test("integers beyond 2^53 stay exact as BigInt", () => {
  assert.equal(read("1b001fffffffffffff"), Number.MAX_SAFE_INTEGER);
  assert.equal(read("1b0020000000000001"), 2n ** 53n + 1n);
  assert.equal(read("1bffffffffffffffff"), 2n ** 64n - 1n);
  assert.equal(read("3b001ffffffffffffe"), -Number.MAX_SAFE_INTEGER);
  assert.equal(read("3b001fffffffffffff"), -(2n ** 53n));
  assert.equal(read("3bffffffffffffffff"), -(2n ** 64n));
});

test("no indefinite lengths, no reserved heads", () => {
  for (const text of ["9f00ff", "5f4100ff", "7f6161ff", "bf0000ff"]) refused(text, /indefinite length/);
  refused("1c", /reserved additional information/);
});

test("map keys: integers or text, strictly ascending bytewise, never repeated", () => {
  assert.deepEqual([...read("a2010002 00").keys()], [1, 2]);
  assert.deepEqual([...read("a2 01 00 6161 00").keys()], [1, "a"]);
  // Bytewise order of the encodings, not length first: 24 (18 18) sorts before -1 (20).
  assert.deepEqual([...read("a2 1818 00 20 00").keys()], [24, -1]);
  refused("a2 20 00 1818 00", /out of order/);
  refused("a2 02 00 01 00", /out of order/);
  refused("a2 6162 00 6161 00", /out of order/);
  refused("a2 01 00 01 00", /duplicate map key/);
  refused("a1 4161 00", /must be an integer or text/);
  refused("a1 80 00", /must be an integer or text/);
});

test("only false, true and null among simple values; no floats", () => {
  assert.deepEqual(read("83 f4 f5 f6"), [false, true, null]);
  for (const float of ["f93c00", "fa3f800000", "fb3ff0000000000000", "f90000"]) refused(float, /float/);
  refused("f7", /simple value/); // undefined
  refused("f820", /simple value/);
});

test("text must be valid UTF-8; a byte-order mark is kept, not eaten", () => {
  assert.equal(read("63e69d8e"), "李");
  assert.equal(read("63efbbbf"), "\ufeff");
  for (const bad of ["62fffe", "62c0af", "63eda080", "61 80"]) refused(bad, /UTF-8/);
});

test("declared lengths must fit, nothing may trail, nesting is capped", () => {
  refused("5affffffff00", /declares 4294967295 bytes/);
  refused("9b7fffffffffffffff", /declares/);
  refused("bb7fffffffffffffff", /declares/);
  refused("0000", /trailing bytes/);
  refused("", /truncated/);
  refused("818181818100", /nesting deeper than 4/);
  assert.deepEqual(read("8181818100"), [[[[0]]]]);
  assert.deepEqual(read("81818180"), [[[[]]]]); // empty containers do not nest deeper
});

test("tags only at the top, and only those allowed", () => {
  refused("c249010000000000000000", /tag 2/); // a bignum
  refused("81 d2 80", /tag 18/, { topTags: new Set([18]) });
  refused("d1 80", /tag 17/, { topTags: new Set([18]) });
});

test("Base45 refuses what RFC 9285 forbids and names the rule", () => {
  const sample = new Uint8Array([0, 1, 2, 250, 255, 7]);
  assert.deepEqual(base45.decode(base45.encode(sample)), sample);
  assert.equal(base45.encode(new TextEncoder().encode("AB")), "BB8");
  for (const [text, code] of [
    ["BB8a", "dangling_character"],
    ["bb8", "bad_character"],
    ["BB#", "bad_character"],
    ["GGW", "value_too_large"],
    ["GG", "value_too_large"],
  ]) {
    assert.throws(() => base45.decode(text), (e) => e instanceof base45.Base45Error && e.code === code, text);
  }
});
