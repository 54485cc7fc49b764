"""Per-motion-frame speech features: spectral audio (MFCC, log-mel, prosody, onsets), WavLM hidden
states and fastText word vectors. Entry points: :mod:`motiongen.features.pipeline`."""
