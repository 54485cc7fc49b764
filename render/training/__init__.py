"""Lightning training of the renderers (checkpoints, exact resume, TensorBoard frames)."""
