/**
 * Runs one of our Node services (gateway, backend) as a child process and waits until
 * it answers on its health URL. Tests use a real process, not an in-process import,
 * so the service runs exactly as `npm start` runs it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

export interface Service {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export async function spawnService(script: string, env: Record<string, string>, healthUrl: string, timeoutMs = 30_000): Promise<Service> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const service: Service = {
    child,
    output: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([once(child, "exit"), new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${script} exited early:\n${log}`);
    try {
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(1_000) });
      if (res.status < 500) return service;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  await service.stop();
  throw new Error(`${script} did not answer ${healthUrl} within ${timeoutMs} ms:\n${log}`);
}
