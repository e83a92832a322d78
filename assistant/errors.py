"""The one error type users see: its message says what went wrong and what to do next."""


class AssistantError(Exception):
    pass
