CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"request_id" text
);
--> statement-breakpoint
CREATE TABLE "erased_users" (
	"user_hash" text PRIMARY KEY NOT NULL,
	"erased_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shadow_lists" (
	"request_id" text NOT NULL,
	"model_version" text NOT NULL,
	"user_id" text NOT NULL,
	"items" text[] NOT NULL,
	"latency_ms" integer,
	"ts" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "shadow_lists_request_id_model_version_pk" PRIMARY KEY("request_id","model_version")
);
--> statement-breakpoint
CREATE TABLE "shadows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"version" text NOT NULL,
	"champion_version" text NOT NULL,
	"sample_percent" integer NOT NULL,
	"status" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp (3) with time zone,
	CONSTRAINT "shadows_status_check" CHECK ("shadows"."status" in ('running', 'stopped')),
	CONSTRAINT "shadows_sample_percent_check" CHECK ("shadows"."sample_percent" between 1 and 100)
);
--> statement-breakpoint
ALTER TABLE "model_events" DROP CONSTRAINT "model_events_action_check";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "created_by" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "replaced_by" text;--> statement-breakpoint
ALTER TABLE "served_lists" ADD COLUMN "latency_ms" integer;--> statement-breakpoint
ALTER TABLE "shadows" ADD CONSTRAINT "shadows_version_model_versions_version_fk" FOREIGN KEY ("version") REFERENCES "public"."model_versions"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadows" ADD CONSTRAINT "shadows_champion_version_model_versions_version_fk" FOREIGN KEY ("champion_version") REFERENCES "public"."model_versions"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "audit_log" USING btree ("action","id");--> statement-breakpoint
CREATE INDEX "shadow_lists_user_id_idx" ON "shadow_lists" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "shadow_lists_version_ts_idx" ON "shadow_lists" USING btree ("model_version","ts");--> statement-breakpoint
CREATE INDEX "shadows_version_idx" ON "shadows" USING btree ("version");--> statement-breakpoint
CREATE UNIQUE INDEX "shadows_one_running_idx" ON "shadows" USING btree ("status") WHERE "shadows"."status" = 'running';--> statement-breakpoint
ALTER TABLE "model_events" ADD CONSTRAINT "model_events_action_check" CHECK ("model_events"."action" in ('trained', 'published', 'promoted', 'rolled_back', 'rejected', 'canary_started', 'canary_rolled_back', 'canary_ended', 'shadow_started', 'shadow_stopped'));