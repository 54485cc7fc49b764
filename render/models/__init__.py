"""Renderer networks: the keypoint renderer and the diffusion renderer."""
