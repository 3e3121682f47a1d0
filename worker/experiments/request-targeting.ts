/**
 * What targeting can see of a request: its context, the caller's country (Cloudflare's
 * `cf.country`), a coarse device class from the User-Agent, and whether the unit has
 * history. Device detection is deliberately crude (three classes): it only has to split
 * traffic consistently, not identify hardware.
 */
import type { TargetingRequest } from "../../models/experiments/assignment.js";

export function deviceOf(userAgent: string | null): "desktop" | "mobile" | "tablet" | null {
  if (!userAgent) return null;
  if (/iPad|Tablet|Android(?!.*Mobile)/i.test(userAgent)) return "tablet";
  if (/Mobi|iPhone|Android/i.test(userAgent)) return "mobile";
  return "desktop";
}

/** `returning` is filled in once the session is read (assign-experiment.ts). */
export function targetingRequest(req: Request, context: string | null): TargetingRequest {
  const cf = (req as Request & { cf?: { country?: unknown } }).cf;
  return {
    context,
    country: typeof cf?.country === "string" ? cf.country : null,
    device: deviceOf(req.headers.get("user-agent")),
    returning: null,
  };
}
