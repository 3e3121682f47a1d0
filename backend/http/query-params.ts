/** Query parameters shared by list endpoints. */
import { wholeNumberParam } from "../../models/whole-number-param.js";

/** `?limit=`: an integer in [1, max]; one message for every way it can be wrong. */
export function limitParam(max: number, fallback: number) {
  const message = `must be an integer between 1 and ${max}`;
  return wholeNumberParam(1, max, message).default(fallback);
}
