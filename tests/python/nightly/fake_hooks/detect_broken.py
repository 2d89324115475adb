"""A detect module that fails to import: the nightly must fail, not skip it."""

raise ImportError("detect's dependency is missing")
