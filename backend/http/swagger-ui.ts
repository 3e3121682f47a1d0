/**
 * GET /docs: Swagger UI for /openapi.json, served from the installed swagger-ui-dist
 * package — nothing is fetched from a CDN, so the docs work offline and in CI.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Env, Hono } from "hono";

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const assetDir = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

function page(base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Recommendations backend API</title>
<link rel="stylesheet" href="${base}/swagger-ui.css">
<link rel="icon" type="image/png" href="${base}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/swagger-ui-standalone-preset.js"></script>
<script src="${base}/init.js"></script>
</body>
</html>`;
}

/** Kept out of the page so a strict Content-Security-Policy (no inline scripts) still works. */
function initScript(specUrl: string): string {
  return `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: "#swagger-ui", presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout" });\n`;
}

export function mountSwaggerUi<E extends Env>(app: Hono<E>, options: { path: string; specUrl: string }): void {
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  app.get(options.path, (c) => c.html(page(options.path)));
  app.get(`${options.path}/init.js`, (c) => c.body(initScript(options.specUrl), 200, { "content-type": ASSETS["swagger-ui-bundle.js"]! }));
  app.get(`${options.path}/:asset`, async (c) => {
    const name = c.req.param("asset");
    const type = ASSETS[name];
    if (!type) return c.notFound();
    let bytes = cache.get(name);
    if (!bytes) {
      bytes = new Uint8Array(await readFile(path.join(assetDir, name)));
      cache.set(name, bytes);
    }
    return c.body(bytes, 200, { "content-type": type, "cache-control": "public, max-age=86400" });
  });
}
