"""Shared constants, under the official SDK's names."""

from durable_mp.exceptions import PAYLOAD_SIZE_LIMIT_BYTES

# The largest payload one operation may checkpoint (256 KiB): above it a child context's result is
# rebuilt by replaying its children, and FileSystemSerDes overflows to a file.
CHECKPOINT_SIZE_LIMIT_BYTES: int = PAYLOAD_SIZE_LIMIT_BYTES
