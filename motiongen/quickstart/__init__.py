"""The offline quickstart: a procedural BEAT-format corpus spoken by eSpeak NG, and the pipeline
that preprocesses it, trains the tiny experiment and generates for an unseen sentence."""
