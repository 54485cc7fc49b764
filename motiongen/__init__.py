"""motiongen: holistic co-speech motion generation (gestures + ARKit blendshapes) from speech."""

__version__ = "0.1.0"
