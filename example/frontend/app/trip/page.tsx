import type { Metadata } from "next";
import TripApp from "@/components/TripApp";

export const metadata: Metadata = { title: "ai_stream demo: trip planner" };

export default function Page() {
  return <TripApp />;
}
