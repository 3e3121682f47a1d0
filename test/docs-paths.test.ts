/**
 * The README and docs/ may name only what exists: every repository path they mention in
 * code spans or links must be in the checkout, and no link may leave the repository (a
 * fresh clone has nothing beside it).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TOP_LEVEL = ["worker/", "durable-objects/", "backend/", "models/", "scripts/", "bench/", "test/", "docs/", ".ci/"];
const ROOT_FILES = ["README.md", "wrangler.toml", "package.json", "tsconfig.json", "biome.json", "drizzle.config.ts", "vitest.config.ts"];

const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** Repository paths in code spans: `worker/app.ts`, `backend/canary/`, `wrangler.toml`; not templates or generated files. */
function pathsInCodeSpans(markdown: string): string[] {
  const spans = [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!.trim());
  const paths = spans
    .flatMap((span) => span.split(/[\s,;]+/))
    .filter((token) => {
      if (/[{}<>*$]/.test(token)) return false;
      return TOP_LEVEL.some((dir) => token.startsWith(dir)) || ROOT_FILES.includes(token);
    });
  return [...new Set(paths.map((p) => p.replace(/[).:]+$/, "")))];
}

/** Targets of markdown links that are not URLs or in-page anchors. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z]+:/i.test(href) && !href.startsWith("#"));
}

describe("README and docs name only what exists", () => {
  it.each(DOCS)("%s: every repository path in a code span exists", (doc) => {
    const missing = pathsInCodeSpans(readFileSync(join(ROOT, doc), "utf8")).filter((p) => !existsSync(join(ROOT, p)));
    expect(missing).toEqual([]);
  });

  it.each(DOCS)("%s: every link stays inside the repository and points at a file that exists", (doc) => {
    for (const href of relativeLinks(readFileSync(join(ROOT, doc), "utf8"))) {
      const target = normalize(join(ROOT, dirname(doc), href.split("#")[0]!));
      expect(relative(ROOT, target).startsWith(".."), `${doc} links outside the repository: ${href}`).toBe(false);
      expect(existsSync(target), `${doc} links to a missing file: ${href}`).toBe(true);
    }
  });

  it("finds the paths it is meant to find (so the checks above cannot pass vacuously)", () => {
    const sample =
      "See `worker/app.ts`, `backend/canary/` and `wrangler.toml`; not `.data/pglite`, `models/<version>/x` or `npm test`. [a](docs/x.md) [b](#top) [c](https://e.example)";
    expect(pathsInCodeSpans(sample)).toEqual(["worker/app.ts", "backend/canary/", "wrangler.toml"]);
    expect(relativeLinks(sample)).toEqual(["docs/x.md"]);
    expect(pathsInCodeSpans(readFileSync(join(ROOT, "README.md"), "utf8")).length).toBeGreaterThan(40);
  });
});
