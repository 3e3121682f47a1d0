CREATE TABLE "experiment_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"experiment_id" text NOT NULL,
	"action" text NOT NULL,
	"actor" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "experiment_events_action_check" CHECK ("experiment_events"."action" in ('created', 'updated', 'started', 'stopped', 'published'))
);
--> statement-breakpoint
CREATE TABLE "experiments" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"hypothesis" text,
	"status" text NOT NULL,
	"config" jsonb NOT NULL,
	"sequential_state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (3) with time zone,
	"stopped_at" timestamp (3) with time zone,
	CONSTRAINT "experiments_status_check" CHECK ("experiments"."status" in ('draft', 'running', 'stopped'))
);
--> statement-breakpoint
ALTER TABLE "served_lists" ADD COLUMN "experiment_id" text;--> statement-breakpoint
ALTER TABLE "served_lists" ADD COLUMN "variant" text;--> statement-breakpoint
ALTER TABLE "experiment_events" ADD CONSTRAINT "experiment_events_experiment_id_experiments_id_fk" FOREIGN KEY ("experiment_id") REFERENCES "public"."experiments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "experiment_events_experiment_idx" ON "experiment_events" USING btree ("experiment_id","id");--> statement-breakpoint
CREATE INDEX "experiments_status_idx" ON "experiments" USING btree ("status");--> statement-breakpoint
CREATE INDEX "experiments_created_at_idx" ON "experiments" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "served_lists_experiment_variant_idx" ON "served_lists" USING btree ("experiment_id","variant");