import type { Metadata } from "next";
import CompletionApp from "@/components/CompletionApp";

export const metadata: Metadata = { title: "ai_stream demo: completion" };

export default function Page() {
  return <CompletionApp />;
}
