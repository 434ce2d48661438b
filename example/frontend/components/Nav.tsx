"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const PAGES = [
  { href: "/", label: "Chat", hook: "useChat" },
  { href: "/completion", label: "Completion", hook: "useCompletion" },
  { href: "/trip", label: "Trip planner", hook: "useObject" },
];

/** Links between the demo's pages (the sidebar of each page shows it). */
export default function Nav() {
  const pathname = usePathname();
  return (
    <nav className="nav" aria-label="Demo pages">
      {PAGES.map((p) => (
        <Link key={p.href} href={p.href} className={pathname === p.href ? "active" : undefined}>
          {p.label} <span className="nav-hook">{p.hook}</span>
        </Link>
      ))}
    </nav>
  );
}
