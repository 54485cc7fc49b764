"""The conditioning interface: 2-D landmarks in MediaPipe Holistic order, drawn and selected."""
