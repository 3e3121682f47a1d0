/**
 * Access to the user's session Durable Object with a time budget: a slow or failing
 * object degrades personalisation, it never fails the request.
 */
import type { AppendResult, SessionContext, SessionEvent } from "../../durable-objects/user-session.js";
import type { Env } from "../env.js";

export const SESSION_BUDGET_MS = 250;

export function sessionStub(env: Env, userId: string) {
  return env.USER_SESSION.get(env.USER_SESSION.idFromName(userId));
}

export async function appendToSession(env: Env, userId: string, events: SessionEvent[], consumedTypes: string[], receivedAt?: number): Promise<AppendResult> {
  return await sessionStub(env, userId).append(events, consumedTypes, receivedAt);
}

/**
 * Whether the user allows personalisation, within the session budget. Null when the
 * object cannot answer: the caller decides (intake keeps the data, default on).
 */
export async function readConsent(env: Env, userId: string): Promise<boolean | null> {
  try {
    return (await withBudget(sessionStub(env, userId).consent(), SESSION_BUDGET_MS)).personalisation;
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "consent read failed", error: String(err) }));
    return null;
  }
}

export async function readSession(env: Env, userId: string): Promise<SessionContext | null> {
  try {
    return await withBudget(sessionStub(env, userId).context(), SESSION_BUDGET_MS);
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "session read failed", error: String(err) }));
    return null;
  }
}

export function withBudget<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
