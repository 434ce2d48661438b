// Streaming proxy: /api/* -> ${BACKEND_URL}/api/* (default http://127.0.0.1:8000).
//
// A route handler rather than a `rewrites` entry, so that the chat stream is
// piped chunk by chunk (the upstream body is handed to the Response as is),
// aborting the browser request (useChat's stop()) aborts the upstream one,
// and every request carries an `x-user-id` (the demo has no login).
import type { NextRequest } from "next/server";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const BACKEND_URL = (process.env.BACKEND_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
const DEMO_USER = process.env.DEMO_USER_ID ?? "demo-user";

// Request headers worth forwarding; hop-by-hop and host headers are dropped.
const FORWARD_REQUEST = ["content-type", "accept", "x-user-id", "last-event-id"];
// Response headers that no longer apply once fetch() has decoded the body.
const DROP_RESPONSE = new Set(["content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"]);

async function proxy(req: NextRequest, ctx: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await ctx.params;
  const target = `${BACKEND_URL}/api/${path.map(encodeURIComponent).join("/")}${req.nextUrl.search}`;

  const headers = new Headers();
  for (const name of FORWARD_REQUEST) {
    const value = req.headers.get(name);
    if (value) headers.set(name, value);
  }
  if (!headers.has("x-user-id")) headers.set("x-user-id", DEMO_USER);

  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: req.method,
      headers,
      body: hasBody ? await req.arrayBuffer() : undefined,
      signal: req.signal,
      cache: "no-store",
      redirect: "manual",
    });
  } catch (err) {
    if (req.signal.aborted) return new Response(null, { status: 499 });
    return Response.json(
      { error: `backend unreachable at ${BACKEND_URL}: ${(err as Error).message}` },
      { status: 502 },
    );
  }

  const out = new Headers();
  upstream.headers.forEach((value, name) => {
    if (!DROP_RESPONSE.has(name.toLowerCase())) out.set(name, value);
  });
  if ((out.get("content-type") ?? "").startsWith("text/event-stream")) {
    out.set("cache-control", "no-cache, no-transform");
    out.set("x-accel-buffering", "no");
  }
  const noBody = upstream.status === 204 || upstream.status === 304 || req.method === "HEAD";
  return new Response(noBody ? null : upstream.body, { status: upstream.status, headers: out });
}

export { proxy as GET, proxy as POST, proxy as PUT, proxy as PATCH, proxy as DELETE };
