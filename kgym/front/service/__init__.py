"""`kgym serve`: the REST API for runs and jobs, the live trace stream (SSE), the static UI."""
