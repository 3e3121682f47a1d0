/**
 * GET and PUT /v1/users/{userId}/consent: whether the user allows personalisation. Held
 * in the user's session object; on by default. Off means: recommendations are
 * non-personal (trending and popular only, no history read, no experiment), served lists
 * are not logged, and events and feedback are stored nowhere (answered as `ignored`).
 * Turning it off does not erase what is already held — that is DELETE /v1/users/{userId}.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Consent } from "../../durable-objects/user-session.js";
import type { AppEnv } from "../http/app-types.js";
import { requireAccess } from "../http/auth.js";
import { ApiError } from "../http/errors.js";
import { UserIdParam, errorResponses, jsonContent, keyOrUserToken } from "../http/schemas.js";
import { sessionStub, withBudget } from "../session/session-store.js";

const CONSENT_BUDGET_MS = 2_000;

const ConsentBody = z
  .strictObject({
    personalisation: z.boolean({ message: "must be true or false" }).openapi({
      description: "false: no personal data is collected or used for this user from now on",
      example: false,
    }),
  })
  .openapi("ConsentUpdate");

const ConsentResponse = z
  .object({
    user_id: z.string(),
    personalisation: z.boolean(),
    updated_at: z.string().nullable().openapi({ format: "date-time", description: "Last change; null while never set (the default, on)" }),
  })
  .openapi("Consent");

const getRoute = createRoute({
  method: "get",
  path: "/v1/users/{userId}/consent",
  tags: ["users"],
  summary: "Whether the user allows personalisation (default: yes)",
  security: keyOrUserToken,
  // The user's own token, or a service key that writes events for users.
  middleware: [requireAccess({ scope: "events:write", user: "param" })] as const,
  request: { params: UserIdParam },
  responses: { 200: jsonContent(ConsentResponse, "The user's consent"), ...errorResponses },
});

const putRoute = createRoute({
  method: "put",
  path: "/v1/users/{userId}/consent",
  tags: ["users"],
  summary: "Turn personalisation on or off for a user",
  description: [
    "Off: recommendations for the user are non-personal (trending and popular only, `personalised: false`), no",
    "history is read, no experiment is assigned, served lists are not logged, and the user's events and feedback are",
    "stored nowhere (answered 202 with them in `ignored`, reason `consent`). Data already held is kept unused until",
    "consent is turned back on or the user is erased (DELETE /v1/users/{userId}).",
  ].join(" "),
  security: keyOrUserToken,
  // The user's own token, or a service key that writes events for users.
  middleware: [requireAccess({ scope: "events:write", user: "param" })] as const,
  request: { params: UserIdParam, body: { content: { "application/json": { schema: ConsentBody } }, required: true } },
  responses: { 200: jsonContent(ConsentResponse, "The consent now held"), ...errorResponses },
});

export function registerConsentRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getRoute, async (c) => {
    const { userId } = c.req.valid("param");
    return c.json(answer(userId, await reach(() => sessionStub(c.env, userId).consent())), 200);
  });

  app.openapi(putRoute, async (c) => {
    const { userId } = c.req.valid("param");
    const { personalisation } = c.req.valid("json");
    return c.json(answer(userId, await reach(() => sessionStub(c.env, userId).setConsent(personalisation, Date.now()))), 200);
  });
}

function answer(userId: string, consent: Consent) {
  return {
    user_id: userId,
    personalisation: consent.personalisation,
    updated_at: consent.updated_at === null ? null : new Date(consent.updated_at).toISOString(),
  };
}

/** Consent is the session object's to keep; if it cannot be reached the client retries. */
async function reach(call: () => Promise<Consent>): Promise<Consent> {
  try {
    return await withBudget(call(), CONSENT_BUDGET_MS);
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "consent store unreachable", error: String(err) }));
    throw new ApiError(503, "session_unavailable", "the consent store could not be reached; retry", undefined, { "retry-after": "1" });
  }
}
