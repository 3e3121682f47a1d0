/**
 * The operator dashboard: a hash-routed page per area, each drawn from the admin API
 * with the key typed in at the top. Served by the backend at /dashboard.
 */
import { ApiFailure, storedKey, storeKey } from "./api.js";
import { h, notice } from "./dom.js";
import type { Page } from "./page.js";
import { dataQualityPage } from "./pages/data-quality-page.js";
import { experimentPage, experimentsPage } from "./pages/experiments-page.js";
import { livePage } from "./pages/live-page.js";
import { modelsPage } from "./pages/models-page.js";
import { rolloutsPage } from "./pages/rollouts-page.js";
import { trainingPage } from "./pages/training-page.js";

const ROUTES: ReadonlyArray<{ path: string; title: string; page: Page; nav: boolean }> = [
  { path: "models", title: "Models", page: modelsPage, nav: true },
  { path: "training", title: "Training", page: trainingPage, nav: true },
  { path: "experiments", title: "Experiments", page: experimentsPage, nav: true },
  { path: "experiment", title: "Experiment", page: experimentPage, nav: false },
  { path: "rollouts", title: "Canaries & shadows", page: rolloutsPage, nav: true },
  { path: "live", title: "Live", page: livePage, nav: true },
  { path: "data-quality", title: "Data quality", page: dataQualityPage, nav: true },
];

let stopPage: (() => void) | undefined;

function shell(): { main: HTMLElement; nav: HTMLElement } {
  const nav = h("nav", {}, ...ROUTES.filter((r) => r.nav).map((r) => h("a", { href: `#/${r.path}`, "data-route": r.path }, r.title)));
  const keyForm = h(
    "form",
    { class: "key-form", onsubmit: (e: Event) => signIn(e) },
    h("input", { type: "password", name: "key", placeholder: "admin API key (rk_…)", autocomplete: "off", "aria-label": "Admin API key" }),
    h("button", { type: "submit" }, "Use key"),
    h("button", { type: "button", class: "secondary", onclick: () => signOut() }, "Forget key"),
  );
  const main = h("main", { id: "page" });
  document.body.replaceChildren(h("header", {}, h("h1", {}, "Recommendations"), nav, keyForm), main);
  return { main, nav };
}

function signIn(e: Event): void {
  e.preventDefault();
  const input = (e.target as HTMLFormElement).elements.namedItem("key") as HTMLInputElement;
  if (input.value.trim() === "") return;
  storeKey(input.value.trim());
  input.value = "";
  void route();
}

function signOut(): void {
  storeKey(null);
  void route();
}

const { main, nav } = shell();

async function route(): Promise<void> {
  stopPage?.();
  stopPage = undefined;
  const [path = "models", ...params] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const target = ROUTES.find((r) => r.path === path) ?? (ROUTES[0] as (typeof ROUTES)[number]);
  for (const a of nav.querySelectorAll("a")) a.classList.toggle("active", a.dataset.route === target.path);
  document.title = `${target.title} · Recommendations dashboard`;
  if (!storedKey()) {
    main.replaceChildren(notice("Enter an admin API key above. It is kept in this tab only and sent to this backend's API."));
    return;
  }
  const root = h("div", { class: "page", "data-page": target.path, "aria-busy": "true" });
  main.replaceChildren(root);
  try {
    stopPage = await target.page(root, params, { refresh: () => void route() });
  } catch (error) {
    root.replaceChildren(notice(describe(error), "error"));
  } finally {
    root.setAttribute("aria-busy", "false");
  }
}

function describe(error: unknown): string {
  if (error instanceof ApiFailure) {
    if (error.status === 401) return "The key was not accepted (401). Enter a valid admin API key.";
    if (error.status === 403) return "This key lacks the scope this page needs (403); use an admin key.";
    if (error.status === 404) return `Not available on this backend: ${error.message}`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

window.addEventListener("hashchange", () => void route());
void route();
