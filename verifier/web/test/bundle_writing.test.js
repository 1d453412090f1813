// What the bundle reader relies on beyond the vectors: the deterministic writer a delta's
// result is hashed with, the reader mode that leaves key order to it, and the list splice.

import assert from "node:assert/strict";
import { test } from "node:test";

import "../tools/node_crypto.js";
import { CBORCheckError, dumps, loads } from "../engine/cbor_check.js";
import { checkPacked, RevocationSet, splice } from "../engine/revocations.js";

const hex = (text) => new Uint8Array(Buffer.from(text.replace(/ /g, ""), "hex"));
const toHex = (data) => Buffer.from(data).toString("hex");
const ids = (...values) => hex(values.map((v) => v.toString(16).padStart(16, "0")).join(""));

test("dumps writes shortest heads and every kind of value the reader gives", () => {
  assert.equal(toHex(dumps(23)), "17");
  assert.equal(toHex(dumps(24)), "1818");
  assert.equal(toHex(dumps(65536)), "1a00010000");
  assert.equal(toHex(dumps(2n ** 64n - 1n)), "1bffffffffffffffff");
  assert.equal(toHex(dumps(-(2n ** 64n))), "3bffffffffffffffff");
  assert.equal(toHex(dumps(-1)), "20");
  assert.equal(toHex(dumps("李")), "63e69d8e");
  assert.equal(toHex(dumps(new Uint8Array(24))), `5818${"00".repeat(24)}`);
  assert.equal(toHex(dumps([null, true, false])), "83f6f5f4");
  assert.throws(() => dumps(1.5), TypeError);
});

test("dumps orders map keys bytewise by their encodings (RFC 8949 §4.2.1), not length-first", () => {
  // cbor_check.dumps({-1: 0, 24: 0}) == a2 18 18 00 20 00; cbor2's canonical=True would
  // write a2 20 00 18 18 00 (the shorter key first), which the readers refuse.
  assert.equal(toHex(dumps(new Map([[-1, 0], [24, 0]]))), "a21818002000");
  assert.equal(toHex(dumps(new Map([[24, 0], [-1, 0]]))), "a21818002000");
  // Text keys alone: bytewise too, and there it is also the shorter key first.
  assert.equal(toHex(dumps(new Map([["bb", 1], ["a", 2], ["b", 3]]))), "a361610261620362626201");
});

test("loads with ordered: false leaves key order to the caller but still refuses repeats", () => {
  const lengthFirst = "a2 2000 181800"; // {-1: 0, 24: 0} in cbor2's canonical order, not bytewise
  assert.deepEqual(loads(hex(lengthFirst), { maxDepth: 2, ordered: false }), new Map([[-1, 0], [24, 0]]));
  assert.notEqual(toHex(dumps(loads(hex(lengthFirst), { maxDepth: 2, ordered: false }))), lengthFirst.replace(/ /g, ""));
  assert.throws(() => loads(hex(lengthFirst), { maxDepth: 2 }), (e) => e instanceof CBORCheckError && /out of order/.test(e.message));
  assert.throws(() => loads(hex("a2 0100 0100"), { maxDepth: 2, ordered: false }), (e) => e instanceof CBORCheckError && /duplicate/.test(e.message));
  assert.throws(() => loads(hex("a2 0200 0100"), { maxDepth: 2 }), (e) => e instanceof CBORCheckError && /out of order/.test(e.message));
});

test("splice inserts and removes ids in place, and refuses a delta made for another list", () => {
  const list = ids(1, 5, 9);
  assert.equal(toHex(splice(list, ids(0, 6, 7, 10), ids(5))), toHex(ids(0, 1, 6, 7, 9, 10)));
  assert.equal(toHex(splice(list, ids(4), ids(5))), toHex(ids(1, 4, 9)));
  assert.equal(toHex(splice(list)), toHex(list));
  assert.equal(toHex(splice(new Uint8Array(0), ids(3))), toHex(ids(3)));
  assert.throws(() => splice(list, ids(5)), /to add is already in the list/);
  assert.throws(() => splice(list, new Uint8Array(0), ids(6)), /to remove is not in the list/);
});

test("checkPacked names a ragged, unsorted or repeating list; updated() applies a delta's ids", () => {
  assert.equal(checkPacked(ids(1, 2)), null);
  assert.match(checkPacked(new Uint8Array(9)), /multiple of 8/);
  assert.match(checkPacked(ids(2, 1)), /sorted ascending/);
  assert.match(checkPacked(ids(2, 2)), /without repeats/);
  const set = new RevocationSet(ids(1, 5)).updated(ids(7), ids(1));
  assert.equal(set.size, 2);
  assert.ok(set.has(ids(7)) && set.has(ids(5)) && !set.has(ids(1)));
});
