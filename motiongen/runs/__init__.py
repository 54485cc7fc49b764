"""End-to-end runs that drive the pipeline's layers in order: generate with a trained model, then
export the result into a run folder (what ``motiongen generate`` and the quickstart run). Export
itself never drives generation; this layer sits above both."""
