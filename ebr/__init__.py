"""ebr: electronic batch records executed as durable Temporal workflows."""
