"""The lesson as data and numpy: figure specs, landscapes, descents, parameters."""
