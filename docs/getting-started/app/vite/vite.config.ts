import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// /api/* goes to the FastAPI backend: same origin for the browser, no CORS needed.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/api": process.env.BACKEND_URL ?? "http://127.0.0.1:8000" },
  },
});
