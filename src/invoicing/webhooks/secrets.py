"""TEMPORARY stand-in until the webhooks-api branch lands (its secrets.py replaces this)."""


def open_sealed(sealed: str) -> str:
    return sealed


def seal(secret: str) -> str:
    return secret


def new_secret() -> str:
    import base64
    import os

    return "whsec_" + base64.b64encode(os.urandom(24)).decode()
