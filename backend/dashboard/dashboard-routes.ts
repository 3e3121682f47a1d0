/**
 * GET /dashboard: the operator pages. The HTML, script and stylesheet are public (they
 * hold no data); every figure is fetched by the page from the admin API with the key the
 * operator enters, so the data stay behind the same scopes as the API itself.
 */
import { Hono } from "hono";
import type { AppEnv } from "../http/app-env.js";
import { dashboardAssets } from "./dashboard-bundle.js";

// Everything from this origin only; uPlot sizes its canvas with inline styles.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Recommendations dashboard</title>
<link rel="stylesheet" href="/dashboard/dashboard.css">
<script type="module" src="/dashboard/dashboard.js"></script>
</head>
<body><noscript>The dashboard needs JavaScript.</noscript></body>
</html>
`;

export function dashboardRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("/dashboard/*", async (c, next) => {
    await next();
    c.header("content-security-policy", CSP);
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
  });
  app.get("/dashboard", (c) => c.redirect("/dashboard/", 302));
  app.get("/dashboard/", (c) => c.html(HTML));
  app.get("/dashboard/dashboard.js", async (c) => {
    const { script } = await dashboardAssets();
    return c.body(script, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" });
  });
  app.get("/dashboard/dashboard.css", async (c) => {
    const { stylesheet } = await dashboardAssets();
    return c.body(stylesheet, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" });
  });
  return app;
}
