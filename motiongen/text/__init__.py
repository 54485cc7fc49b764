"""Text analysis for the text-input path (emotion of an utterance)."""
