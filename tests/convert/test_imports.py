from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from ai_stream.convert import to_anthropic, to_openai_chat, to_openai_responses
history = [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}]
to_openai_chat(history)
to_openai_responses(history)
to_anthropic(history)
loaded = {"openai", "anthropic", "langchain_core"} & set(sys.modules)
assert not loaded, loaded
"""


def test_the_dict_converters_import_no_sdk() -> None:
    subprocess.run([sys.executable, "-c", SCRIPT], check=True)
