/**
 * The dashboard's browser code (ui/, TypeScript with uPlot) bundled by esbuild the
 * first time it is asked for, then kept in memory: no build step to forget, and the
 * page always matches the backend that serves it. The stylesheet is uPlot's own
 * followed by ours.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export interface DashboardAssets {
  script: string;
  stylesheet: string;
}

const UI = fileURLToPath(new URL("./ui/", import.meta.url));

let assets: Promise<DashboardAssets> | null = null;

export function dashboardAssets(): Promise<DashboardAssets> {
  assets ??= bundle().catch((error: unknown) => {
    assets = null; // a failed build is retried on the next request rather than cached
    throw error;
  });
  return assets;
}

async function bundle(): Promise<DashboardAssets> {
  // Loaded on the first request, so a backend nobody opens the dashboard on never starts esbuild.
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [`${UI}main.ts`],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
    legalComments: "inline",
  });
  const script = result.outputFiles[0]?.text ?? "";
  const uplotCss = await readFile(createRequire(import.meta.url).resolve("uplot/dist/uPlot.min.css"), "utf8");
  const ours = await readFile(`${UI}dashboard.css`, "utf8");
  return { script, stylesheet: `${uplotCss}\n${ours}` };
}
