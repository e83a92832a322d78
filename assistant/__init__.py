"""policy-assistant: cited, offline answers from public policy documents, with a personal-information guard.

    from assistant import Assistant
    a = Assistant.open("index")
    a.ingest(["corpus"])
    a.ask("How many registered offenders live in the area?").to_dict()
"""

from .answer import Answer, Citation
from .api import Assistant
from .errors import AssistantError

__all__ = ["Answer", "Assistant", "AssistantError", "Citation"]
