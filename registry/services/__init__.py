"""Use cases: one function per action, each taking a unit of work and the acting user."""
