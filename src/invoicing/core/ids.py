import secrets


def new_public_id() -> str:
    """24 lowercase hex characters, random (SPEC 2)."""
    return secrets.token_hex(12)
