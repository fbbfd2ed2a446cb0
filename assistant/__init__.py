"""Answer questions about an agreement with the agreement's own words, offline.

>>> from assistant import Assistant
>>> bot = Assistant.open(corpus="corpus", index="index")   # doctest: +SKIP
>>> bot.ask("How long does the agreement last?").passages[0].citation   # doctest: +SKIP
'Canada-Ukraine Agreement, Part VIII, A, para. 1'
"""

from __future__ import annotations

import os

# Nothing may reach the network: set before any Hugging Face or Gradio library is imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

__version__ = "0.1.0"
__all__ = ["Assistant", "__version__"]


def __getattr__(name: str):
    # The facade pulls in numpy and the index code; keep `import assistant` itself instant.
    if name == "Assistant":
        from assistant.assistant import Assistant

        return Assistant
    raise AttributeError(name)
