"""The front door: the `kgym` command line and the aiohttp service. The only layer that
wires the platform, the agent and the benchmark together."""
