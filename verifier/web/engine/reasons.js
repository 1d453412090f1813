/**
 * Every reason a decision can give, and every warning, in zh-CN first and English second.
 *
 * Twin of huicui_verifier/reasons.py. The texts live in one table,
 * huicui_verifier/reasons.json, which both implementations read: the build bundles that
 * very file, so the two can never show different words for one reason.
 */

import table from "../../huicui_verifier/reasons.json" with { type: "json" };

const pairs = (section) => Object.fromEntries(Object.entries(section).map(([code, text]) => [code, [text.zh, text.en]]));

/** Reason code -> [zh, en]. */
export const REASONS = pairs(table.reasons);
/** Warning code -> [zh, en]. */
export const WARNINGS = pairs(table.warnings);
/** What an unreadable scan most likely is (foreign.KINDS) -> [zh, en]. */
export const INPUTS = pairs(table.inputs);
/** Why a bundle was not loaded (BundleError.code) -> [zh, en]. */
export const BUNDLE_REFUSALS = pairs(table.bundle);
const PROMPTS = pairs(table.prompts);
/** What staff check on acceptance, [zh, en]. */
export const STAFF_CHECK = PROMPTS.staff_check;
/** What staff check for a static card at a check_id venue (docs/hb2.md), [zh, en]. */
export const CHECK_ID = PROMPTS.check_id;
/** What staff see for a live phone card (HB2), [zh, en]. */
export const LIVE_CARD = PROMPTS.live_card;
/** Which clock looks wrong when a live code's time is outside the window -> [zh, en]. */
export const CLOCKS = pairs(table.clocks);

/** The [zh, en] message of a reason code. */
export function message(code) {
  return REASONS[code];
}
