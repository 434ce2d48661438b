"use client";

import { memo } from "react";
import ReactMarkdown from "react-markdown";

// CommonMark (headings, lists, emphasis, links, fenced code). Raw HTML in the
// model's text is not rendered (react-markdown's default), links open in a new tab.
function MarkdownImpl({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        components={{
          a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noreferrer" />,
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}

export default memo(MarkdownImpl);
