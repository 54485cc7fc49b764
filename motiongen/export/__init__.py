"""Exporters for generated motion: BVH, ARKit curves, arrays and the preview video."""
