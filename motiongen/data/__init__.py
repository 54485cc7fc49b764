"""Training data views over the feature cache (:mod:`motiongen.data.clips`)."""
