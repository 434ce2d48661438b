"""A missing optional dependency names the pip command that installs it.

Run it: ``python docs/examples/frameworks_extras.py`` imports ``ai_stream.flask`` as if Flask were
not installed and checks the error.
"""

import importlib
import sys


def main() -> None:
    sys.modules["flask"] = None  # type: ignore[assignment]  # (import flask now fails)
    # --8<-- [start:missing]
    from ai_stream import MissingExtraError

    try:
        importlib.import_module("ai_stream.flask")
    except MissingExtraError as error:  # also an ImportError
        assert str(error) == (
            "ai_stream.flask needs the 'flask' package, which is not installed: "
            "pip install 'ai-stream[flask]'"
        )
        assert (error.package, error.extra) == ("flask", "flask")
    # --8<-- [end:missing]
    else:
        raise AssertionError("expected MissingExtraError")


if __name__ == "__main__":
    main()
