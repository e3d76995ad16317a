"""The ledger's ways in and out: imports, exports, backup and restore, migrate-to, the demo."""
