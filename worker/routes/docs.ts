/** GET /openapi.json (generated from the route schemas) and GET /docs (Swagger UI). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-types.js";
import { swaggerPage } from "../docs/swagger-page.js";

export function registerDocRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An API key (`rk_...`): `Authorization: Bearer <key>` (or `X-API-Key: <key>`). Acts for any user, within its scopes.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "endUserToken", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "An end user's JWT from the customer's identity provider (HS256, RS256 or ES256; iss, aud and exp checked), " +
      "or an anonymous session token from POST /v1/sessions. Reads recommendations and sends events for its own `sub` only.",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Edge recommendations API",
      version: "1.0.0",
      description: "Personalised, similar, bought-together and popular lists at the edge, and event intake.",
    },
  });
  app.get("/docs", (c) => c.html(swaggerPage("Edge recommendations API", "/openapi.json", "/docs/assets")));
  app.get("/docs/assets/:file", async (c) => {
    // Imported on demand so the 1.5 MB of Swagger UI is not evaluated on every cold start.
    const assets = await import("../docs/swagger-ui-assets.generated.js");
    const file = c.req.param("file");
    const headers = { "cache-control": "public, max-age=86400" };
    if (file === "swagger-ui-bundle.js") return c.body(assets.SWAGGER_UI_JS, 200, { ...headers, "content-type": "text/javascript; charset=utf-8" });
    if (file === "swagger-ui.css") return c.body(assets.SWAGGER_UI_CSS, 200, { ...headers, "content-type": "text/css; charset=utf-8" });
    return c.json({ error: { code: "not_found", message: `no asset ${file}` } }, 404);
  });
}
