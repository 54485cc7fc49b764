"""Training data: a folder of videos → frames, cached Holistic landmarks, held-out split."""
