// The verifier page's modules that need no browser: the debounce, the enrollment code,
// and which records a 422 names (verify/*.js; the page itself runs in Chromium tests).

import assert from "node:assert/strict";
import { test } from "node:test";

import { RecentCodes } from "../verify/debounce.js";
import { parseEnrollmentCode, refusedRecords } from "../verify/sync.js";

test("a code in view stays one answer; it counts again only after the window", () => {
  const recent = new RecentCodes(10);
  assert.equal(recent.seen("A", 0), null);
  recent.remember("A", "first", 0);
  assert.equal(recent.seen("A", 9), "first");
  assert.equal(recent.seen("A", 18), "first"); // every sighting slides the window
  assert.equal(recent.seen("A", 28.5), null);
  recent.remember("B", "b", 30);
  recent.clear();
  assert.equal(recent.seen("B", 30), null);
});

test("the oldest codes go first when the memory is full", () => {
  const recent = new RecentCodes(10, 2);
  recent.remember("A", 1, 0);
  recent.remember("B", 2, 0);
  recent.remember("C", 3, 0);
  assert.equal(recent.seen("A", 1), null);
  assert.equal(recent.seen("C", 1), 3);
});

test("an enrollment code is the page's address with the secret and the fingerprint", () => {
  const code = parseEnrollmentCode(" https://huicui.example.cn/verify/#enroll=abc_DEF-123&fp=6F0E-D9F9-790B-591F-1A11-6F14-6B32-F40F ");
  assert.deepEqual(code, { server: "https://huicui.example.cn", secret: "abc_DEF-123", fingerprint: "6F0E-D9F9-790B-591F-1A11-6F14-6B32-F40F" });
  assert.equal(parseEnrollmentCode("http://127.0.0.1:8000/verify/#enroll=x&fp=y").server, "http://127.0.0.1:8000");
  for (const text of ["HB1:NCF", "https://x.cn/verify/", "https://x.cn/verify/#enroll=x", "wxp://f2f0abc#enroll=a&fp=b", "", "not a url"]) {
    assert.equal(parseEnrollmentCode(text), null, text);
  }
});

test("a 422 quarantines exactly the records it names, or none", () => {
  const batch = [{ uuid: "aaaa-1" }, { uuid: "bbbb-2" }];
  assert.deepEqual(refusedRecords(batch, { records: [{ index: 1, uuid: "bbbb", problems: ["venue unknown"] }] }), {
    "bbbb-2": "服务器拒收 / refused by the server: venue unknown",
  });
  assert.deepEqual(refusedRecords(batch, { records: [{ index: 2 }] }), {});
  assert.deepEqual(refusedRecords(batch, { records: [{ index: 0, uuid: "zzzz" }] }), {});
  assert.deepEqual(refusedRecords(batch, { title: "no records named" }), {});
});
