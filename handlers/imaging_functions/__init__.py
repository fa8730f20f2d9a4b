"""The imaging package's functions: ingest and enhance (entry points), the logic only they run
(intake, publishing, reading the upload), and their settings."""
