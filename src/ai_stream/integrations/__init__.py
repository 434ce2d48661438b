"""Optional backends for ai_stream; each module needs its extra (e.g. ``ai-stream[redis]``).

Nothing is imported here: ``from ai_stream.integrations.redis import RedisStreamStore``.
"""

__all__: tuple[str, ...] = ()
