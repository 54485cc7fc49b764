"""Errors the renderer raises for bad inputs (each names the file and the problem)."""


class RenderError(Exception):
    """A bad input (image, motion file, weights folder, config) the renderer cannot use."""
