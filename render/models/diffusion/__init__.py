"""Diffusion renderer from diffusers blocks: ReferenceNet, pose guider, temporal modules."""
