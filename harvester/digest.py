"""SHA-1 and SHA-256 without importing hashlib, whose OpenSSL module
costs about 2 ms at every boot: Python's own SHA modules (the ones
hashlib falls back to) give the same digests."""

try:
    from _sha1 import sha1
except ImportError:             # a Python built without it
    from hashlib import sha1
try:
    from _sha2 import sha256    # Python 3.12+
except ImportError:
    try:
        from _sha256 import sha256
    except ImportError:
        from hashlib import sha256

__all__ = ["sha1", "sha256"]
