/**
 * The offline decision: one scanned text, one bundle, one answer with its reason.
 *
 * Twin of huicui_verifier/decide.py: the same checks in the same order (docs/verifier.md
 * explains why each sits where it does), the first that fails names the refusal. Pure:
 * the caller supplies the clock and the device's own history, and records the decision
 * before showing it. A Decision has the Python Decision's fields, with the same names.
 */

import { hex } from "./bundle.js";
import { lastValidDay, localText } from "./clock.js";
import { pyRepr } from "./convert.js";
import * as hb1 from "./hb1.js";
import { evaluate } from "./policy.js";
import { INPUTS, REASONS, STAFF_CHECK, WARNINGS } from "./reasons.js";

export { REASONS };

// Every field of a Decision, in the Python order, with its default.
const DEFAULTS = {
  detail_zh: "",
  detail_en: "",
  input_kind: null,
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
};

function makeDecision(fields) {
  const { accepted, reason, message_zh, message_en, at, ...rest } = fields;
  return { accepted, reason, message_zh, message_en, at, ...DEFAULTS, ...rest };
}

function notice(code) {
  const [zh, en] = WARNINGS[code];
  return { code, message_zh: zh, message_en: en };
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
  base.venue_id = bundle.venue.id;
  base.bundle_version = bundle.version;

  let decoded;
  try {
    decoded = hb1.decode(text);
  } catch (exc) {
    if (exc instanceof hb1.HB1Error) {
      // A sentence staff can act on (zh first); for a damaged Huicui code the rule follows.
      const [zh, en] = INPUTS[exc.kind];
      const detailEn = exc.kind === "damaged" ? `${en} (${exc.detail})` : en;
      return refuse(exc.reason, zh, detailEn, { input_kind: exc.kind });
    }
    throw exc;
  }
  const { claims } = decoded;
  const ctiHex = hex(claims.cti);
  base.cti = ctiHex;
  base.kid = hex(decoded.kid);

  if (bundle.isStale(nowTs)) {
    if (bundle.venue.fail_mode === "closed") {
      const when = localText(bundle.freshUntil, bundle.tz);
      return refuse("stale_bundle", `有效期至 ${when}`, `bundle expired ${when}`);
    }
    warnings.push(notice("stale_bundle"));
  } else if (bundle.behind) warnings.push(notice("bundle_behind"));
  if (nowTs < bundle.checkedAt - bundle.skew) warnings.push(notice("clock_behind"));

  const key = bundle.keys.get(hex(decoded.kid));
  if (!key) return refuse("unknown_key", "", `kid ${hex(decoded.kid)} is not in bundle ${bundle.version}`);
  if (key.state === "compromised") return refuse("key_compromised", "", `kid ${hex(decoded.kid)} is marked compromised`);
  const publicKey = bundle.publicKeys.get(hex(key.pub)) || key.pub;
  if (!(await hb1.verify(decoded, publicKey))) return refuse("bad_signature");

  base.name = claims.name;
  base.id_last4 = claims.id_last4;
  base.cert_exp = claims.exp;
  const skew = BigInt(bundle.skew);
  if (claims.iss !== bundle.program) {
    return refuse("unknown_key", "", `issued by program ${pyRepr(claims.iss)}, this bundle is ${pyRepr(bundle.program)}`);
  }
  const iat = BigInt(claims.iat);
  if (iat < BigInt(key.nbf) - skew || (key.exp !== null && iat > BigInt(key.exp) + skew)) {
    return refuse("unknown_key", "", "the key was not in service when this certificate was issued");
  }

  if (nowTs < claims.iat - bundle.skew) {
    const when = localText(claims.iat, bundle.tz);
    return refuse("not_yet_valid", `生效时间 ${when}`, `valid from ${when}`);
  }
  if (nowTs >= claims.exp + bundle.skew) {
    const day = lastValidDay(claims.exp, bundle.tz);
    return refuse("expired", `有效期至 ${day}`, `valid until ${day}`);
  }
  if (bundle.revoked.has(claims.cti)) return refuse("revoked");

  const [code, chosenProblem] = selectBenefit(benefit, claims.benefits, bundle.venue.benefits);
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
    venueId: bundle.venue.id,
    tz: bundle.tz,
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
    staff_check_zh: STAFF_CHECK[0],
    staff_check_en: STAFF_CHECK[1],
    warnings: [...warnings],
    ...base,
  });
}
