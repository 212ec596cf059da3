"""The HTTP API: reads from the record store, changes batches only through their workflows."""
