"""FiftyOne glue: the only layer that imports fiftyone. Algorithms receive arrays and ids."""
