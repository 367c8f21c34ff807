"""Web plumbing shared by every function: the resolver, problem+json, pages."""
