"""Stand-ins for constraint detection's nightly hook (issue 4), to test how the nightly finds it."""
