/** Worker entry: the HTTP API and the queue consumer, plus the Durable Object classes. */
import { createApp } from "./app.js";
import type { Env } from "./env.js";
import { handleQueue } from "./queue/consumer.js";

export { RateLimiter } from "../durable-objects/rate-limiter.js";
export { UserSession } from "../durable-objects/user-session.js";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
} satisfies ExportedHandler<Env>;
