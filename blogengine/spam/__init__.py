"""The learning spam filter's parts: features, the model, its learned counts, measuring."""
