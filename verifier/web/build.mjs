/**
 * The one build: bundles the engine (and, later, the page) into files the Python package
 * serves, under verifier/huicui_verifier/webapp/. They are committed, so `make run` needs
 * no Node; tests/verifier/test_web_build.py rebuilds into a temporary folder with the
 * locked esbuild and requires the same bytes.
 *
 *   node build.mjs [--outdir DIR]
 *
 * Deterministic: fixed entry names, no source maps, no timestamps, no absolute paths.
 */

import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Output name -> entry module. The page's entries join this table.
const ENTRIES = {
  engine: "engine/index.js",
};

const here = fileURLToPath(new URL(".", import.meta.url));
const at = process.argv.indexOf("--outdir");
const outdir = at > 0 ? process.argv[at + 1] : fileURLToPath(new URL("../huicui_verifier/webapp/", import.meta.url));

mkdirSync(outdir, { recursive: true });
const result = await build({
  absWorkingDir: here,
  entryPoints: ENTRIES,
  outdir,
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
});
for (const [file, info] of Object.entries(result.metafile.outputs)) {
  console.log(`${file}: ${info.bytes} bytes`);
}
