"""Why an invoice e-mail was not delivered: transient (retry like a webhook) or permanent."""


class MailFailure(Exception):
    """A delivery that did not happen; `reason` is a stable snake_case code for the event."""

    transient: bool = False

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class TransientMailFailure(MailFailure):
    """Connection refused, timeout, a 4xx reply: the worker retries on the webhook schedule."""

    transient = True


class PermanentMailFailure(MailFailure):
    """A 5xx refusal, failed authentication, no recipient: retrying cannot help."""


class NoRecipient(PermanentMailFailure):
    def __init__(self) -> None:
        super().__init__("no_recipient", "the invoice's receiver has no e-mail address")
