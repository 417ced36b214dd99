"""The HTTP gateway: one hardened front door for every channel."""
