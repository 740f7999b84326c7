"""evalloop."""
