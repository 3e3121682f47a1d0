/**
 * The edge API: middleware in the order every request meets it (observability, CORS,
 * security headers, body caps), then the routes. Each route file owns one area of the
 * public contract (README.md, "Public API"; docs/architecture.md).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { bodyCap } from "../models/body-cap.js";
import { edgeConfig } from "./config.js";
import type { AppEnv } from "./http/app-types.js";
import { errorBody, onError, validationError } from "./http/errors.js";
import { observability } from "./http/observability.js";
import { isArtifactUpload, registerAdminModelRoutes } from "./routes/admin-models.js";
import { registerAdminRoutes } from "./routes/admin.js";
import { registerAdminShadowRoutes } from "./routes/admin-shadow.js";
import { registerConsentRoutes } from "./routes/consent.js";
import { registerDocRoutes } from "./routes/docs.js";
import { registerEventRoutes } from "./routes/events.js";
import { registerHealthRoutes } from "./routes/health.js";
import { registerItemRoutes } from "./routes/items.js";
import { registerRecommendationRoutes } from "./routes/recommendations.js";
import { registerSessionRoutes } from "./routes/sessions.js";
import { registerUserRoutes } from "./routes/users.js";

const EVENTS_BODY_LIMIT = 2 * 1024 * 1024;
const DEFAULT_BODY_LIMIT = 256 * 1024;

export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });
  app.use("*", observability());
  app.use("*", (c, next) =>
    cors({
      origin: (origin) => (edgeConfig(c.env).corsOrigins.includes(origin) ? origin : null),
      allowHeaders: ["Authorization", "Content-Type", "X-API-Key", "X-Request-Id"],
      allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
      // Browsers may read only exposed headers: clients need the rate-limit ones to back off.
      exposeHeaders: [
        "X-Request-Id",
        "Server-Timing",
        "X-Experiment",
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "RateLimit-Policy",
      ],
      maxAge: 600,
    })(c, next),
  );
  app.use("*", secureHeaders({ crossOriginResourcePolicy: "cross-origin", contentSecurityPolicy: undefined }));
  app.use(
    "*",
    bodyCap({
      maxBytes: (c) => (c.req.path === "/v1/events" ? EVENTS_BODY_LIMIT : DEFAULT_BODY_LIMIT),
      // Model artifacts stream to R2 and may be large: that route enforces its own cap
      // (MAX_ARTIFACT_BYTES) from Content-Length after authentication, where this middleware
      // would buffer an unauthenticated body of any length.
      skip: (c) => isArtifactUpload(c.req.path),
    }),
  );
  registerSessionRoutes(app);
  registerEventRoutes(app);
  registerRecommendationRoutes(app);
  registerItemRoutes(app);
  registerUserRoutes(app);
  registerConsentRoutes(app);
  registerAdminRoutes(app);
  registerAdminShadowRoutes(app);
  registerAdminModelRoutes(app);
  registerHealthRoutes(app);
  registerDocRoutes(app);
  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`, "path"), 404));
  app.onError(onError);
  return app;
}
