/**
 * The offline decision: one scanned text, one bundle, one answer with its reason.
 *
 * Twin of huicui_verifier/decide.py: the same checks in the same order (docs/verifier.md
 * explains why each sits where it does), the first that fails names the refusal. Pure:
 * the caller supplies the clock and the device's own history, and records the decision
 * before showing it. A Decision has the Python Decision's fields, with the same names.
 */

import { hex } from "./bundle.js";
import { localText } from "./clock.js";
import * as hb1 from "./hb1.js";
import { evaluate } from "./policy.js";
import { CHECK_ID, REASONS, STAFF_CHECK, WARNINGS } from "./reasons.js";

export { REASONS };

// Every field of a Decision, in the Python order, with its default.
const DEFAULTS = {
  detail_zh: "",
  detail_en: "",
  name: null,
  id_last4: null,
  benefit: null,
  benefit_slug: null,
  benefit_name_zh: null,
  benefit_name_en: null,
  effect_zh: "",
  effect_en: "",
  companions: 0,
  policy_message_zh: "",
  policy_message_en: "",
  staff_check_zh: "",
  staff_check_en: "",
  warnings: [],
  cti: null,
  kid: null,
  cert_exp: null,
  venue_id: null,
  bundle_version: null,
  card: "",
  id_check: false,
  proof_at: null,
  proof_id: null,
  clock: "",
};

function makeDecision(fields) {
  const { accepted, reason, message_zh, message_en, at, ...rest } = fields;
  return { accepted, reason, message_zh, message_en, at, ...DEFAULTS, ...rest };
}

function notice(code) {
  const [zh, en] = WARNINGS[code];
  return { code, message_zh: zh, message_en: en };
}

