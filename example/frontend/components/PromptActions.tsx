/** The buttons under a prompt: example prompts, then Stop while streaming or the submit button. */
export default function PromptActions({
  examples,
  isLoading,
  canSubmit,
  submitLabel,
  onExample,
  onStop,
}: {
  examples: string[];
  isLoading: boolean;
  canSubmit: boolean;
  submitLabel: string;
  onExample: (text: string) => void;
  onStop: () => void;
}) {
  return (
    <>
      <div className="examples">
        {examples.map((text) => (
          <button key={text} type="button" className="chip" disabled={isLoading} onClick={() => onExample(text)}>
            {text}
          </button>
        ))}
      </div>
      {isLoading ? (
        // (keys: a new element each time, so that the click on Stop, which turns it
        // back into the submit button, does not submit the form too)
        <button
          key="stop"
          type="button"
          className="stop"
          onClick={(e) => {
            e.preventDefault();
            onStop();
          }}
        >
          ■ Stop
        </button>
      ) : (
        <button key="submit" type="submit" className="primary" disabled={!canSubmit}>
          {submitLabel}
        </button>
      )}
    </>
  );
}
