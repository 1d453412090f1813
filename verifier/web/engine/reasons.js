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
/** What staff check on acceptance, [zh, en]. */
export const STAFF_CHECK = pairs(table.prompts).staff_check;
/** What staff check for a static card at a check_id venue (docs/hb2.md), [zh, en]. */
export const CHECK_ID = pairs(table.prompts).check_id;

/** The [zh, en] message of a reason code. */
export function message(code) {
  return REASONS[code];
}
