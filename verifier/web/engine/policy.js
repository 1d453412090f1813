/**
 * Redemption policy as data, and the one evaluator that reads it.
 *
 * Twin of huicui_verifier/policy.py. The bundle carries each benefit's policy; evaluate()
 * decides offline. A Policy (or limit, hours window or benefit) with a field this verifier
 * does not know is refused (the snapshot does not load): a rule not understood must not
 * be silently dropped.
 */

import { localMidnight, localParts, PROGRAM_TZ } from "./clock.js";
import { arrayOf, int, literal, nullable, optional, record, str } from "./convert.js";

/** At most `count` accepted uses per calendar `per` (program time zone), counted per benefit or per venue. */
export const Limit = record({
  count: int,
  per: literal("day", "week", "month", "year"),
  scope: optional(literal("benefit", "venue"), "benefit"),
}, { forbidUnknown: true });

/** An opening window opens <= time < closes on ISO weekdays; "HH:MM", closes may be "24:00". */
export const Hours = record({
  opens: str,
  closes: str,
  weekdays: optional(arrayOf(int), [1, 2, 3, 4, 5, 6, 7]),
}, { forbidUnknown: true });

/** What a benefit gives and how often (docs/verifier.md); unknown fields are refused. */
export const Policy = record(
  {
    effect: literal("free", "discount", "priority", "booking"),
    percent_off: optional(nullable(int), null),
    fixed_price_fen: optional(nullable(int), null),
    limits: optional(arrayOf(Limit), []),
    companions: optional(int, 0),
    hours: optional(arrayOf(Hours), []),
    message_zh: optional(str, ""),
    message_en: optional(str, ""),
  },
  { forbidUnknown: true },
);

/** One benefit as the bundle carries it: stable code, names, where it applies, its policy. */
export const BenefitInfo = record({
  code: int,
  slug: str,
  name_zh: str,
  name_en: str,
  category: str,
  venue_kinds: arrayOf(str),
  policy: Policy,
}, { forbidUnknown: true });

// Python's pattern ^([01]\d|2[0-3]):[0-5]\d$|^24:00$ as re reads it: \d is any Unicode
// decimal digit, and $ also matches before one final newline.
const HHMM = /^(?:[01]\p{Nd}|2[0-3]):[0-5]\p{Nd}\n?$|^24:00\n?$/u;
const ND = /\p{Nd}/u;

