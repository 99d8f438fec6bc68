"""Cloud-agnostic cluster services, one ComponentResource per concern, each with an ``Args`` dataclass."""
