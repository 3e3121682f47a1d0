/**
 * What the runner verifies about a trainer's output before recording it: the registry
 * and the edge must never hold a version whose manifest disagrees with its files. A
 * mismatch here is a trainer bug, caught while it is still cheap (nothing uploaded).
 */
import { sha256OfBytes } from "../../models/hash.js";
import { ManifestSchema, ModelVersionSchema } from "../../models/model-manifest.js";
import type { TrainedCandidate, TrainingRequest } from "./types.js";

export async function candidateProblems(c: TrainedCandidate, req: TrainingRequest): Promise<string[]> {
  const problems: string[] = [];
  if (!ModelVersionSchema.safeParse(c.version).success) problems.push(`version "${c.version}" is not a valid version name`);
  if (c.modelType !== req.modelType) problems.push(`model type "${c.modelType}" was returned for a "${req.modelType}" request`);
  const manifest = ManifestSchema.safeParse(c.manifest);
  if (!manifest.success) problems.push(`the manifest is invalid: ${manifest.error.issues[0]?.message ?? "unknown"}`);
  if (c.manifest.version !== c.version) problems.push(`the manifest names version "${c.manifest.version}"`);
  problems.push(...(await artifactProblems(c)));
  return problems;
}

async function artifactProblems(c: TrainedCandidate): Promise<string[]> {
  const problems: string[] = [];
  if (c.artifacts.length === 0) problems.push("there are no artifacts");
  for (const a of c.artifacts) {
    const actual = await sha256OfBytes(a.bytes);
    if (actual !== a.sha256) problems.push(`artifact "${a.name}" does not match its sha256`);
    const listed = c.manifest.files.find((f) => f.name === a.name);
    if (!listed || listed.sha256 !== actual || listed.bytes !== a.bytes.byteLength || listed.role !== a.role) {
      problems.push(`artifact "${a.name}" is not listed in the manifest as it is`);
    }
  }
  for (const f of c.manifest.files) {
    if (!c.artifacts.some((a) => a.name === f.name)) problems.push(`the manifest lists "${f.name}", which is not among the artifacts`);
  }
  return problems;
}
