"""The graph's nodes: reproduce, localizer, planner, patcher, verifier, finish."""
