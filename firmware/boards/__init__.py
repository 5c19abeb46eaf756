"""One wiring file per board: pins and bus construction, nothing else."""
