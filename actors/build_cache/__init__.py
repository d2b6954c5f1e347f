"""The kernel build cache: sources, .config assembly, patches, builds, artifact store.

`BuildCache` is the domain object (plain asyncio, no Ray); `actor.py` is its Ray face.
"""

from actors.build_cache.cache import BuildCache

__all__ = ["BuildCache"]
