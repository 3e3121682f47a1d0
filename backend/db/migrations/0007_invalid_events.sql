CREATE TABLE "rejected_events" (
	"tally_id" text PRIMARY KEY NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL,
	"count" integer NOT NULL,
	"fields" jsonb NOT NULL,
	"ingested_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "rejected_events_ts_idx" ON "rejected_events" USING btree ("ts");