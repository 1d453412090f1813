/**
 * The published vectors (tests/vectors/), read for the conformance tests.
 *
 * Today every vector is its own JSON file under tests/vectors/<kind>/; when
 * tests/vectors/manifest.json lands, vectorFiles() is the one place that reads it instead.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const VECTOR_ROOT = fileURLToPath(new URL("../../../tests/vectors/", import.meta.url));

function walk(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith(".json") && name !== "manifest.json" ? [path] : [];
    });
}

/** Every vector file, as paths relative to tests/vectors/. */
export function vectorFiles() {
  return walk(VECTOR_ROOT).map((path) => relative(VECTOR_ROOT, path));
}

/** The vector at `path` (relative to tests/vectors/). */
export function readVector(path) {
  return JSON.parse(readFileSync(join(VECTOR_ROOT, path), "utf8"));
}

export const bytes = (hexText) => new Uint8Array(Buffer.from(hexText, "hex"));
