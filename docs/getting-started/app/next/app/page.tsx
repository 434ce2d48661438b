"use client";

import dynamic from "next/dynamic";

// The chat component of the Vite page, unchanged (copy src/App.tsx to app/App.tsx); it reads
// the chat id from the URL, so it renders in the browser only.
const App = dynamic(() => import("./App").then((m) => m.App), { ssr: false });

export default function Page() {
  return <App />;
}
