"""A detect hook that records its call."""

CALLS: list[dict] = []


def run_nightly_detect(*, target, run_id, log):
    CALLS.append({"target": target, "run_id": run_id})
    log("detect: found code_review")
    return "code_review is the constraint (0.97)"
