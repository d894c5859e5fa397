"""SHA-1 and SHA-256 without importing hashlib, whose OpenSSL module
costs about 2 ms at every boot: Python's own SHA modules (the ones
hashlib falls back to) give the same digests."""

import sys

try:
    from _sha1 import sha1
except ImportError:             # a Python built without it
    from hashlib import sha1
try:                            # a failed import searches the whole path
    if sys.version_info >= (3, 12):
        from _sha2 import sha256
    else:
        from _sha256 import sha256
except ImportError:
    from hashlib import sha256

__all__ = ["sha1", "sha256"]
