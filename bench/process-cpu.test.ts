import { describe, expect, it } from "vitest";
import { cpuRows, cpuSecondsBetween, groupOf, parseProcStat, sampleCpu } from "./process-cpu.js";

describe("process CPU accounting", () => {
  it("reads utime + stime from a stat line whose comm holds spaces and parentheses", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const line = "4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 1 0 99 0 0";
    expect(parseProcStat(line)).toEqual({ pid: 4242, comm: "my (odd) proc", ticks: 1290 });
    expect(parseProcStat("garbage")).toBeNull();
  });

  it("groups the stack's processes and ignores the rest", () => {
    const named = { 1: "this process (backend, gateway)", 2: "load generator" };
    expect(groupOf("workerd", "/x/workerd serve", 10, named)).toBe("workerd (edge)");
    expect(groupOf("postgres", "postgres: test test 127.0.0.1", 11, named)).toBe("postgres");
    expect(groupOf("node", "node /x/node_modules/.bin/wrangler dev", 12, named)).toBe("wrangler dev proxy");
    expect(groupOf("node", "node bench/recs-load.ts", 1, named)).toBe("this process (backend, gateway)");
    expect(groupOf("node", "node --import tsx bench/recs-client.ts", 2, named)).toBe("load generator");
    expect(groupOf("bash", "bash", 13, named)).toBeNull();
  });

  it("sums the ticks used per group between two samples", () => {
    const before = new Map([
      [1, { group: "workerd (edge)", ticks: 100 }],
      [2, { group: "postgres", ticks: 50 }],
    ]);
    const after = new Map([
      [1, { group: "workerd (edge)", ticks: 400 }],
      [2, { group: "postgres", ticks: 70 }],
      [3, { group: "postgres", ticks: 30 }],
    ]);
    const s = cpuSecondsBetween(before, after);
    expect(s.get("workerd (edge)")).toBeCloseTo(3, 9);
    expect(s.get("postgres")).toBeCloseTo(0.5, 9);
    expect(cpuRows(s, 10, 1000, "event")["cpu workerd (edge)"]).toBe("3.0 s (30 % of a core), 3.000 ms per event");
  });

  it("sees its own process on this machine", () => {
    const sample = sampleCpu();
    expect(sample.get(process.pid)?.group).toBe("this process (backend, gateway, load)");
  });
});
