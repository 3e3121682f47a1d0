CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "feedback" (
	"feedback_id" text PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"user_id" text NOT NULL,
	"item_id" text NOT NULL,
	"type" text NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interactions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"user_id" text NOT NULL,
	"item_id" text NOT NULL,
	"type" text NOT NULL,
	"value" double precision,
	"ts" timestamp (3) with time zone NOT NULL,
	"session_id" text,
	"context" jsonb,
	"ingested_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "interactions_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "items" (
	"item_id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"category" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"price" double precision,
	"available" boolean DEFAULT true NOT NULL,
	"attributes" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "served_lists" (
	"request_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"model_version" text NOT NULL,
	"context" text,
	"items" text[] NOT NULL,
	"degraded" text[] NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"first_seen_at" timestamp (3) with time zone NOT NULL,
	"last_seen_at" timestamp (3) with time zone NOT NULL,
	"event_count" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "feedback_request_id_idx" ON "feedback" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "feedback_user_id_idx" ON "feedback" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "interactions_user_id_ts_idx" ON "interactions" USING btree ("user_id","ts");--> statement-breakpoint
CREATE INDEX "interactions_item_id_idx" ON "interactions" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "interactions_ts_idx" ON "interactions" USING btree ("ts");--> statement-breakpoint
CREATE INDEX "items_category_item_id_idx" ON "items" USING btree ("category","item_id");--> statement-breakpoint
CREATE INDEX "items_updated_at_idx" ON "items" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "served_lists_user_id_idx" ON "served_lists" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "served_lists_ts_idx" ON "served_lists" USING btree ("ts");