/** Python's repr() of a str, for details that quote one. */
function pyRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (cp < 0x7f || hb1.isPrintable(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, "0")}`;
    else out += `\\U${cp.toString(16).padStart(8, "0")}`;
  }
  return out + quote;
}

/**
 * Choose the benefit to redeem, or name the refusal: [code, null] or [code or null, reason].
 * With no request the lowest code both held and honored here is used.
 */
export function selectBenefit(requested, held, honored) {
  if (requested !== null && requested !== undefined) {
    if (!held.includes(requested)) return [requested, "benefit_not_held"];
    if (!honored.includes(requested)) return [requested, "not_honored"];
    return [requested, null];
  }
  const both = held.filter((code) => honored.includes(code));
  if (both.length) return [Math.min(...both), null];
  return [null, honored.length ? "benefit_not_held" : "not_honored"];
}

/**
 * Decide one scan offline. Async (the signature check uses WebCrypto).
 *
 * Order: decode → stale bundle (fail-closed venues) → known key → signature → validity
 * window (± the bundle's skew) → revoked → benefit held → honored here → opening hours →
 * limits → accept. Never throws for any `text`. `now` is epoch seconds;
 * `historyLookup(ctiHex, code)` returns (or resolves to) [[epoch seconds, venue id], …]
 * of earlier accepted uses on this device.
 */
export async function decide(text, { bundle, benefit = null, now, historyLookup }) {
  const nowTs = Math.trunc(now);
  const base = { at: nowTs };
  const warnings = [];

  const refuse = (reason, detailZh = "", detailEn = "", extra = {}) => {
    const [zh, en] = REASONS[reason];
    return makeDecision({
      accepted: false,
      reason,
      message_zh: zh,
      message_en: en,
      detail_zh: detailZh,
      detail_en: detailEn,
      warnings: [...warnings],
      ...base,
      ...extra,
    });
  };

  if (!bundle) return refuse("no_bundle");
  const { payload } = bundle;
  base.venue_id = payload.venue.id;
  base.bundle_version = payload.version;

  let decoded;
  try {
    decoded = hb1.decode(text);
  } catch (exc) {
    if (exc instanceof hb1.HB1Error) return refuse(exc.reason, "", exc.detail);
    throw exc;
  }
  base.card = "static"; // HB2 phone cards are read by the Python verifier only, so far
  const { claims } = decoded;
  const ctiHex = hex(claims.cti);
  base.cti = ctiHex;
  base.kid = hex(decoded.kid);

  if (bundle.isStale(nowTs)) {
    if (payload.venue.fail_mode === "closed") {
      const when = localText(payload.exp, payload.tz);
      return refuse("stale_bundle", `有效期至 ${when}`, `bundle expired ${when}`);
    }
    warnings.push(notice("stale_bundle"));
  }
  if (nowTs < payload.iat - payload.skew) warnings.push(notice("clock_behind"));

  const key = bundle.keys.get(hex(decoded.kid));
  if (!key) return refuse("unknown_key", "", `kid ${hex(decoded.kid)} is not in bundle ${payload.version}`);
  if (key.state === "compromised") return refuse("key_compromised", "", `kid ${hex(decoded.kid)} is marked compromised`);
  const publicKey = bundle.publicKeys.get(hex(key.pub)) || key.pub;
  if (!(await hb1.verify(decoded, publicKey))) return refuse("bad_signature");

  base.name = claims.name;
  base.id_last4 = claims.id_last4;
  base.cert_exp = claims.exp;
  const skew = BigInt(payload.skew);
  if (claims.iss !== payload.program) {
    return refuse("unknown_key", "", `issued by program ${pyRepr(claims.iss)}, this bundle is ${pyRepr(payload.program)}`);
  }
  const iat = BigInt(claims.iat);
  if (iat < BigInt(key.nbf) - skew || (key.exp !== null && iat > BigInt(key.exp) + skew)) {
    return refuse("unknown_key", "", "the key was not in service when this certificate was issued");
  }

  // The venue's static-card policy (docs/hb2.md): every HB1 card here is a static one.
  let staffCheck = STAFF_CHECK;
  if (payload.venue.static_cards === "refuse") return refuse("static_refused");
  if (payload.venue.static_cards === "check_id") {
    base.id_check = true;
    staffCheck = CHECK_ID;
  }

  if (nowTs < claims.iat - payload.skew) {
    const when = localText(claims.iat, payload.tz);
    return refuse("not_yet_valid", `生效时间 ${when}`, `valid from ${when}`);
  }
  if (nowTs >= claims.exp + payload.skew) {
    const when = localText(claims.exp, payload.tz);
    return refuse("expired", `有效期至 ${when}`, `expired ${when}`);
  }
  if (bundle.revoked.has(claims.cti)) return refuse("revoked");

  const [code, chosenProblem] = selectBenefit(benefit, claims.benefits, payload.venue.benefits);
  let problem = chosenProblem;
  const info = code !== null ? bundle.benefits.get(code) : undefined;
  if (code !== null) base.benefit = code;
  if (info) {
    base.benefit_slug = info.slug;
    base.benefit_name_zh = info.name_zh;
    base.benefit_name_en = info.name_en;
  }
  if (problem === null && !info) problem = "not_honored";
  if (problem !== null) return refuse(problem);

  const outcome = evaluate(info.policy, {
    now: nowTs,
    history: await historyLookup(ctiHex, code),
    venueId: payload.venue.id,
    tz: payload.tz,
  });
  base.effect_zh = outcome.effect_zh;
  base.effect_en = outcome.effect_en;
  base.policy_message_zh = outcome.message_zh;
  base.policy_message_en = outcome.message_en;
  if (!outcome.allowed) return refuse(outcome.reason, outcome.detail_zh, outcome.detail_en);

  return makeDecision({
    accepted: true,
    reason: "ok",
    message_zh: `通过：${info.name_zh}，${outcome.effect_zh}`,
    message_en: `Accepted: ${info.name_en}, ${outcome.effect_en}`,
    companions: outcome.companions,
    staff_check_zh: staffCheck[0],
    staff_check_en: staffCheck[1],
    warnings: [...warnings],
    ...base,
  });
}
