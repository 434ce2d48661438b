import type { NextConfig } from "next";

// /api/* goes to the FastAPI backend (same origin for the browser, no CORS).
const nextConfig: NextConfig = {
  async rewrites() {
    return [{ source: "/api/:path*", destination: `${process.env.BACKEND_URL ?? "http://127.0.0.1:8000"}/api/:path*` }];
  },
  compress: false, // gzip would hold the stream's small writes back
};

export default nextConfig;
