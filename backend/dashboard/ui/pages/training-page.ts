/** Training jobs with live progress (polled while any is queued or running), and a button to start one. */
import { get, post } from "../api.js";
import type { TrainingJob } from "../api-types.js";
import { h, notice, section, table } from "../dom.js";
import { percent, time } from "../format.js";
import { every, type Page } from "../page.js";

const POLL_MS = 2000;

export const trainingPage: Page = async (root) => {
  const status = h("div", { class: "action-status" });
  const jobsBox = h("div", {});
  const draw = async () => {
    const { jobs } = await get<{ jobs: TrainingJob[] }>("/api/v1/recs/train?limit=50");
    jobsBox.replaceChildren(jobs.length === 0 ? notice("No training jobs yet.") : jobsTable(jobs));
    return jobs.some((j) => j.status === "queued" || j.status === "running");
  };
  const train = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        try {
          const job = await post<{ training_id: string; position: number }>("/api/v1/recs/train");
          status.replaceChildren(notice(`Queued ${job.training_id} (${job.position} ahead)`));
          await draw();
        } catch (error) {
          status.replaceChildren(notice(error instanceof Error ? error.message : String(error), "error"));
        }
      },
    },
    "Train now",
  );
  root.replaceChildren(h("p", {}, train), status, section("Jobs", jobsBox));
  await draw();
  // Keeps polling: a job started elsewhere (the schedule, the API) shows up too.
  return every(POLL_MS, async () => {
    await draw();
  });
};

function jobsTable(jobs: readonly TrainingJob[]): HTMLTableElement {
  return table(
    ["job", "status", "progress", "step", "version", "trigger", "queued", "finished"],
    jobs.map((j) => [
      h("code", {}, j.training_id.slice(0, 8)),
      h("span", { class: `badge ${j.status}` }, j.status),
      h("span", { class: "progress" }, h("progress", { max: 1, value: j.progress }), ` ${percent(j.progress, 0)}`),
      j.error ?? j.message,
      j.version ?? "–",
      j.trigger,
      time(j.created_at),
      time(j.finished_at),
    ]),
    { "data-table": "jobs" },
  );
}
