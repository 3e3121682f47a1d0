/**
 * Charts drawn with uPlot (bundled into the dashboard's script, served from our own
 * origin). Two shapes: lines over time, and lines with a shaded confidence band each.
 */
import uPlot from "uplot";

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];

export interface LineSeries {
  label: string;
  values: ReadonlyArray<number | null>;
}

export interface BandSeries extends LineSeries {
  lower: ReadonlyArray<number | null>;
  upper: ReadonlyArray<number | null>;
}

/** `times` in seconds since the epoch; one value per time in every series. */
export function lineChart(target: HTMLElement, title: string, times: readonly number[], series: readonly LineSeries[]): uPlot {
  const opts: uPlot.Options = {
    title,
    width: chartWidth(target),
    height: 260,
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: colour(i), width: 2, points: { show: true } }))],
    axes: [{}, { size: 60 }],
    ...singlePointScale(times),
  };
  return new uPlot(opts, [times as number[], ...series.map((s) => s.values as (number | null)[])], target);
}

/** Each series drawn as a line between its own lower and upper edges, the band shaded in its colour. */
export function bandChart(target: HTMLElement, title: string, times: readonly number[], series: readonly BandSeries[], format: (v: number) => string): uPlot {
  const uSeries: uPlot.Series[] = [{}];
  const ys: (number | null)[][] = [];
  const bands: uPlot.Band[] = [];
  series.forEach((s, i) => {
    const base = ys.length + 1;
    uSeries.push(
      { label: s.label, stroke: colour(i), width: 2, points: { show: true }, value: (_u, v) => (v === null ? "–" : format(v)) },
      { label: `${s.label} upper`, stroke: colour(i, 0.35), width: 1, dash: [4, 4], value: (_u, v) => (v === null ? "–" : format(v)) },
      { label: `${s.label} lower`, stroke: colour(i, 0.35), width: 1, dash: [4, 4], value: (_u, v) => (v === null ? "–" : format(v)) },
    );
    ys.push(s.values as (number | null)[], s.upper as (number | null)[], s.lower as (number | null)[]);
    bands.push({ series: [base + 1, base + 2], fill: colour(i, 0.15) });
  });
  const opts: uPlot.Options = {
    title,
    width: chartWidth(target),
    height: 300,
    series: uSeries,
    bands,
    axes: [{}, { size: 70, values: (_u, splits) => splits.map(format) }],
  };
  return new uPlot(opts, [times as number[], ...ys], target);
}

/** One point in time (a registry with one version) would otherwise stretch the time axis over years: an hour either side. */
function singlePointScale(times: readonly number[]): Pick<uPlot.Options, "scales"> {
  const first = times[0];
  if (first === undefined || times.some((t) => t !== first)) return {};
  return { scales: { x: { time: true, auto: false, range: [first - 3600, first + 3600] } } };
}

function colour(i: number, alpha = 1): string {
  const hex = PALETTE[i % PALETTE.length] as string;
  if (alpha === 1) return hex;
  const [r, g, b] = [1, 3, 5].map((k) => Number.parseInt(hex.slice(k, k + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function chartWidth(target: HTMLElement): number {
  return Math.max(320, Math.min(960, target.clientWidth || 900));
}
