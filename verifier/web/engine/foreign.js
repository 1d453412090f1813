/**
 * What a scanned text that is not a Huicui certificate most likely is.
 *
 * Twin of huicui_verifier/foreign.py; the rules are written down in docs/verifier.md
 * ("What an unreadable code is") and pinned by the vectors' expected.input_kind.
 */

/** Every kind of unreadable input; each has a sentence in the `inputs` table of reasons.json. */
export const KINDS = ["empty", "eu_dcc", "payment_code", "url", "other_format", "not_huicui", "damaged"];

// Payment apps' own schemes and hosts (WeChat Pay, Alipay, UnionPay QuickPass).
const PAYMENT_URL =
  /^(wxp:\/\/|alipays?:\/\/|upwallet:\/\/|https?:\/\/(qr\.alipay\.com|wx\.tenpay\.com|payapp\.weixin\.qq\.com|qr\.95516\.com)\/)/i;
// A customer's payment code (付款码): 16 to 24 ASCII digits.
const PAYMENT_DIGITS = /^[0-9]{16,24}$/;
const URL_START = /^([a-z][a-z0-9+.-]*:\/\/|www\.)/i;
const HUICUI_PREFIX = /^HB[0-9]+:/;

/** The kind of `text`, a scanned code that is not an HB1 certificate. */
export function recognise(text) {
  if (!text) return "empty";
  if (text.startsWith("HC1:")) return "eu_dcc";
  if (PAYMENT_URL.test(text) || PAYMENT_DIGITS.test(text)) return "payment_code";
  if (URL_START.test(text)) return "url";
  if (HUICUI_PREFIX.test(text) && !text.startsWith("HB1:")) return "other_format";
  return "not_huicui";
}
