/**
 * The text to show for a hook's error. A 4xx from the backend reaches the hooks as an Error
 * whose message is the response body: `{"error": {"message": ...}}` (ai_stream's error body).
 */
export function errorText(error: Error | undefined): string {
  const message = error?.message ?? "";
  try {
    const body = JSON.parse(message) as { error?: { message?: unknown } | string; detail?: unknown };
    if (typeof body.error === "object" && typeof body.error?.message === "string") return body.error.message;
    if (typeof body.error === "string") return body.error;
  } catch {
    // not JSON: the message as it is
  }
  return message || "Something went wrong.";
}
