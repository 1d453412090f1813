/**
 * The Huicui verifier engine: HB1 and HB2 reading, bundle files (format 2) and catching up, and
 * the offline decision, the JavaScript twin of the Python package huicui_verifier. No
 * DOM: the page, camera, storage and network sit outside it.
 */

export * as base45 from "./base45.js";
export * as bundle from "./bundle.js";
export * as catchup from "./catchup.js";
export * as cbor_check from "./cbor_check.js";
export * as clock from "./clock.js";
export * as cose from "./cose.js";
export * as decide from "./decide.js";
export * as delta from "./delta.js";
export * as hb1 from "./hb1.js";
export * as hb2 from "./hb2.js";
export * as policy from "./policy.js";
export * as reasons from "./reasons.js";
export * as revocations from "./revocations.js";
