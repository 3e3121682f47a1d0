/**
 * A whole number that may arrive as text (query parameters, lenient JSON clients).
 *
 * z.coerce.number() takes anything Number() does — "0x10", "1e2", " 5", "" — so a typo
 * or an injection attempt would be read as some number. Only plain decimal digits are
 * converted here; everything else is refused with the one message.
 */
import { z } from "zod";

export function wholeNumberParam(min: number, max: number, message = `must be a whole number between ${min} and ${max}`) {
  return z.preprocess(
    (v) => (typeof v === "string" && /^[0-9]{1,15}$/.test(v) ? Number(v) : v),
    z.number({ message }).int({ message }).min(min, { message }).max(max, { message }),
  );
}
