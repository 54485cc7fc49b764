"""Generated motion → 2-D Holistic landmarks in a reference image's frame (body, hands, face)."""
