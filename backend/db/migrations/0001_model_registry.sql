CREATE TABLE "model_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"version" text NOT NULL,
	"action" text NOT NULL,
	"actor" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_events_action_check" CHECK ("model_events"."action" in ('trained', 'published', 'promoted', 'rolled_back', 'rejected'))
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"version" text PRIMARY KEY NOT NULL,
	"model_type" text NOT NULL,
	"status" text NOT NULL,
	"params" jsonb NOT NULL,
	"data_window" jsonb NOT NULL,
	"metrics" jsonb NOT NULL,
	"baseline_metrics" jsonb NOT NULL,
	"gate" jsonb,
	"artifacts" jsonb NOT NULL,
	"manifest_sha256" text,
	"parent_version" text,
	"training_id" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp (3) with time zone,
	"promoted_at" timestamp (3) with time zone,
	CONSTRAINT "model_versions_status_check" CHECK ("model_versions"."status" in ('candidate', 'champion', 'retired', 'rejected', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "training_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"model_type" text NOT NULL,
	"trigger" text NOT NULL,
	"window" jsonb NOT NULL,
	"progress" real DEFAULT 0 NOT NULL,
	"message" text DEFAULT 'queued' NOT NULL,
	"version" text,
	"metrics" jsonb,
	"error" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	CONSTRAINT "training_jobs_status_check" CHECK ("training_jobs"."status" in ('queued', 'running', 'succeeded', 'failed')),
	CONSTRAINT "training_jobs_trigger_check" CHECK ("training_jobs"."trigger" in ('api', 'schedule', 'startup')),
	CONSTRAINT "training_jobs_progress_check" CHECK ("training_jobs"."progress" >= 0 and "training_jobs"."progress" <= 1)
);
--> statement-breakpoint
ALTER TABLE "model_events" ADD CONSTRAINT "model_events_version_model_versions_version_fk" FOREIGN KEY ("version") REFERENCES "public"."model_versions"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_training_id_training_jobs_id_fk" FOREIGN KEY ("training_id") REFERENCES "public"."training_jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "model_events_version_idx" ON "model_events" USING btree ("version","id");--> statement-breakpoint
CREATE INDEX "model_versions_created_at_idx" ON "model_versions" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_champion_idx" ON "model_versions" USING btree ("status") WHERE "model_versions"."status" = 'champion';--> statement-breakpoint
CREATE INDEX "training_jobs_status_created_at_idx" ON "training_jobs" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "training_jobs_created_at_idx" ON "training_jobs" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "training_jobs_one_running_idx" ON "training_jobs" USING btree ("status") WHERE "training_jobs"."status" = 'running';