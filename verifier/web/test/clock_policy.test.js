// Shanghai time by fixed offset agrees with the time zone database; the policy texts are Python's.

import assert from "node:assert/strict";
import { test } from "node:test";

import "../tools/node_crypto.js";
import { localMidnight, localParts, localText, zone } from "../engine/clock.js";
import { describeEffect, evaluate, periodBounds, Policy, policyProblems } from "../engine/policy.js";

test("UTC+8 arithmetic matches Intl's Asia/Shanghai from 1992 to 2100", () => {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
  for (let ts = 694224000; ts < 4102444800; ts += 86400 * 37 + 3607) {
    const p = format.formatToParts(new Date(ts * 1000)).reduce((o, { type, value }) => ({ ...o, [type]: value }), {});
    assert.equal(localText(ts), `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`);
  }
});

test("before 1991 the historical offsets apply, as in Python's zoneinfo", () => {
  assert.equal(localText(585000000), "1988-07-16 05:00"); // summer time, UTC+9
  assert.equal(localText(0), "1970-01-01 08:00");
  assert.equal(localText(253402128000), "9999-12-30 08:00");
});

test("unknown or miscased zone names are refused", () => {
  for (const name of ["Asia/ShAnghai", "Mars/Olympus", "", "UTC "]) assert.throws(() => zone(name), RangeError, name);
  assert.equal(zone("Etc/GMT+8").offset(0), -8 * 3600);
});

test("periods are Shanghai calendar periods", () => {
  const t = 1772416800; // Monday 2026-03-02 10:00 Shanghai
  assert.deepEqual(localParts(t), { year: 2026, month: 3, day: 2, hour: 10, minute: 0, isoWeekday: 1 });
  assert.deepEqual(periodBounds("day", t), [1772380800, 1772467200]);
  assert.deepEqual(periodBounds("week", t + 6 * 86400), [1772380800, 1772985600]);
  assert.deepEqual(periodBounds("month", t), [localMidnight(2026, 3, 1), localMidnight(2026, 4, 1)]);
  assert.deepEqual(periodBounds("year", t), [localMidnight(2026, 1, 1), localMidnight(2027, 1, 1)]);
  assert.equal(periodBounds("month", localMidnight(2026, 12, 31))[1], localMidnight(2027, 1, 1));
  // 23:59 and 00:01 Shanghai are on different days though the UTC date is the same.
  assert.notDeepEqual(periodBounds("day", 1772380800 - 60), periodBounds("day", 1772380800 + 60));
});

const policy = (fields) => Policy(new Map(Object.entries(fields)));

test("effects are worded as the Python verifier words them, prices exactly", () => {
  // Expected prices are Python's f"{fen / 100:.2f}" (round half even on the double).
  for (const [fen, yuan] of [
    [0, "0.00"],
    [5, "0.05"],
    [12345, "123.45"],
    [2n ** 53n + 1n, "90071992547409.94"],
    [56294995342131212n, "562949953421312.12"],
    [56294995342131237n, "562949953421312.38"],
    [2n ** 64n - 1n, "184467440737095520.00"],
  ]) {
    assert.deepEqual(describeEffect(policy({ effect: "discount", fixed_price_fen: fen })), [`协议价 ¥${yuan}`, `Agreement price ¥${yuan}`]);
  }
  assert.deepEqual(describeEffect(policy({ effect: "discount", percent_off: 20 })), ["8折（减 20%）", "20% off"]);
  assert.deepEqual(describeEffect(policy({ effect: "discount", percent_off: 5 })), ["9.5折（减 5%）", "5% off"]);
  assert.deepEqual(describeEffect(policy({ effect: "discount", percent_off: 100 })), ["全额减免", "100% off"]);
});

test("hours are read as Python's re reads them, and checked before limits", () => {
  const hours = (opens, closes) => policy({ effect: "free", hours: [new Map([["opens", opens], ["closes", closes]])] });
  assert.deepEqual(policyProblems(hours("08:00", "24:00")), []);
  assert.deepEqual(policyProblems(hours("08:00\n", "18:00")), []); // $ matches before a final newline
  assert.deepEqual(policyProblems(hours("0٨:3٥", "18:00")), []); // \d is any decimal digit
  assert.equal(policyProblems(hours("٠٨:٠٠", "18:00")).length, 1); // but [01] is ASCII
  assert.equal(policyProblems(hours("8:00", "18:00")).length, 1);
  assert.equal(policyProblems(hours("24:00", "24:00")).length, 1);
  assert.equal(policyProblems(hours("18:00", "08:00")).length, 1);
  const p = policy({
    effect: "free",
    hours: [new Map([["opens", "08:00"], ["closes", "18:00"], ["weekdays", [1, 2, 3, 4, 5]]])],
    limits: [new Map([["count", 1], ["per", "day"]])],
  });
  const monday10 = 1772416800;
  assert.equal(evaluate(p, { now: monday10, history: [], venueId: 1 }).reason, "ok");
  assert.equal(evaluate(p, { now: monday10, history: [[monday10 - 60, 9]], venueId: 1 }).reason, "limit_reached");
  const saturday = evaluate(p, { now: monday10 + 5 * 86400, history: [[monday10 - 60, 9]], venueId: 1 });
  assert.deepEqual([saturday.reason, saturday.detail_zh], ["outside_hours", "开放时间：周一至周五 08:00–18:00"]);
});

test("a policy field this verifier does not know refuses the policy", () => {
  assert.throws(() => policy({ effect: "free", max_age: 70 }), /unknown field/);
  assert.throws(() => policy({ effect: "free", constructor: 1 }), /unknown field/);
});
