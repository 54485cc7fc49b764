"""The preprocessed training cache: per-take feature arrays (memory-mappable ``.npy``), a manifest and
normalisation statistics. Build it with :func:`motiongen.cache.build.build_cache` (``motiongen
preprocess``); read it with :class:`motiongen.cache.info.CacheInfo` and
:class:`motiongen.data.clips.ClipDataset`."""

from motiongen.cache.info import CacheInfo

__all__ = ["CacheInfo"]
