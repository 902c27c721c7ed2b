"""Pure algorithms and rules: numpy, pandas, Pillow and scikit-learn only; no FiftyOne, no torch."""
