"""The pipeline's plain logic: what happens to an upload at each stage, independent of Lambda."""
