/**
 * The one build: bundles the engine and the verifier page into files the Python package
 * serves, under verifier/huicui_verifier/webapp/ (the page under webapp/verify/, which the
 * service serves at /verify/). They are committed, so `make run` needs
 * no Node; tests/verifier/test_web_build.py rebuilds into a temporary folder with the
 * locked esbuild and requires the same bytes.
 *
 *   node build.mjs [--outdir DIR]
 *
 * Deterministic: fixed entry names, no source maps, no timestamps, no absolute paths.
 */

import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// Output name -> entry module.
const ENTRIES = {
  engine: "engine/index.js",
};

// The page (verify/): its script and service worker are bundled; these files are copied
// as they are. The QR reader's WebAssembly comes from the locked zxing-wasm package and
// is served by the service like every other file of the page.
const PAGE_SCRIPT = "verify/app.js";
const PAGE_WORKER = "verify/sw.js";
const PAGE_FILES = {
  "index.html": "verify/index.html",
  "verify.css": "verify/verify.css",
  "manifest.webmanifest": "verify/manifest.webmanifest",
  "icon.svg": "verify/icon.svg",
  "icon-192.png": "verify/icon-192.png",
  "icon-512.png": "verify/icon-512.png",
  "zxing_reader.wasm": "node_modules/zxing-wasm/dist/reader/zxing_reader.wasm",
};

const here = fileURLToPath(new URL(".", import.meta.url));
const at = process.argv.indexOf("--outdir");
const outdir = at > 0 ? process.argv[at + 1] : fileURLToPath(new URL("../huicui_verifier/webapp/", import.meta.url));

mkdirSync(outdir, { recursive: true });
const COMMON = {
  absWorkingDir: here,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  charset: "utf8",
  legalComments: "eof",
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
};

const report = (result) => {
  for (const [file, info] of Object.entries(result.metafile.outputs)) console.log(`${file}: ${info.bytes} bytes`);
};

report(await build({ ...COMMON, entryPoints: ENTRIES, outdir }));

const pageDir = join(outdir, "verify");
mkdirSync(pageDir, { recursive: true });
report(await build({ ...COMMON, entryPoints: { app: PAGE_SCRIPT }, outdir: pageDir }));
for (const [name, source] of Object.entries(PAGE_FILES)) copyFileSync(join(here, source), join(pageDir, name));

// The service worker names its cache after the hash of every file it caches, so a new
// build replaces the old cache as a whole and an installed page never mixes versions.
const cached = ["app.js", ...Object.keys(PAGE_FILES)].sort();
const digest = createHash("sha256");
for (const name of cached) digest.update(name).update("\0").update(readFileSync(join(pageDir, name)));
report(
  await build({
    ...COMMON,
    entryPoints: { sw: PAGE_WORKER },
    outdir: pageDir,
    format: "iife",
    define: {
      BUILD_FILES: JSON.stringify(cached),
      BUILD_HASH: JSON.stringify(digest.digest("hex").slice(0, 16)),
    },
  }),
);