/** The value of one Unicode decimal digit: digits come in runs of ten, 0 to 9. */
function digitValue(ch) {
  const cp = ch.codePointAt(0);
  let start = cp;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

function number(text) {
  let n = 0;
  for (const ch of text.trim()) n = n * 10 + digitValue(ch);
  return n;
}

function minutes(hhmm) {
  const [hours, mins] = hhmm.split(":");
  return number(hours) * 60 + number(mins);
}

/** Every rule `policy` breaks (English, as the server words them); empty when it is valid. */
export function policyProblems(policy) {
  const found = [];
  if (policy.effect === "discount") {
    const given = ["percent_off", "fixed_price_fen"].filter((f) => policy[f] !== null);
    if (given.length !== 1) found.push("a discount needs exactly one of percent_off and fixed_price_fen");
  } else if (policy.percent_off !== null || policy.fixed_price_fen !== null) {
    found.push("percent_off and fixed_price_fen belong to effect 'discount' only");
  }
  if (policy.percent_off !== null && !(1 <= policy.percent_off && policy.percent_off <= 100)) found.push("percent_off must be 1..100");
  if (policy.fixed_price_fen !== null && policy.fixed_price_fen < 0) found.push("fixed_price_fen must not be negative");
  if (policy.companions < 0) found.push("companions must not be negative");
  for (const limit of policy.limits) {
    if (limit.count <= 0) found.push(`limit count must be positive, got ${limit.count}`);
  }
  for (const h of policy.hours) {
    if (!(HHMM.test(h.opens) && HHMM.test(h.closes)) || h.opens === "24:00") {
      found.push(`hours must be HH:MM, got ${JSON.stringify(h.opens)}-${JSON.stringify(h.closes)}`);
    } else if (minutes(h.opens) >= minutes(h.closes)) {
      found.push(`hours ${h.opens}-${h.closes} must open before they close (split overnight windows)`);
    }
    if (!h.weekdays.length || h.weekdays.some((d) => !(d >= 1 && d <= 7))) {
      found.push(`weekdays must be ISO days 1..7, got [${h.weekdays.join(", ")}]`);
    }
  }
  return found;
}

/**
 * Python's f"{fen / 100:.2f}": the quotient rounded to the nearest double, then that
 * double's exact value rounded half-even to cents. Exact for any size of fen.
 */
function yuanText(fen) {
  let n = BigInt(fen);
  if (n === 0n) return "0.00";
  // The nearest double m * 2^e to n / 100, with a 53-bit mantissa m (ties to even).
  let e = n.toString(2).length - 7 - 53;
  for (;;) {
    const scaled = e >= 0 ? n : n << BigInt(-e);
    const divisor = e >= 0 ? 100n << BigInt(e) : 100n;
    let m = scaled / divisor;
    const rest = scaled % divisor;
    if (m >= 1n << 53n) {
      e += 1;
      continue;
    }
    if (m < 1n << 52n) {
      e -= 1;
      continue;
    }
    if (rest * 2n > divisor || (rest * 2n === divisor && m & 1n)) m += 1n;
    if (m === 1n << 53n) {
      m >>= 1n;
      e += 1;
    }
    // Cents of m * 2^e, half-even.
    let cents;
    if (e >= 0) cents = (m << BigInt(e)) * 100n;
    else {
      const num = m * 100n;
      const den = 1n << BigInt(-e);
      cents = num / den;
      const r = num % den;
      if (r * 2n > den || (r * 2n === den && cents & 1n)) cents += 1n;
    }
    return `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`;
  }
}

/** What the holder gets, as [zh, en] text, without companions. */
export function describeEffect(policy) {
  if (policy.effect === "free") return ["免费", "Free"];
  if (policy.effect === "priority") return ["优先办理", "Priority service"];
  if (policy.effect === "booking") return ["凭预约使用", "By booking"];
  if (policy.fixed_price_fen !== null) {
    const yuan = `¥${yuanText(policy.fixed_price_fen)}`;
    return [`协议价 ${yuan}`, `Agreement price ${yuan}`];
  }
  const pct = Number(policy.percent_off || 0);
  if (pct >= 100) return ["全额减免", "100% off"];
  return [`${String((100 - pct) / 10)}折（减 ${pct}%）`, `${pct}% off`];
}

function companionsText(n) {
  if (n <= 0) return ["", ""];
  return [`，可携同行 ${n} 人`, `, up to ${n} companion${n > 1 ? "s" : ""}`];
}

const WEEKDAY_ZH = "一二三四五六日";
const WEEKDAY_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function daysText(weekdays) {
  const days = [...new Set(weekdays.map(Number))].sort((a, b) => a - b);
  if (days.join() === "1,2,3,4,5,6,7") return ["每天", "daily"];
  const first = days[0];
  const last = days[days.length - 1];
  if (days.length >= 3 && days.length === last - first + 1) {
    return [`周${WEEKDAY_ZH[first - 1]}至周${WEEKDAY_ZH[last - 1]}`, `${WEEKDAY_EN[first - 1]}–${WEEKDAY_EN[last - 1]}`];
  }
  return [days.map((d) => `周${WEEKDAY_ZH[d - 1]}`).join("、"), days.map((d) => WEEKDAY_EN[d - 1]).join(", ")];
}

/** Opening hours as [zh, en] text, e.g. 周一至周五 08:00–18:00. */
export function hoursText(hours) {
  const zh = [];
  const en = [];
  for (const h of hours) {
    const [dz, de] = daysText(h.weekdays);
    zh.push(`${dz} ${h.opens}–${h.closes}`);
    en.push(`${de} ${h.opens}–${h.closes}`);
  }
  return [zh.join("；"), en.join("; ")];
}

const PERIOD_TEXT = {
  day: ["每日", "per day", "今日", "today"],
  week: ["每周", "per week", "本周", "this week"],
  month: ["每月", "per month", "本月", "this month"],
  year: ["每年", "per year", "今年", "this year"],
};

function effectText(policy) {
  const [effectZh, effectEn] = describeEffect(policy);
  const [compZh, compEn] = companionsText(policy.companions);
  return [effectZh + compZh, effectEn + compEn];
}

/**
 * The calendar period around `now` (epoch seconds) in `tz` as [start, end) epoch
 * seconds. Weeks are ISO weeks (Monday first); days, months and years are calendar ones.
 */
export function periodBounds(per, now, tz = PROGRAM_TZ) {
  const { year, month, day, isoWeekday } = localParts(now, tz);
  const at = (y, m, d) => localMidnight(y, m, d, tz);
  if (per === "day") return [at(year, month, day), at(year, month, day + 1)];
  if (per === "week") {
    const monday = day - (isoWeekday - 1);
    return [at(year, month, monday), at(year, month, monday + 7)];
  }
  if (per === "month") return [at(year, month, 1), at(year, month + 1, 1)];
  if (per === "year") return [at(year, 1, 1), at(year + 1, 1, 1)];
  throw new RangeError(`unknown period ${JSON.stringify(per)}`);
}

/**
 * Decide opening hours, then limits, for one use of a benefit at `now` (epoch seconds).
 *
 * `history` holds [epoch seconds, venue id] of earlier accepted uses of this certificate
 * and benefit on this device. Pure: no clock, no I/O.
 */
export function evaluate(policy, { now, history, venueId, tz = PROGRAM_TZ }) {
  const [effectZh, effectEn] = effectText(policy);
  const outcome = (allowed, reason, detailZh = "", detailEn = "") => ({
    allowed,
    reason,
    detail_zh: detailZh,
    detail_en: detailEn,
    effect_zh: effectZh,
    effect_en: effectEn,
    companions: policy.companions,
    message_zh: policy.message_zh,
    message_en: policy.message_en,
  });

  if (policy.hours.length) {
    const local = localParts(now, tz);
    const minute = local.hour * 60 + local.minute;
    const openNow = policy.hours.some(
      (h) => h.weekdays.some((d) => d === local.isoWeekday) && minutes(h.opens) <= minute && minute < minutes(h.closes),
    );
    if (!openNow) {
      const [zh, en] = hoursText(policy.hours);
      return outcome(false, "outside_hours", `开放时间：${zh}`, `Open ${en}`);
    }
  }

  for (const limit of policy.limits) {
    const [start, end] = periodBounds(limit.per, now, tz);
    let used = 0;
    for (const [at, venue] of history) {
      // Loose equality on purpose: a venue id may be a BigInt in the bundle and a Number in the log.
      if (start <= at && at < end && (limit.scope === "benefit" || venue == venueId)) used++;
    }
    if (used >= limit.count) {
      const [everyZh, everyEn, thisZh, thisEn] = PERIOD_TEXT[limit.per];
      const [whereZh, whereEn] = limit.scope === "venue" ? ["（本场所）", " at this venue"] : ["", ""];
      return outcome(
        false,
        "limit_reached",
        `${everyZh}限 ${limit.count} 次${whereZh}，${thisZh}已用 ${used} 次`,
        `Limit ${limit.count} ${everyEn}${whereEn}; used ${used} ${thisEn}`,
      );
    }
  }
  return outcome(true, "ok");
}
