import { DEVELOPMENT_SIGNING_SECRET } from "../models/manifest-signature.js";
import { DEV_USER_ID_HASH_KEY } from "../models/user-hash.js";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8788,
      host: "127.0.0.1",
      databaseUrl: "",
      dataDir: ".data",
      redisRestUrl: "http://127.0.0.1:8079",
      edgeUrl: "http://127.0.0.1:8787",
      environment: "development",
      isProduction: false,
      corsOrigins: [],
      localAdminKey: null,
      localClientKey: null,
    });
  });

  it("reads values, trims trailing slashes and parses the CORS allow-list", () => {
    const config = loadConfig({
      PORT: "9000",
      EDGE_URL: "http://edge.local:8787/",
      CORS_ORIGINS: "http://localhost:3000, https://shop.example/",
      RECS_LOCAL_ADMIN_KEY: "rk_local_admin_123",
    });
    expect(config.port).toBe(9000);
    expect(config.edgeUrl).toBe("http://edge.local:8787");
    expect(config.corsOrigins).toEqual(["http://localhost:3000", "https://shop.example"]);
    expect(config.localAdminKey).toBe("rk_local_admin_123");
  });

  it.each([
    [{ PORT: "abc" }, /PORT/],
    [{ PORT: "70000" }, /PORT/],
    [{ UPSTASH_REDIS_REST_URL: "redis://x" }, /UPSTASH_REDIS_REST_URL must be an http/],
    [{ DATABASE_URL: "mysql://x/y" }, /unsupported scheme/],
    [{ CORS_ORIGINS: "https://a.example/path" }, /CORS_ORIGINS entry "https:\/\/a.example\/path"/],
    [{ ENVIRONMENT: "Prod uction" }, /ENVIRONMENT/],
    [{ BACKEND_TOKEN: "has space" }, /BACKEND_TOKEN must not contain whitespace/],
    [{ GATE_MAX_REGRESSION: "1" }, /GATE_MAX_REGRESSION must be a fraction in \[0, 1\)/],
    [{ GATE_MAX_REGRESSION: "2%" }, /GATE_MAX_REGRESSION/],
    [{ TRAIN_INTERVAL_HOURS: "-1" }, /TRAIN_INTERVAL_HOURS must be a number of hours/],
    [{ TRAIN_ON_START: "maybe" }, /TRAIN_ON_START must be true or false/],
  ])("rejects %o with a one-line error", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });

  it("reads the training settings, defaulting to daily training, training on start and a 2% gate", () => {
    expect(loadConfig({})).toMatchObject({ gateMaxRegression: 0.02, trainIntervalHours: 24, trainOnStart: true });
    expect(loadConfig({ GATE_MAX_REGRESSION: "0", TRAIN_INTERVAL_HOURS: "0", TRAIN_ON_START: "false" })).toMatchObject({
      gateMaxRegression: 0,
      trainIntervalHours: 0,
      trainOnStart: false,
    });
    expect(loadConfig({ TRAIN_ON_START: "0", TRAIN_INTERVAL_HOURS: "1.5" })).toMatchObject({ trainOnStart: false, trainIntervalHours: 1.5 });
  });

  it("reads the attribution window, 24 hours by default", () => {
    expect(loadConfig({}).attributionWindowHours).toBe(24);
    expect(loadConfig({ ATTRIBUTION_WINDOW_HOURS: "1.5" }).attributionWindowHours).toBe(1.5);
    expect(() => loadConfig({ ATTRIBUTION_WINDOW_HOURS: "0" })).toThrow("ATTRIBUTION_WINDOW_HOURS must be more than 0 hours");
    expect(() => loadConfig({ ATTRIBUTION_WINDOW_HOURS: "a day" })).toThrow("ATTRIBUTION_WINDOW_HOURS must be a number of hours");
    expect(() => loadConfig({ ATTRIBUTION_WINDOW_HOURS: "1000" })).toThrow("ATTRIBUTION_WINDOW_HOURS must be at most 720 hours");
  });

  it("reads CANARY_CHECK_MINUTES (default 10, 0 disables)", () => {
    expect(loadConfig({}).canaryCheckMinutes).toBe(10);
    expect(loadConfig({ CANARY_CHECK_MINUTES: "0" }).canaryCheckMinutes).toBe(0);
    expect(loadConfig({ CANARY_CHECK_MINUTES: "2.5" }).canaryCheckMinutes).toBe(2.5);
    expect(() => loadConfig({ CANARY_CHECK_MINUTES: "-1" })).toThrow("CANARY_CHECK_MINUTES must be a number of minutes");
    expect(() => loadConfig({ CANARY_CHECK_MINUTES: "2000" })).toThrow("CANARY_CHECK_MINUTES must be at most 1440 minutes");
  });

  it("requires the service tokens in production and never seeds local keys there", () => {
    expect(() => loadConfig({ ENVIRONMENT: "production" })).toThrow(/BACKEND_TOKEN, EDGE_ADMIN_TOKEN, USER_ID_HASH_KEY and MODEL_SIGNING_KEY must be set/);
    expect(() => loadConfig({ ENVIRONMENT: "production", BACKEND_TOKEN: "b".repeat(32), EDGE_ADMIN_TOKEN: "e".repeat(32) })).toThrow(
      /: USER_ID_HASH_KEY and MODEL_SIGNING_KEY must be set/,
    );
    expect(loadConfig({}).userIdHashKey).not.toBe("");
    const config = loadConfig({
      ENVIRONMENT: "production",
      BACKEND_TOKEN: "b".repeat(32),
      EDGE_ADMIN_TOKEN: "e".repeat(32),
      USER_ID_HASH_KEY: "h".repeat(32),
      MODEL_SIGNING_KEY: "m".repeat(32),
      RECS_LOCAL_ADMIN_KEY: "rk_local_admin_123",
    });
    expect(config.isProduction).toBe(true);
    expect(config.userIdHashKey).toBe("h".repeat(32));
    expect(config.localAdminKey).toBeNull();
  });

  it("requires the model signing key in production and defaults it elsewhere", () => {
    const secrets = { ENVIRONMENT: "production", BACKEND_TOKEN: "b".repeat(32), EDGE_ADMIN_TOKEN: "e".repeat(32), USER_ID_HASH_KEY: "h".repeat(32) };
    expect(() => loadConfig(secrets)).toThrow(/: MODEL_SIGNING_KEY must be set/);
    expect(loadConfig({ ...secrets, MODEL_SIGNING_KEY: "m".repeat(32), MODEL_SIGNING_KEY_ID: "2026-12" }).modelSigningKey).toEqual({
      secret: "m".repeat(32),
      id: "2026-12",
    });
    expect(loadConfig({}).modelSigningKey).toEqual({ secret: DEVELOPMENT_SIGNING_SECRET });
    expect(() => loadConfig({ MODEL_SIGNING_KEY: "short" })).toThrow(/MODEL_SIGNING_KEY must be at least 32 characters/);
  });

  it("requires the user-id hash key in production and defaults it elsewhere", () => {
    const secrets = { ENVIRONMENT: "production", BACKEND_TOKEN: "b".repeat(32), EDGE_ADMIN_TOKEN: "e".repeat(32), MODEL_SIGNING_KEY: "m".repeat(32) };
    expect(() => loadConfig(secrets)).toThrow(/: USER_ID_HASH_KEY must be set/);
    expect(loadConfig({}).userIdHashKey).toBe(DEV_USER_ID_HASH_KEY);
    expect(loadConfig({ USER_ID_HASH_KEY: "k".repeat(32) }).userIdHashKey).toBe("k".repeat(32));
  });
});
