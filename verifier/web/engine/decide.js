/**
 * The offline decision: one scanned text, one bundle, one answer with its reason.
 *
 * Twin of huicui_verifier/decide.py: the same checks in the same order (docs/verifier.md
 * explains why each sits where it does), the first that fails names the refusal. Pure:
 * the caller supplies the clock and the device's own history, and records the decision
 * before showing it. A Decision has the Python Decision's fields, with the same names.
 */

import { hex, honored } from "./bundle.js";
import { lastValidDay, localText } from "./clock.js";
import { pyRepr } from "./convert.js";
import * as hb1 from "./hb1.js";
import * as hb2 from "./hb2.js";
import { evaluate } from "./policy.js";
import { CHECK_ID, CLOCKS, INPUTS, LIVE_CARD, REASONS, STAFF_CHECK, WARNINGS } from "./reasons.js";

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
  card: "", // "static" (HB1) or "phone" (HB2), once the code was read
  id_check: false, // the staff were told to compare the ID document (check_id)
  proof_at: null, // HB2: the time the phone signed, epoch seconds
  proof_id: null, // HB2: set once the proof passed; the log remembers it
  clock: "", // "phone" or "gate": the clock that looks wrong (proof time refusals)
};

const neverSeen = () => false;

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
 * Order: decode → stale bundle (fail-closed venues) → known key → signature → (HB2:
 * phone signature → proof time window (± skew) → not replayed here; HB1: the venue's
 * static-card policy) → validity window (± the bundle's skew) → revoked → (HB2:
 * superseded phone) → benefit held → honored here → opening hours → limits → accept.
 * Never throws for any `text`. `now` is epoch seconds; `historyLookup(ctiHex, code)`
 * returns (or resolves to) [[epoch seconds, venue id], …] of earlier accepted uses on
 * this device; `proofSeen(proofId)` (or its promise) is true when this device has seen
 * that HB2 proof before.
 */
export async function decide(text, { bundle, benefit = null, now, historyLookup, proofSeen = neverSeen }) {
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

  // The code read: an HB1 static card, an HB2 phone card, or a bound certificate shown
  // without its proof (refused once its issuer signature proves it genuine).
  let decoded;
  let live = null;
  let shownAsStatic = false;
  try {
    if (typeof text === "string" && text.startsWith(hb2.PREFIX)) {
      live = hb2.decode(text);
      decoded = live.bound;
      base.card = "phone";
    } else {
      decoded = hb1.decode(text);
      base.card = "static";
    }
  } catch (exc) {
    if (!(exc instanceof hb1.HB1Error)) throw exc; // HB2Error is one too
    const bound = hb2.boundShownAsStatic(text);
    if (bound === null) {
      // A sentence staff can act on (zh first); for a damaged Huicui code the rule follows.
      const [zh, en] = INPUTS[exc.kind];
      const detailEn = exc.kind === "damaged" ? `${en} (${exc.detail})` : en;
      return refuse(exc.reason, zh, detailEn, { input_kind: exc.kind });
    }
    decoded = bound;
    shownAsStatic = true;
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

  if (shownAsStatic) return refuse("bound_as_static");
  let staffCheck = STAFF_CHECK;
  if (live !== null) {
    const proof = await hb2.proofId(live);
    const problem = await liveProblem(live, proof, nowTs, bundle.skew, bundle.checkedAt, proofSeen);
    base.proof_at = live.proof.time;
    if (problem !== null) {
      const [reason, clock] = problem;
      if (!clock) return refuse(reason);
      const [zh, en] = CLOCKS[clock];
      const who = clock.split("_")[0];
      return refuse(reason, zh, en, { clock: who === "unknown" ? "" : who });
    }
    base.proof_id = hex(proof);
    staffCheck = LIVE_CARD;
  } else {
    const staticCard = bundle.venue.static_card;
    if (staticCard === "refuse") return refuse("static_refused");
    if (staticCard === "check_id") {
      base.id_check = true;
      staffCheck = CHECK_ID;
    }
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
  if (live !== null && bundle.superseded.has(await hb2.deviceKeyHash(live.bound.device_key))) return refuse("phone_superseded");

  const [code, chosenProblem] = selectBenefit(benefit, claims.benefits, honored(bundle.venue));
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
    staff_check_zh: staffCheck[0],
    staff_check_en: staffCheck[1],
    warnings: [...warnings],
    ...base,
  });
}

/**
 * Why an HB2 proof does not pass here, as [reason, clock text key], or null.
 *
 * The phone's signature, then its time: fresh when `t - skew <= now < t + window +
 * skew`. Outside it, the clock that looks wrong (docs/hb2.md): a proof from the future is
 * the gate's fault when the gate's clock is behind its own heartbeat's issue time, else
 * the phone's; a proof too old is the phone's fault when it is dated before its
 * certificate was bound, else most likely a recording. Then the replay check.
 */
async function liveProblem(live, proof, nowTs, skew, bundleIat, proofSeen) {
  if (!(await hb2.verifyDevice(live))) return ["device_signature_invalid", ""];
  const t = live.proof.time;
  if (t > nowTs + skew) return ["proof_in_future", nowTs < bundleIat - skew ? "gate_behind" : "phone_ahead"];
  if (nowTs >= t + hb2.PROOF_WINDOW + skew) {
    const behind = t < live.bound.claims.iat - skew;
    return ["proof_too_old", behind ? "phone_behind" : "unknown"];
  }
  if (await proofSeen(proof)) return ["replayed", ""];
  return null;
}
