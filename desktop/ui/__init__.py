"""The Qt layer: widgets, list models and the bridge from job events to signals."""
