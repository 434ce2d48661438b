import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // gzip in `next start` would sit on the SSE bytes of the chat stream; the
  // proxy route (app/api/[...path]/route.ts) must pass every chunk straight on.
  compress: false,
  // Strict mode runs effects twice in dev, which would start two resume
  // requests (`resume: true`) for the same chat.
  reactStrictMode: false,
  poweredByHeader: false,
};

export default nextConfig;
