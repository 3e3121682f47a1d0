/**
 * The champion's recipe as its version recorded it (params.recipe, train-candidate.ts),
 * read back from the registry's JSON. Versions trained before recipes were recorded, or
 * by another trainer, have none: the gates then use the champion's stored figures.
 */
import { z } from "zod";
import { ORDERINGS } from "../../models/candidates.js";
import type { Db } from "../db/client.js";
import { currentChampion } from "../registry/model-registry.js";
import type { Recipe } from "../training/pipeline.js";

const RecipeSchema = z.object({
  scorer: z.enum(["ials", "ease"]),
  ordering: z.enum(ORDERINGS),
  ease: z.object({ lambda: z.number().positive(), dropout: z.number().min(0).lt(1), keep: z.number().int().positive() }).nullable(),
  factors: z.number().int().positive(),
  ials: z.object({ regularization: z.number().positive(), exponent: z.number().min(0).max(2), alpha: z.number().min(0) }).optional(),
});

export function recipeFrom(params: Record<string, unknown>): Recipe | null {
  const parsed = RecipeSchema.safeParse(params.recipe);
  return parsed.success ? parsed.data : null;
}

export async function championRecipe(db: Db): Promise<{ version: string; recipe: Recipe } | null> {
  const champion = await currentChampion(db);
  const recipe = champion ? recipeFrom(champion.params) : null;
  return champion && recipe ? { version: champion.version, recipe } : null;
}
