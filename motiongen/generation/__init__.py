"""Speech to holistic motion: windowed sampling with a trained denoiser, inputs, checkpoint bundles."""
