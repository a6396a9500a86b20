"""Quality checks: a frame measured against the original figure from pixels."""
