"""One adapter per messaging platform. Adapters depend on the core (bot/), never on each other."""
