"""The stage package's functions: removal, notify and commands (entry points over handlers/pipeline),
and their settings."""
