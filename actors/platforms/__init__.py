"""The platforms: the thin `@ray.remote` faces over the domain objects, and the two
implementations of `kgym.platform.Platform` (LocalPlatform in-process, RayPlatform)."""
