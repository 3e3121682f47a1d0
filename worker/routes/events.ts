/** POST /v1/events and POST /v1/feedback: intake of interactions and list feedback. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { FeedbackInputSchema, MAX_EVENTS_PER_REQUEST, timestampToMs } from "../../models/events.js";
import { edgeConfig } from "../config.js";
import { acceptEvents } from "../intake/accept-events.js";
import type { AppEnv } from "../http/app-types.js";
import { requireAccess } from "../http/auth.js";
import { ApiError, readJson, validationError } from "../http/errors.js";
import { sha256Hex } from "../../models/hash.js";
import { sendAll } from "../queue/messages.js";
import { appendToSession, readConsent } from "../session/session-store.js";
import { EventsRequestDoc, EventsResponse, FeedbackResponse, errorResponses, jsonContent, keyOrUserToken } from "../http/schemas.js";

const eventsRoute = createRoute({
  method: "post",
  path: "/v1/events",
  tags: ["events"],
  summary: "Send interaction events (at most 500)",
  security: keyOrUserToken,
  request: { body: { content: { "application/json": { schema: EventsRequestDoc } }, required: true } },
  responses: {
    202: jsonContent(
      EventsResponse,
      "Accepted; invalid events are listed in `rejected`, events of users who turned personalisation off in `ignored` (stored nowhere)",
    ),
    ...errorResponses,
  },
});

const feedbackRoute = createRoute({
  method: "post",
  path: "/v1/feedback",
  tags: ["events"],
  summary: "Report an impression, click, conversion or dismissal of a recommended item",
  security: keyOrUserToken,
  request: { body: { content: { "application/json": { schema: FeedbackInputSchema } }, required: true } },
  responses: { 202: jsonContent(FeedbackResponse, "Accepted, or `ignored` (stored nowhere) when the user turned personalisation off"), ...errorResponses },
});

export function registerEventRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath(eventsRoute);
  app.openAPIRegistry.registerPath(feedbackRoute);

  app.post("/v1/events", requireAccess({ scope: "events:write", user: "body" }), async (c) => {
    const body = await readJson(c);
    if (typeof body !== "object" || body === null || Array.isArray(body) || !("events" in body)) {
      throw new ApiError(400, "invalid_request", 'events: required; send {"events": [...]}', "events");
    }
    const { events } = body as { events: unknown };
    if (!Array.isArray(events)) throw new ApiError(400, "invalid_request", "events: must be an array", "events");
    if (events.length === 0) throw new ApiError(400, "invalid_request", "events: must hold at least one event", "events");
    if (events.length > MAX_EVENTS_PER_REQUEST) {
      throw new ApiError(413, "batch_too_large", `events: at most ${MAX_EVENTS_PER_REQUEST} a request, got ${events.length}`, "events");
    }
    const extra = Object.keys(body).filter((k) => k !== "events");
    if (extra.length > 0) throw new ApiError(400, "invalid_request", `${extra[0]}: unknown field`, extra[0]);
    const result = await c.get("timing").measure("intake", () => acceptEvents(c.env, edgeConfig(c.env), events, Date.now(), c.get("requestId")));
    const { degraded, ignored, ...rest } = result;
    // Both only when non-empty, so answers of clients that never meet them stay as they were.
    return c.json({ ...rest, ...(ignored.length > 0 ? { ignored } : {}), ...(degraded.length > 0 ? { degraded } : {}) }, 202);
  });

  app.post("/v1/feedback", requireAccess({ scope: "events:write", user: "body" }), async (c) => {
    const parsed = FeedbackInputSchema.safeParse(await readJson(c));
    if (!parsed.success) throw validationError(parsed.error);
    const now = Date.now();
    const f = parsed.data;
    const ts = f.ts === undefined ? now : timestampToMs(f.ts);
    const feedback_id = `fb-${await sha256Hex([f.request_id, f.user_id, f.item_id, f.type].join("\u0000"), 16)}`;
    // Without consent the feedback is stored nowhere; an unreachable session object means the default (on).
    if ((await readConsent(c.env, f.user_id)) === false) {
      return c.json({ accepted: 0, feedback_id, ignored: [{ index: 0, reason: "consent" as const }] }, 202);
    }
    await sendAll(c.env.EVENTS_QUEUE, [
      { kind: "feedback", feedback: { feedback_id, request_id: f.request_id, user_id: f.user_id, item_id: f.item_id, type: f.type, ts, received_at: now } },
    ]);
    if (f.type === "dismiss") {
      // A dismissal must take effect on the very next list, so it goes to the session too.
      await appendToSession(
        c.env,
        f.user_id,
        [{ event_id: feedback_id, item_id: f.item_id, type: "dismiss", ts, session_id: null }],
        edgeConfig(c.env).consumedTypes,
        now,
      ).catch(() => undefined);
    }
    return c.json({ accepted: 1, feedback_id }, 202);
  });
}
