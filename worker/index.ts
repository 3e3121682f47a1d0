export { UserSession } from "../durable-objects/user-session.js";
export default {
  async fetch(): Promise<Response> {
    return new Response("ok");
  },
} satisfies ExportedHandler;
