/**
 * WebCrypto for Node 18 (Debian bookworm's nodejs), which keeps it off the global object
 * unless asked; Node 19 and later and every browser have globalThis.crypto already.
 * Imported by the tests and tools only: the engine itself expects a browser.
 */

import { webcrypto } from "node:crypto";

globalThis.crypto ??= webcrypto;
