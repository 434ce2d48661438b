import type { ReactNode } from "react";
import Nav from "./Nav";

/** The layout of the completion and trip pages: the sidebar (pages, hints) and the page. */
export default function PageShell({ hints, children }: { hints: ReactNode; children: ReactNode }) {
  return (
    <div className="app">
      <aside className="sidebar">
        <div className="sidebar-head">
          <strong>ai_stream demo</strong>
        </div>
        <Nav />
        <div className="sidebar-fill" />
        <div className="hints">{hints}</div>
      </aside>
      <main className="main">{children}</main>
    </div>
  );
}
