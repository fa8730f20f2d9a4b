"""What every function runs on: its settings, the stage skeleton, SnapStart, the cold start's
garbage-collector pause. Shipped in every package."""
