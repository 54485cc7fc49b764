"""Offline text-to-speech used for text input and for the procedural quickstart corpus."""
