import { Suspense } from "react";
import ChatApp from "@/components/ChatApp";

export default function Page() {
  return (
    <Suspense fallback={<div className="loading">Loading…</div>}>
      <ChatApp />
    </Suspense>
  );
}
