/**
 * The zod-openapi `defaultHook`: turns a failed validation into the API's error shape,
 * naming the first offending field (`items.3.title`, `limit`, `itemId`).
 */
import type { Hook } from "@hono/zod-openapi";
import type { z } from "zod";
import { ApiError } from "./api-error.js";
import type { AppEnv } from "./app-env.js";

type Target = "json" | "query" | "param" | "header" | "cookie" | "form";

export const validationHook: Hook<unknown, AppEnv, string, void> = (result) => {
  if (result.success) return;
  const issue = mostSpecific(result.error.issues[0]);
  if (!issue) throw new ApiError(400, "invalid_request", "invalid request");
  const field = fieldOf(result.target as Target, issue);
  throw new ApiError(400, "invalid_request", `${field}: ${messageOf(issue)}`, field);
};

/**
 * A union failure ("ISO-8601 text or epoch ms") reports one issue per branch; the one
 * that is not a plain type mismatch says what was actually wrong with the value.
 */
function mostSpecific(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (issue?.code !== "invalid_union" || issue.errors.length === 0) return issue;
  const branches = issue.errors.flat();
  const specific = branches.find((b) => b.code !== "invalid_type");
  if (!specific) return issue;
  return { ...specific, path: [...issue.path, ...specific.path] };
}

function fieldOf(target: Target, issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  // An unknown key is reported on its parent object; the key itself is the offending field.
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  if (path.length > 0) return path.join(".");
  return target === "json" ? "body" : target;
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return "is not a known field";
  if (issue.code === "invalid_union") return "does not match any accepted form";
  return issue.message;
}
