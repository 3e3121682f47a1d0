CREATE TABLE "canaries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"version" text NOT NULL,
	"experiment_id" text NOT NULL,
	"champion_version" text NOT NULL,
	"traffic_percent" integer NOT NULL,
	"min_impressions" integer NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp (3) with time zone,
	CONSTRAINT "canaries_experiment_id_unique" UNIQUE("experiment_id"),
	CONSTRAINT "canaries_status_check" CHECK ("canaries"."status" in ('running', 'promoted', 'rolled_back')),
	CONSTRAINT "canaries_traffic_percent_check" CHECK ("canaries"."traffic_percent" between 1 and 50),
	CONSTRAINT "canaries_min_impressions_check" CHECK ("canaries"."min_impressions" >= 1)
);
--> statement-breakpoint
ALTER TABLE "experiment_events" DROP CONSTRAINT "experiment_events_action_check";--> statement-breakpoint
ALTER TABLE "model_events" DROP CONSTRAINT "model_events_action_check";--> statement-breakpoint
ALTER TABLE "canaries" ADD CONSTRAINT "canaries_version_model_versions_version_fk" FOREIGN KEY ("version") REFERENCES "public"."model_versions"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "canaries" ADD CONSTRAINT "canaries_experiment_id_experiments_id_fk" FOREIGN KEY ("experiment_id") REFERENCES "public"."experiments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "canaries" ADD CONSTRAINT "canaries_champion_version_model_versions_version_fk" FOREIGN KEY ("champion_version") REFERENCES "public"."model_versions"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "canaries_version_idx" ON "canaries" USING btree ("version");--> statement-breakpoint
CREATE INDEX "canaries_created_at_idx" ON "canaries" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "canaries_one_running_idx" ON "canaries" USING btree ("status") WHERE "canaries"."status" = 'running';--> statement-breakpoint
ALTER TABLE "experiment_events" ADD CONSTRAINT "experiment_events_action_check" CHECK ("experiment_events"."action" in ('created', 'updated', 'started', 'stopped', 'published', 'canary_promoted', 'canary_rolled_back'));--> statement-breakpoint
ALTER TABLE "model_events" ADD CONSTRAINT "model_events_action_check" CHECK ("model_events"."action" in ('trained', 'published', 'promoted', 'rolled_back', 'rejected', 'canary_started', 'canary_rolled_back', 'canary_ended'));