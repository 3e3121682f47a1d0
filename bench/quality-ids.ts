/**
 * Dataset ids as the public API accepts them (models/events.ts: `A-Za-z0-9._:@|-`), and
 * back. Online Retail has stock codes such as "BANK CHARGES"; each character outside the
 * alphabet becomes `_`. Two ids that would become one are an error, never a silent merge.
 */
const OUTSIDE = /[^A-Za-z0-9._:@|-]/g;

export interface ApiIds {
  toApi(id: string): string;
  fromApi(id: string): string;
}

export function apiIds(all: Iterable<string>): ApiIds {
  const back = new Map<string, string>();
  for (const id of all) {
    const api = id.replace(OUTSIDE, "_");
    const seen = back.get(api);
    if (seen !== undefined && seen !== id) throw new Error(`ids "${seen}" and "${id}" would both be sent as "${api}"`);
    back.set(api, id);
  }
  return {
    toApi: (id) => id.replace(OUTSIDE, "_"),
    fromApi: (id) => back.get(id) ?? id,
  };
}
