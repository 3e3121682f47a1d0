/**
 * What a manifest must hold beyond its schema for the edge to serve it: the schema checks
 * each field, these check that the files fit together. The admin API refuses such a
 * manifest at upload and the loader refuses it again, since R2 can be written directly.
 */
import type { ArtifactRole, Manifest } from "../../models/model-manifest.js";

export interface ManifestProblem {
  field: string;
  message: string;
}

export function manifestProblem(manifest: Manifest): ManifestProblem | null {
  const names = new Set<string>();
  const roles = new Set<ArtifactRole>();
  for (const [i, f] of manifest.files.entries()) {
    if (names.has(f.name)) return { field: `files.${i}.name`, message: `file ${f.name} is listed twice` };
    // The edge looks files up by role; two files with one role would make the choice arbitrary.
    if (roles.has(f.role)) return { field: `files.${i}.role`, message: `role ${f.role} is given to more than one file` };
    names.add(f.name);
    roles.add(f.role);
  }
  const need = (role: ArtifactRole, why: string): ManifestProblem | null =>
    roles.has(role) ? null : { field: "files", message: `a file with role ${role} is required ${why}` };
  return (
    need("items", "(the item table every graph index refers to)") ??
    (manifest.retrieval.path === "in_process" ? need("retrieval", "for retrieval.path in_process") : need("fold_in", "for retrieval.path vector_store")) ??
    (manifest.scorer?.kind === "ease" ? need("item_weights", "for scorer ease") : null) ??
    (manifest.ordering === "ranker" && !manifest.ranker ? { field: "ordering", message: "is ranker, but the version ships no ranker" } : null) ??
    (manifest.ranker
      ? need("ranker", "when ranker is set")
      : roles.has("ranker")
        ? { field: "ranker", message: "must list the ranker's features when a ranker file is shipped" }
        : null)
  );
}
