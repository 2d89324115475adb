"""Tracker APIs → raw contract files: the HTTP client, credentials, the cursor, the all-or-nothing output, and one
client per tracker (its HTTP I/O apart from the pure mapping of its JSON to contract rows)."""
