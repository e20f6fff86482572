"""The labelled evaluation harness (issue #23): simulated vendors with known ground truth,
judged by the metrics job as it is, scored per scenario and rendered as a markdown table."""
