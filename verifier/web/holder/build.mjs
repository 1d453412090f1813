// Bundle the holder page's script and service worker into the files the service serves
// (verifier/huicui_verifier/webapp/holder/). `node build.mjs --check` fails when the
// committed files differ from what the sources build to.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, "..", "..", "huicui_verifier", "webapp", "holder");
const entries = { "holder.js": "src/holder-page.js", "holder-sw.js": "src/holder-sw.js" };
const check = process.argv.includes("--check");
let stale = 0;
mkdirSync(outDir, { recursive: true });
for (const [name, entry] of Object.entries(entries)) {
  const result = await esbuild.build({
    entryPoints: [join(here, entry)],
    bundle: true,
    format: "iife",
    target: "es2022",
    legalComments: "inline",
    charset: "utf8",
    write: false,
  });
  const text = `// Built from verifier/web/holder/${entry} by build.mjs; do not edit.\n` +
    result.outputFiles[0].text;
  const target = join(outDir, name);
  if (check) {
    let current = "";
    try {
      current = readFileSync(target, "utf8");
    } catch {}
    if (current !== text) {
      console.error(`${target} is stale: run npm run build in verifier/web/holder`);
      stale++;
    }
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
process.exit(stale ? 1 : 0);
