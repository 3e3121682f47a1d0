import WebSocket from "ws";
import { benchTarget } from "../bench/bench-stack.js";
import { forkLoadClient } from "../bench/recs-client.js";

const { url, key, stack } = await benchTarget(38787, 5);
try {
  const load = forkLoadClient();
  await load.phase({ url, key, concurrency: 1, seconds: 3, record: false, newUserShare: 0 });
  const targets = (await (await fetch("http://127.0.0.1:38790/json")).json()) as Array<{ webSocketDebuggerUrl: string; title: string }>;
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((r) => ws.once("open", r));
  let id = 0;
  const pending = new Map<number, (v: any) => void>();
  ws.on("message", (m) => {
    const msg = JSON.parse(String(m));
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)!(msg.result);
      pending.delete(msg.id);
    }
  });
  const send = (method: string, params: object = {}) =>
    new Promise<any>((r) => {
      const i = ++id;
      pending.set(i, r);
      ws.send(JSON.stringify({ id: i, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  await send("Profiler.start");
  const r = await load.phase({ url, key, concurrency: 1, seconds: 10, record: true, newUserShare: 0 });
  console.log("requests", r.latencies.length);
  const { profile } = await send("Profiler.stop");
  load.stop();
  const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]));
  const counts = new Map<number, number>();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  let total = 0;
  const self = new Map<string, number>();
  for (const [nid, c] of counts) {
    const cf = byId.get(nid).callFrame;
    const k = `${cf.functionName || "(anon)"} ${cf.url.split("/").slice(-1)[0]}:${cf.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + c);
    total += c;
  }
  console.log("samples", total);
  for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(((100 * c) / total).toFixed(1).padStart(5), k);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const ch of n.children ?? []) parent.set(ch, n.id);
  const incl = new Map<string, number>();
  for (const [nid, c] of counts) {
    const seen = new Set<string>();
    let cur: number | undefined = nid;
    while (cur !== undefined) {
      const n = byId.get(cur);
      const k = n.callFrame.functionName || "(anon)";
      if (!seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + c);
      }
      cur = parent.get(cur);
    }
  }
  console.log("--- inclusive");
  for (const [k, c] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 60)) console.log(((100 * c) / total).toFixed(1).padStart(5), k);
  ws.close();
} finally {
  await stack?.teardown();
}
